"""Sums of floats kept exactly, so windows of counts merge by addition without drift.

Every finite double is an integer multiple of 2**-1126 (its 53-bit significand
times a power of two no smaller than 2**-1126), so a sum of doubles is an integer
in that unit, held by a Python int with no rounding at all. Adding two such totals
is exact; turning one into a float rounds once, correctly (Python's int / int true
division is correctly rounded), so the result equals ``math.fsum`` of the same
values in any order and any grouping. That is what lets a window merged from
per-interval totals give the same float as the sum over its rows.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

_UNIT_EXPONENT: Final = 1126  # totals are in units of 2**-1126
_HALF: Final = 26  # significands split in two halves so int64 group sums cannot overflow


def exact_total(values: FloatArray) -> int:
    """Σ values in units of 2**-1126, exactly; ``values`` must be finite."""
    x = np.asarray(values, dtype=np.float64)
    x = x[x != 0]
    if x.size == 0:
        return 0
    if not np.isfinite(x).all():
        raise ValueError("exact_total needs finite values")
    mantissa, exponent = np.frexp(x)  # x = mantissa * 2**exponent, 0.5 <= |mantissa| < 1
    significand = (mantissa * 2.0**53).astype(np.int64)  # exact: 53 bits
    order = np.argsort(exponent, kind="stable")
    exponent, significand = exponent[order], significand[order]
    starts = np.flatnonzero(np.r_[True, exponent[1:] != exponent[:-1]])
    high = np.add.reduceat(significand >> _HALF, starts)
    low = np.add.reduceat(significand & ((1 << _HALF) - 1), starts)
    total = 0
    for e, h, lo in zip(exponent[starts].tolist(), high.tolist(), low.tolist(), strict=True):
        total += ((h << _HALF) + lo) << (e - 53 + _UNIT_EXPONENT)
    return total


def rounded(total: int) -> float:
    """The float nearest to an exact total (ties to even), like ``math.fsum``."""
    return total / (1 << _UNIT_EXPONENT)
