"""A real MLflow store in a temporary data directory with a trained champion."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from driftline.config import Settings
from training.dataset import load
from training.train import TrainOptions, TrainResult, fit_and_log


@dataclass(frozen=True)
class TrainedStore:
    settings: Settings
    env: dict[str, str]  # environment variables pointing a subprocess at this store
    champion: TrainResult


def environment_for(home: Path) -> dict[str, str]:
    uri = f"sqlite:///{home / 'mlflow.db'}"
    # Both URIs: MLflow copies them into os.environ when a test process connects,
    # so a subprocess would otherwise inherit another store's registry.
    return {
        "DRIFTLINE_HOME": str(home),
        "MLFLOW_TRACKING_URI": uri,
        "MLFLOW_REGISTRY_URI": uri,
        "DRIFTLINE_PREDICTION_DB": f"sqlite:///{home / 'predictions.db'}",
        "DRIFTLINE_MODEL_NAME": "churn",
    }


def make_trained_store(home: Path, rows: int = 4000, seed: int = 0) -> TrainedStore:
    env = environment_for(home)
    settings = Settings.from_env(env)
    result, _ = fit_and_log(
        settings, load(None, None, rows=rows, seed=seed), TrainOptions(seed=seed, promote=True)
    )
    return TrainedStore(settings=settings, env=env, champion=result)
