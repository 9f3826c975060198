"""Pearson chi-square goodness-of-fit of a window's categories against the reference.

Observed: the window's counts of the categories the reference knows. Expected:
the reference shares of those categories, renormalised to sum to one, times the
observed total. Values never seen in training are left out of this test (their
expected count would be zero) and are measured by the unseen-category ratio and
the PSI's "unseen" bucket instead. A high-cardinality feature's "other" bucket
(reference/category_bounds.py) is one category here, with its reference share.
Degrees of freedom: categories - 1. The
result equals ``scipy.stats.chisquare(observed, expected)``. With a single
reference category there is nothing to test (0 degrees of freedom): the p-value
is None.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ChiSquareResult:
    statistic: float
    p_value: float | None
    dof: int
    samples: int


def expected_counts(reference_shares: FloatArray, total: int) -> FloatArray:
    """Reference shares scaled to ``total`` observations."""
    shares = np.asarray(reference_shares, dtype=np.float64)
    s = shares.sum()
    if s <= 0:
        raise ValueError("reference shares must have a positive sum")
    scaled: FloatArray = shares / s * total
    return scaled


def chi_square(observed: IntArray, reference_shares: FloatArray) -> ChiSquareResult:
    """Chi-square test of ``observed`` counts against ``reference_shares`` (same order)."""
    if observed.shape != reference_shares.shape:
        raise ValueError(f"category count mismatch: {observed.shape} vs {reference_shares.shape}")
    if np.any(reference_shares <= 0):
        raise ValueError("every reference category needs a positive share")
    total = int(observed.sum())
    if total == 0:
        raise ValueError("chi-square of an empty window is undefined")
    f_obs = observed.astype(np.float64)
    f_exp = expected_counts(reference_shares, total)
    statistic = float(((f_obs - f_exp) ** 2 / f_exp).sum())
    dof = int(observed.size) - 1
    p = float(stats.chi2.sf(statistic, dof)) if dof > 0 else None
    return ChiSquareResult(statistic=statistic, p_value=p, dof=dof, samples=total)
