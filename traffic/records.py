"""Turn generated rows into the JSON records the inference API takes. Pure, no I/O."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from training.synthetic import TARGET


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
