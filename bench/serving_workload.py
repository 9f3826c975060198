"""The model and the requests the serving benchmarks share (helper of serving_throughput.py
and request_path_cost.py), so both measure the same model on the same records."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

# Environment variables that point at a store or a server: a benchmark starts without them.
STATE_PREFIXES: Final = ("DRIFTLINE_", "MLFLOW_", "PROMETHEUS_")


def store_env(home: Path) -> dict[str, str]:
    """The environment of a throwaway driftline installation under ``home``."""
    return {
        "DRIFTLINE_HOME": str(home),
        "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}",
        "DRIFTLINE_MODEL_NAME": "churn",
    }


def train_churn(env: Mapping[str, str]) -> str:
    """Train the churn model on 4,000 seeded rows, make it champion; its version."""
    from driftline.config import Settings
    from training.dataset import load
    from training.train import TrainOptions, fit_and_log

    print("training the churn model ...", flush=True)
    result, _ = fit_and_log(
        Settings.from_env(dict(env)), load(None, None, rows=4000, seed=0),
        TrainOptions(seed=0, promote=True),
    )  # fmt: skip
    return str(result.version)


def request_records(count: int = 200) -> list[dict[str, Any]]:
    """``count`` seeded records as a client sends them (None, not NaN, for a missing value)."""
    from training.dataset import load

    frame = load(None, None, rows=count, seed=42).frame
    return [
        {str(k): (None if v != v else v) for k, v in r.items()} for r in frame.to_dict("records")
    ]
