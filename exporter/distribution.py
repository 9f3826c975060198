"""A feature's reference and window shares per bucket, labelled for people: pure, no I/O."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

from exporter.prepared import PreparedCategorical, PreparedNumeric
from exporter.results import Distribution

IntArray = npt.NDArray[np.int64]

UNSEEN = "unseen"


def _edge(value: float) -> str:
    return f"{value:.4g}"


def bin_labels(edges: npt.NDArray[np.float64]) -> tuple[str, ...]:
    """Labels of the ``len(edges) + 1`` bins of reference/binning.py (right-closed)."""
    if edges.size == 0:
        return ("all values",)
    labels = [f"≤ {_edge(edges[0])}"]
    labels += [f"{_edge(lo)} to {_edge(hi)}" for lo, hi in itertools.pairwise(edges)]
    labels.append(f"> {_edge(edges[-1])}")
    return tuple(labels)


def _shares(counts: IntArray) -> tuple[float, ...]:
    total = int(counts.sum())
    if total == 0:
        return tuple(0.0 for _ in counts)
    return tuple(float(c) / total for c in counts)


def numeric_distribution(ref: PreparedNumeric, bins: IntArray) -> Distribution:
    return Distribution(
        buckets=bin_labels(ref.edges),
        reference=tuple(float(f) for f in ref.fractions),
        window=_shares(bins),
    )


def categorical_distribution(ref: PreparedCategorical, counts: IntArray) -> Distribution:
    """``counts``: codes 0..K-1 then the unseen bucket (window_counts.WindowCounts)."""
    return Distribution(
        buckets=(*ref.categories, UNSEEN),
        reference=tuple(float(s) for s in ref.shares),
        window=_shares(counts),
    )
