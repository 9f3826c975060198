"""Chi-square equals scipy.stats.chisquare on the same expected counts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from exporter.stats.chi2 import chi_square, expected_counts


@pytest.mark.parametrize(
    "observed,shares",
    [
        ([30, 50, 20], [0.3, 0.5, 0.2]),
        ([10, 80, 10], [0.3, 0.5, 0.2]),
        ([1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]),
        ([500, 480], [0.6, 0.4]),
        ([7, 3], [0.5, 0.5]),
        ([0, 5, 9, 2], [0.1, 0.2, 0.3, 0.4]),
        ([123456, 654321, 111], [0.2, 0.7, 0.1]),
    ],
)
def test_equals_scipy(observed: list[int], shares: list[float]) -> None:
    obs = np.array(observed)
    ours = chi_square(obs, np.array(shares))
    f_exp = expected_counts(np.array(shares), int(obs.sum()))
    theirs = stats.chisquare(obs, f_exp)
    assert ours.statistic == float(theirs.statistic)
    assert ours.p_value == float(theirs.pvalue)
    assert ours.dof == len(observed) - 1
    assert ours.samples == obs.sum()


def test_random_tables_equal_scipy() -> None:
    rng = np.random.default_rng(9)
    for _ in range(100):
        k = int(rng.integers(2, 12))
        shares = rng.dirichlet(np.ones(k))
        obs = rng.multinomial(int(rng.integers(1, 5000)), rng.dirichlet(np.ones(k)))
        ours = chi_square(obs, shares)
        theirs = stats.chisquare(obs, expected_counts(shares, int(obs.sum())))
        assert (ours.statistic, ours.p_value) == (theirs.statistic, theirs.pvalue)


def test_known_answer_by_hand() -> None:
    # expected 50/50 of 100; observed 60/40: (10^2/50)*2 = 4, 1 dof
    result = chi_square(np.array([60, 40]), np.array([0.5, 0.5]))
    assert result.statistic == 4.0
    assert result.p_value == pytest.approx(0.0455002638963584, rel=1e-12)


def test_shares_need_not_sum_to_one() -> None:
    """Reference categories of a window that also has unseen values: shares renormalised."""
    a = chi_square(np.array([30, 60]), np.array([0.2, 0.4]))
    b = chi_square(np.array([30, 60]), np.array([1 / 3, 2 / 3]))
    assert a.statistic == pytest.approx(b.statistic, abs=1e-12)


def test_single_category_has_no_p_value() -> None:
    result = chi_square(np.array([42]), np.array([1.0]))
    assert (result.statistic, result.p_value, result.dof) == (0.0, None, 0)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="empty window"):
        chi_square(np.array([0, 0]), np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="positive share"):
        chi_square(np.array([1, 2]), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="mismatch"):
        chi_square(np.array([1, 2]), np.array([1.0]))
