"""Request records for the churn model, built from the synthetic data set."""

from __future__ import annotations

from typing import Any

from training.dataset import load
from training.synthetic import CATEGORICAL_FEATURES, NUMERIC_FEATURES

FEATURES = (*NUMERIC_FEATURES, *CATEGORICAL_FEATURES)


def records(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """``n`` valid records with JSON-native values (float, str, None)."""
    frame = load(None, None, rows=max(n, 50), seed=seed).frame.head(n)
    out: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    for record in out:
        for name, value in record.items():
            if isinstance(value, float) and value != value:
                record[name] = None
    return out


def one_record() -> dict[str, Any]:
    return records(1)[0]
