"""Quantile bins frozen from the reference data.

Edges are the interior quantiles of the reference (deciles by default, taken
as observed values: numpy's ``inverted_cdf``), with duplicates removed, so a
discrete feature gets fewer, wider bins instead of empty ones. Bin ``i`` holds
values ``v`` with ``edges[i-1] < v <= edges[i]``; the first bin is open to -inf
and the last to +inf, so a value outside the reference range falls into the
outermost bin on its side. The rule is ``numpy.searchsorted(edges, v,
side="left")``, used both when the profile is built and when a window is
binned, so the two can never disagree.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_BINS = 10


def quantile_edges(values: FloatArray, n_bins: int = DEFAULT_BINS) -> FloatArray:
    """Interior bin edges: the 1/n .. (n-1)/n quantiles of finite ``values``, de-duplicated."""
    if n_bins < 2:
        raise ValueError("n_bins must be at least 2")
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.empty(0, dtype=np.float64)
    qs = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    # inverted_cdf picks observed values as edges: interpolated edges would open
    # bins between the values of a discrete feature that no reference value falls in.
    edges = np.quantile(finite, qs, method="inverted_cdf")
    return np.unique(edges).astype(np.float64)


def bin_indices(values: FloatArray, edges: FloatArray) -> IntArray:
    """Bin index of every value (0 .. len(edges)); the caller drops non-finite values first."""
    return np.searchsorted(edges, values, side="left").astype(np.int64)


def bin_counts(values: FloatArray, edges: FloatArray) -> IntArray:
    """How many finite ``values`` fall into each of the ``len(edges) + 1`` bins."""
    finite = values[np.isfinite(values)]
    return np.bincount(bin_indices(finite, edges), minlength=edges.size + 1).astype(np.int64)
