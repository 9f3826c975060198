"""Turn generated rows into the JSON records the inference API takes, with their true labels.

Pure, no I/O. A churn label is the class (0 or 1); a house's label is its price,
a float, posted as a JSON number (a regression version's label).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import count
from typing import Any, Final

import pandas as pd

from traffic.scenarios import Phase
from training import house_prices
from training.synthetic import TARGET, generate

Label = int | float
CHUNK_ROWS: Final = 500


def to_records(frame: pd.DataFrame) -> list[tuple[dict[str, Any], int]]:
    """(record, true label) per row; missing values become JSON null."""
    out: list[tuple[dict[str, Any], int]] = []
    labels = frame[TARGET].tolist()
    for row, label in zip(
        frame.drop(columns=[TARGET]).to_dict(orient="records"), labels, strict=True
    ):
        record = {
            str(k): (None if v is None or (isinstance(v, float) and math.isnan(v)) else v)
            for k, v in row.items()
        }
        out.append((record, int(label)))
    return out


def phase_records(phase: Phase, seed: int) -> Iterator[tuple[dict[str, Any], Label]]:
    """Endless (record, true label) pairs of ``phase``, drawn in seeded chunks."""
    for chunk in count():
        chunk_seed = seed * 100_003 + chunk
        if phase.market is not None:
            yield from house_prices.records(
                CHUNK_ROWS, chunk_seed, scenario=phase.market.scenario, t=phase.market.t
            )
        else:
            yield from to_records(generate(CHUNK_ROWS, seed=chunk_seed, drifts=phase.drifts))
