"""PSI on frozen reference bins: known answers, plain re-computation, Evidently's binning."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from exporter.stats.psi import (
    PSI_EPSILON,
    categorical_shares,
    numeric_psi,
    psi_from_counts,
    psi_from_fractions,
)
from reference.binning import quantile_edges


def plain_psi(expected: list[float], actual: list[float], eps: float = PSI_EPSILON) -> float:
    """Textbook PSI with zero shares replaced by eps, one bin at a time."""
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = (e if e > 0 else eps), (a if a > 0 else eps)
        total += (a - e) * math.log(a / e)
    return total


def plain_bin_shares(values: np.ndarray, edges: np.ndarray) -> list[float]:
    """Bin i holds edges[i-1] < v <= edges[i]; outermost bins open (docs of reference/binning)."""
    counts = [0] * (len(edges) + 1)
    for v in values:
        i = 0
        while i < len(edges) and v > edges[i]:
            i += 1
        counts[i] += 1
    return [c / len(values) for c in counts]


def test_known_answer_two_bins() -> None:
    # (0.7-0.5) ln(0.7/0.5) + (0.3-0.5) ln(0.3/0.5)
    expected = 0.2 * math.log(1.4) + (-0.2) * math.log(0.6)
    got = psi_from_fractions(np.array([0.5, 0.5]), np.array([0.7, 0.3]))
    assert got == pytest.approx(expected, rel=1e-15)
    assert psi_from_fractions(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == 0.0


def test_empty_bins_are_smoothed_with_epsilon() -> None:
    got = psi_from_fractions(np.array([0.5, 0.5, 0.0]), np.array([0.5, 0.0, 0.5]))
    eps = PSI_EPSILON
    want = (eps - 0.5) * math.log(eps / 0.5) + (0.5 - eps) * math.log(0.5 / eps)
    assert got == pytest.approx(want, rel=1e-12)
    assert math.isfinite(got)


@pytest.mark.parametrize(
    "seed,shift,scale", [(1, 0.0, 1.0), (2, 0.3, 1.0), (3, 0.0, 2.0), (4, 5.0, 1.0)]
)
def test_numeric_psi_equals_plain_recomputation(seed: int, shift: float, scale: float) -> None:
    rng = np.random.default_rng(seed)
    reference = rng.normal(size=2000)
    edges = quantile_edges(reference)
    ref_shares = plain_bin_shares(reference, edges)
    window = rng.normal(shift, scale, size=700)
    got = numeric_psi(edges, np.array(ref_shares), window)
    assert got == pytest.approx(plain_psi(ref_shares, plain_bin_shares(window, edges)), rel=1e-12)


def test_out_of_range_values_fall_into_outer_bins() -> None:
    reference = np.arange(100, dtype=float)
    edges = quantile_edges(reference)
    shares = np.full(10, 0.1)
    above = numeric_psi(edges, shares, np.full(50, 1e6))
    # all mass in the last bin: (1-0.1) ln(1/0.1) + 9 * (eps-0.1) ln(eps/0.1)
    want = 0.9 * math.log(10) + 9 * (PSI_EPSILON - 0.1) * math.log(PSI_EPSILON / 0.1)
    assert above == pytest.approx(want, rel=1e-12)
    assert numeric_psi(edges, shares, np.full(50, -1e6)) == pytest.approx(want, rel=1e-12)


def test_constant_feature_has_one_bin_and_no_drift_when_still_constant() -> None:
    reference = np.full(300, 4.0)
    edges = quantile_edges(reference)
    assert edges.tolist() == [4.0]  # de-duplicated: bins (-inf, 4] and (4, inf)
    shares = np.array(plain_bin_shares(reference, edges))
    assert numeric_psi(edges, shares, np.full(20, 4.0)) == 0.0
    moved = numeric_psi(edges, shares, np.full(20, 5.0))
    assert moved == pytest.approx(plain_psi(shares.tolist(), [0.0, 1.0]), rel=1e-12)


def test_categorical_shares_add_an_unseen_bucket() -> None:
    shares = categorical_shares(("a", "b"), {"a": 0.25, "b": 0.75})
    assert shares.tolist() == [0.25, 0.75, 0.0]
    got = psi_from_counts(shares, np.array([10, 10, 5]))
    assert got == pytest.approx(plain_psi([0.25, 0.75, 0.0], [0.4, 0.4, 0.2]), rel=1e-12)


def test_single_category_unchanged_is_zero() -> None:
    assert psi_from_counts(np.array([1.0, 0.0]), np.array([40, 0])) == 0.0


def test_mismatched_or_empty_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="bin count mismatch"):
        psi_from_fractions(np.array([1.0]), np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="empty window"):
        psi_from_counts(np.array([0.5, 0.5]), np.array([0, 0]))


def evidently_style_shares(ref: pd.Series, cur: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Evidently 0.7's numeric PSI binning (legacy stattests/utils.get_binned_data):
    Sturges equal-width bins over reference and current together, then every zero
    share replaced by 1e-4 (or by the smallest non-zero share / 1e6 if that is <= 1e-4)."""
    edges = np.histogram_bin_edges(np.concatenate([ref.to_numpy(), cur.to_numpy()]), "sturges")
    shares = []
    for s in (ref, cur):
        p = np.histogram(s, edges)[0] / len(s)
        smallest = p[p != 0].min()
        p[p == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
        shares.append(p)
    return shares[0], shares[1]


@pytest.mark.parametrize("shift", [0.0, 0.2, 1.0])
def test_evidently_psi_reproduced_with_its_binning(shift: float) -> None:
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    rng = np.random.default_rng(42)
    ref = pd.DataFrame({"x": rng.normal(70, 25, 3000)})
    cur = pd.DataFrame({"x": rng.normal(70 + 25 * shift, 25, 2000)})
    definition = DataDefinition(numerical_columns=["x"])
    snapshot = Report([ValueDrift(column="x", method="psi")]).run(
        Dataset.from_pandas(cur, data_definition=definition),
        Dataset.from_pandas(ref, data_definition=definition),
    )
    evidently_value = snapshot.dict()["metrics"][0]["value"]
    ref_shares, cur_shares = evidently_style_shares(ref["x"], cur["x"])
    assert psi_from_fractions(ref_shares, cur_shares) == pytest.approx(evidently_value, rel=1e-9)
    # Our frozen decile bins give a different figure on the same data (docs/drift.md).
    edges = quantile_edges(ref["x"].to_numpy())
    deciles = numeric_psi(
        edges, np.array(plain_bin_shares(ref["x"].to_numpy(), edges)), cur["x"].to_numpy()
    )
    if shift > 0:
        assert deciles != pytest.approx(evidently_value, rel=1e-3)
