"""The bounded reference of a high-cardinality categorical feature: top categories + "other".

PSI sums one term per bucket, and each term carries sampling noise of about 1/n on a
window of n values, so a feature with 5,000 categories scores a PSI of several units
on unshifted traffic (the 0.2 drift threshold means nothing there), and a profile
listing every zip code grows with the data. So a feature with more than
``MAX_CATEGORIES`` distinct values keeps its ``MAX_CATEGORIES`` most frequent
categories by name; the rest are folded into one "other" bucket with their joint
share. With 30 + 2 buckets (other, unseen) the noise is about 0.03 on a 1,000-value
window, well under the verdict's thresholds.

A folded category was seen in training, so live values of it count as "other", not
as unseen. The profile remembers folded categories by a 4-byte hash of their key
(blake2b), the ``MAX_REMEMBERED`` most frequent of them: about 27 kB of JSON for
5,000 categories, at most 107 kB. A value whose hash is not remembered is unseen;
a truly new value collides with a remembered hash with odds under
``MAX_REMEMBERED`` / 2^32 (5e-6). Categories beyond ``MAX_REMEMBERED`` (the rarest)
count as unseen in production; the profile records their share as
``forgotten_share`` so the size of that effect is on record.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

MAX_CATEGORIES: Final = 30
MAX_REMEMBERED: Final = 20_000
# The bucket's name in reports; its share lives apart from the category shares, so
# a real category spelled this way is never confused with it.
OTHER_LABEL: Final = "(other)"


def category_hash(key: str) -> int:
    """The 32-bit hash a folded category is remembered by."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=4).digest(), "little")


def pack_hashes(hashes: Iterable[int]) -> str:
    """Sorted hashes as base64 of little-endian uint32s: compact and exact in JSON."""
    arr = np.sort(np.fromiter(hashes, dtype="<u4"))
    return base64.b64encode(arr.tobytes()).decode("ascii")


def unpack_hashes(text: str) -> tuple[int, ...]:
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    if len(raw) % 4:
        raise ValueError("packed hashes are not a whole number of 4-byte values")
    return tuple(int(h) for h in np.frombuffer(raw, dtype="<u4"))


@dataclass(frozen=True)
class OtherBucket:
    """The folded categories of a high-cardinality feature."""

    share: float  # of the feature's non-missing training values
    categories: int  # how many distinct categories were folded
    hashes: tuple[int, ...]  # category_hash of the MAX_REMEMBERED most frequent of them
    forgotten_share: float = 0.0  # share of the folded values not remembered


@dataclass(frozen=True)
class BoundedCounts:
    frequencies: dict[str, float]  # kept category -> share of non-missing values
    other: OtherBucket | None  # None when every category is kept


def bound(
    counts: pd.Series, max_categories: int = MAX_CATEGORIES, max_remembered: int = MAX_REMEMBERED
) -> BoundedCounts:
    """Shares of the categories in ``counts`` (key -> count), folded past ``max_categories``."""
    total = int(counts.sum())
    if total == 0:
        return BoundedCounts({}, None)
    # Most frequent first; ties by key, so the kept set does not depend on row order.
    ordered = sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    kept = ordered if len(ordered) <= max_categories else ordered[:max_categories]
    freqs = {str(k): int(v) / total for k, v in sorted(kept)}
    if len(kept) == len(ordered):
        return BoundedCounts(freqs, None)
    folded = ordered[max_categories:]
    remembered = folded[:max_remembered]
    forgotten = sum(int(v) for _, v in folded[max_remembered:])
    return BoundedCounts(
        freqs,
        OtherBucket(
            share=sum(int(v) for _, v in folded) / total,
            categories=len(folded),
            hashes=tuple(sorted({category_hash(str(k)) for k, _ in remembered})),
            forgotten_share=forgotten / total,
        ),
    )
