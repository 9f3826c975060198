"""The models and the requests the serving benchmarks share (helper of serving_throughput.py
and request_path_cost.py), so both measure the same models on the same records: the churn
classifier, and a regression model on the same features."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

# Environment variables that point at a store or a server: a benchmark starts without them.
STATE_PREFIXES: Final = ("DRIFTLINE_", "MLFLOW_", "PROMETHEUS_")


# The registered model each task's benchmarks serve: the churn classifier, and a
# regression model on the same features (a customer's yearly revenue).
MODEL_NAMES: Final = {"classification": "churn", "regression": "revenue"}


def store_env(home: Path, task: str = "classification") -> dict[str, str]:
    """The environment of a throwaway driftline installation under ``home``, serving
    the model of ``task``."""
    return {
        "DRIFTLINE_HOME": str(home),
        "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}",
        "DRIFTLINE_MODEL_NAME": MODEL_NAMES[task],
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


def train_regression(env: Mapping[str, str]) -> str:
    """Train the regression model (a Ridge on the churn features predicting a yearly
    revenue; tests/support/model_store.py) on 4,000 seeded rows, make it champion; its
    version."""
    from tests.support.model_store import make_regression_store

    print("training the regression model ...", flush=True)
    home = Path(env["DRIFTLINE_HOME"])
    store = make_regression_store(home, rows=4000, name=MODEL_NAMES["regression"])
    return store.champion.version


def train(env: Mapping[str, str], task: str) -> str:
    """Train the model of ``task`` into the store of ``env``; its version."""
    return train_regression(env) if task == "regression" else train_churn(env)


def request_records(count: int = 200) -> list[dict[str, Any]]:
    """``count`` seeded records as a client sends them (None, not NaN, for a missing value)."""
    from training.dataset import load

    frame = load(None, None, rows=count, seed=42).frame
    return [
        {str(k): (None if v != v else v) for k, v in r.items()} for r in frame.to_dict("records")
    ]
