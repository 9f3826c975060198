"""Two-sample Kolmogorov-Smirnov test of a window against a sorted reference sample.

Gives the same statistic and p-value as ``scipy.stats.ks_2samp(window,
reference)`` (two-sided, method 'auto') without sorting the window.

Why no sort is needed: the reference ECDF only changes at the distinct reference
values u_0 < ... < u_{K-1}. Between two of them it is constant while the window
ECDF only grows, so |F_window - F_ref| is largest at one end of each interval:
at u_k itself or just before it. Both ends need only two window counts per
reference value, #(w <= u_k) and #(w < u_k), and those come from one
``searchsorted`` of each window value into the distinct reference values and a
cumulative sum of the resulting histogram. Every candidate is a point scipy
evaluates too (or repeats one), computed with the same float operations
(count / n_window - count / n_reference), so the maximum is bit-identical.

Two ways to get those counts, same result: the exporter computes each row's
positions once when it arrives, so a cycle only runs ``bincount`` and ``cumsum``;
a one-off computation sorts the window's values instead and looks the K
reference values up in it (sorting 1M floats takes ~12 ms here, while 1M
binary searches into 10k reference values take ~200 ms: cache misses).

P-value: scipy's 'auto' rule. With both samples of at most 10,000 values the
exact distribution is used (through scipy's own routine, so the figures are the
same), and the statistic is rounded to a multiple of 1/lcm(n1, n2) as scipy
does; larger samples use the asymptotic ``kstwo.sf(d, round(n1*n2/(n1+n2)))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# scipy.stats.ks_2samp uses the exact distribution up to this sample size ('auto').
MAX_EXACT_N: Final = 10_000


@dataclass(frozen=True)
class KsReference:
    """A reference sample prepared once: distinct values and counts at or below each."""

    distinct: FloatArray  # sorted distinct finite reference values
    at_or_below: IntArray  # reference values <= distinct[k]
    size: int

    @classmethod
    def from_sample(cls, sample: FloatArray) -> KsReference:
        values = np.sort(sample[np.isfinite(sample)])
        if values.size == 0:
            raise ValueError("the KS reference sample has no finite values")
        distinct = np.unique(values)
        at_or_below = np.searchsorted(values, distinct, side="right").astype(np.int64)
        return cls(distinct=distinct, at_or_below=at_or_below, size=int(values.size))


@dataclass(frozen=True)
class KsResult:
    statistic: float
    p_value: float
    window_size: int
    reference_size: int


def positions(reference: KsReference, values: FloatArray) -> tuple[IntArray, IntArray]:
    """For finite ``values``: how many distinct reference values are < v and <= v."""
    below = np.searchsorted(reference.distinct, values, side="left")
    k = reference.distinct.size
    # v equals distinct[below] exactly when it is a reference value; then one more is <= v.
    hit = below < k
    equal = np.zeros(values.shape, dtype=bool)
    equal[hit] = reference.distinct[below[hit]] == values[hit]
    return below.astype(np.int64), (below + equal).astype(np.int64)


def counts_from_positions(
    reference: KsReference, below: IntArray, at_or_below: IntArray
) -> tuple[IntArray, IntArray]:
    """#(w <= u_k) and #(w < u_k) for every distinct reference value u_k.

    Positions above ``len(distinct)`` (a sentinel for missing values) are ignored.
    w <= u_k  <=>  (number of u < w) <= k;  w < u_k  <=>  (number of u <= w) <= k.
    """
    k = reference.distinct.size
    le = np.cumsum(np.bincount(below, minlength=k + 2)[:k])
    lt = np.cumsum(np.bincount(at_or_below, minlength=k + 2)[:k])
    return le, lt


def counts_from_sorted(reference: KsReference, ordered: FloatArray) -> tuple[IntArray, IntArray]:
    """The same counts from the window's finite values sorted ascending (K lookups)."""
    le = np.searchsorted(ordered, reference.distinct, side="right").astype(np.int64)
    lt = np.searchsorted(ordered, reference.distinct, side="left").astype(np.int64)
    return le, lt


def statistic_from_counts(reference: KsReference, le: IntArray, lt: IntArray, m: int) -> float:
    """The two-sided KS statistic (before scipy's rounding) of a window of ``m`` values."""
    if m == 0:
        raise ValueError("the KS window is empty")
    n = reference.size
    ref_at = reference.at_or_below
    ref_before = np.concatenate(([0], ref_at[:-1]))
    diffs = np.concatenate((le / m - ref_at / n, lt / m - ref_before / n, np.zeros(1)))
    min_s = float(np.clip(-diffs.min(), 0, 1))
    max_s = float(diffs.max())
    return min_s if min_s > max_s else max_s


def statistic_from_positions(
    reference: KsReference, below: IntArray, at_or_below: IntArray
) -> float:
    """The two-sided KS statistic from the window's ``positions``."""
    le, lt = counts_from_positions(reference, below, at_or_below)
    return statistic_from_counts(reference, le, lt, int(below.size))


@lru_cache(maxsize=4096)
def _exact(n1: int, n2: int, d: float) -> tuple[bool, float, float]:
    # scipy's exact two-sided routine; private, so the p-values match ks_2samp's exactly.
    from scipy.stats._stats_py import _attempt_exact_2kssamp

    success, d_rounded, prob = _attempt_exact_2kssamp(n1, n2, math.gcd(n1, n2), d, "two-sided")
    return bool(success), float(d_rounded), float(prob)


def p_value(d: float, n1: int, n2: int) -> tuple[float, float]:
    """(statistic, p-value) as ks_2samp reports them for raw statistic ``d``."""
    if max(n1, n2) <= MAX_EXACT_N:
        success, d, prob = _exact(n1, n2, d)
        if success:
            return d, float(np.clip(prob, 0, 1))
        # like scipy: fall back to the asymptotic formula with the rounded statistic
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    prob = stats.kstwo.sf(d, np.round(en))
    return d, float(np.clip(prob, 0, 1))


def ks_from_counts(reference: KsReference, le: IntArray, lt: IntArray, m: int) -> KsResult:
    d, p = p_value(statistic_from_counts(reference, le, lt, m), m, reference.size)
    return KsResult(statistic=d, p_value=p, window_size=m, reference_size=reference.size)


def ks_test(reference: KsReference, values: FloatArray) -> KsResult:
    """KS test of the finite ``values`` against ``reference`` (sorts the window once)."""
    ordered = np.sort(values[np.isfinite(values)])
    le, lt = counts_from_sorted(reference, ordered)
    return ks_from_counts(reference, le, lt, int(ordered.size))
