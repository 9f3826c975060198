"""Population stability index against frozen reference bins.

PSI = sum over bins of (a_i - e_i) * ln(a_i / e_i), where e_i is the reference
share and a_i the window share of bin i. Higher means more drift; 0 means the
same shares. A bin that is empty on one side would make the logarithm infinite,
so every zero share is replaced by ``epsilon`` (1e-4 by default) before the sum;
shares are not renormalised afterwards, so the smoothing only touches empty bins.

Numeric features use the reference's quantile bins (reference/binning.py: edges
frozen at training time, outermost bins open to +-inf, so out-of-range values
land in the first or last bin). Categorical features use one bin per reference
category plus one "unseen" bin for every value the reference never had; a
high-cardinality feature's folded categories are one more bin, "other"
(reference/category_bounds.py), so a value seen in training is never unseen.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from reference.binning import bin_counts

PSI_EPSILON: Final = 1e-4

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def psi_from_fractions(
    expected: FloatArray, actual: FloatArray, epsilon: float = PSI_EPSILON
) -> float:
    """PSI of ``actual`` shares against ``expected`` shares over the same bins."""
    if expected.shape != actual.shape:
        raise ValueError(f"bin count mismatch: {expected.shape} vs {actual.shape}")
    e = np.where(expected > 0, expected, epsilon)
    a = np.where(actual > 0, actual, epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_from_counts(
    expected_fractions: FloatArray, counts: IntArray, epsilon: float = PSI_EPSILON
) -> float:
    """PSI of a window given as counts per bin; the window must not be empty."""
    total = int(counts.sum())
    if total == 0:
        raise ValueError("PSI of an empty window is undefined")
    return psi_from_fractions(expected_fractions, counts / total, epsilon)


def numeric_psi(
    edges: FloatArray,
    reference_fractions: FloatArray,
    values: FloatArray,
    epsilon: float = PSI_EPSILON,
) -> float:
    """PSI of finite ``values`` binned with the reference ``edges`` (reference/binning.py)."""
    return psi_from_counts(reference_fractions, bin_counts(values, edges), epsilon)


def categorical_shares(categories: tuple[str, ...], frequencies: dict[str, float]) -> FloatArray:
    """Reference shares of ``categories`` followed by 0 for the unseen bucket."""
    return np.array([frequencies.get(c, 0.0) for c in categories] + [0.0], dtype=np.float64)
