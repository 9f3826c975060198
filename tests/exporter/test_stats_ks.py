"""KS against the pre-sorted reference equals scipy.stats.ks_2samp exactly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from exporter.stats.ks import (
    KsReference,
    counts_from_positions,
    counts_from_sorted,
    ks_test,
    positions,
    statistic_from_positions,
)


def _cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    normal = rng.normal(size=3000)
    return [
        ("same distribution", normal, rng.normal(size=2000)),
        ("shifted", normal, rng.normal(0.3, size=1500)),
        ("wider", normal, rng.normal(0, 1.5, size=800)),
        ("ties (rounded)", rng.normal(size=3000).round(1), rng.normal(0.1, size=2500).round(1)),
        (
            "poisson counts",
            rng.poisson(1.5, 4000).astype(float),
            rng.poisson(1.7, 3000).astype(float),
        ),
        ("constant reference", np.full(500, 3.0), rng.normal(3, 1, 400)),
        ("constant both", np.full(500, 3.0), np.full(300, 3.0)),
        ("window all above the reference", normal, rng.uniform(10, 11, 700)),
        ("window all below the reference", normal, rng.uniform(-11, -10, 700)),
        ("window of one value", normal, np.array([0.25])),
        ("tiny window", normal, rng.normal(size=5)),
        ("tiny reference", rng.normal(size=3), rng.normal(size=50)),
        ("equal sizes", rng.normal(size=1000), rng.normal(0.05, size=1000)),
        ("window values equal to reference values", normal, rng.choice(normal, 900)),
        ("asymptotic: window > 10k", rng.normal(size=10_000), rng.normal(0.02, size=25_000)),
        ("asymptotic: big shift", rng.normal(size=10_000), rng.normal(0.5, size=12_000)),
    ]


@pytest.mark.parametrize("name,reference,window", _cases(), ids=[c[0] for c in _cases()])
def test_statistic_and_p_value_equal_scipy(
    name: str, reference: np.ndarray, window: np.ndarray
) -> None:
    ours = ks_test(KsReference.from_sample(reference), window)
    theirs = stats.ks_2samp(window, reference)
    assert ours.statistic == float(theirs.statistic)
    assert ours.p_value == float(theirs.pvalue)
    # and scipy itself does not care about the order of the samples
    swapped = stats.ks_2samp(reference, window)
    assert ours.statistic == float(swapped.statistic)
    assert ours.p_value == float(swapped.pvalue)


def test_random_sizes_and_shapes_equal_scipy() -> None:
    rng = np.random.default_rng(11)
    for trial in range(150):
        n, m = int(rng.integers(1, 2500)), int(rng.integers(1, 2500))
        if trial % 3 == 0:
            ref, win = rng.integers(0, 5, n).astype(float), rng.integers(0, 6, m).astype(float)
        elif trial % 3 == 1:
            ref, win = rng.normal(size=n).round(1), rng.normal(0.1, size=m).round(1)
        else:
            ref, win = rng.normal(size=n), rng.normal(0.1, 1.2, size=m)
        ours = ks_test(KsReference.from_sample(ref), win)
        theirs = stats.ks_2samp(win, ref)
        assert (ours.statistic, ours.p_value) == (theirs.statistic, theirs.pvalue), trial


def test_known_answer_by_hand() -> None:
    # reference {1,2,3,4}, window {3,4,5,6}: ECDFs differ most at 2 (0.5 vs 0) -> D = 0.5
    ref = KsReference.from_sample(np.array([1.0, 2.0, 3.0, 4.0]))
    result = ks_test(ref, np.array([3.0, 4.0, 5.0, 6.0]))
    assert result.statistic == 0.5
    assert (result.window_size, result.reference_size) == (4, 4)


def test_positions_can_be_computed_in_pieces() -> None:
    """A window's positions computed row by row give the statistic of the whole window."""
    rng = np.random.default_rng(3)
    ref = KsReference.from_sample(rng.normal(size=2000).round(2))
    window = rng.normal(0.2, size=3000).round(2)
    parts = [positions(ref, chunk) for chunk in np.array_split(window, 7)]
    below = np.concatenate([p[0] for p in parts])
    at_or_below = np.concatenate([p[1] for p in parts])
    whole = statistic_from_positions(ref, *positions(ref, window))
    assert statistic_from_positions(ref, below, at_or_below) == whole


def test_positions_and_sorted_window_give_the_same_counts() -> None:
    rng = np.random.default_rng(4)
    ref = KsReference.from_sample(rng.poisson(3, 2000).astype(float))
    window = rng.poisson(3.3, 5000).astype(float)
    by_positions = counts_from_positions(ref, *positions(ref, window))
    by_sorting = counts_from_sorted(ref, np.sort(window))
    assert all(np.array_equal(a, b) for a, b in zip(by_positions, by_sorting, strict=True))


def test_missing_sentinel_positions_are_ignored() -> None:
    ref = KsReference.from_sample(np.array([1.0, 2.0, 3.0]))
    below, at_or_below = positions(ref, np.array([0.5, 2.0, 9.0]))
    sentinel = np.full(4, ref.distinct.size + 1)
    with_missing = counts_from_positions(
        ref, np.append(below, sentinel), np.append(at_or_below, sentinel)
    )
    plain = counts_from_positions(ref, below, at_or_below)
    assert all(np.array_equal(a, b) for a, b in zip(with_missing, plain, strict=True))


def test_non_finite_values_are_ignored() -> None:
    rng = np.random.default_rng(5)
    ref, win = rng.normal(size=500), rng.normal(size=300)
    dirty = np.concatenate([win, [np.nan, np.inf, -np.inf]])
    assert ks_test(KsReference.from_sample(ref), dirty) == ks_test(
        KsReference.from_sample(ref), win
    )


def test_empty_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="no finite values"):
        KsReference.from_sample(np.array([np.nan]))
    with pytest.raises(ValueError, match="empty"):
        ks_test(KsReference.from_sample(np.array([1.0])), np.array([]))
