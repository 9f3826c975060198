"""A real MLflow store in a temporary data directory with a trained champion (a classifier,
or a regression model)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from driftline.config import Settings
from training import pipeline
from training.dataset import Dataset, from_frame, load
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


# --- a regression model ---------------------------------------------------------------
# The synthetic churn features with a continuous target, a customer's yearly revenue,
# trained and registered by training/ as `driftline train --task regression` does, so
# the serving tests use the churn records (tests/serving/records.py) for both tasks.

REGRESSION_MODEL_NAME = "revenue"
REGRESSION_TARGET = "yearly_revenue"


def regression_data(rows: int = 3000, seed: int = 0) -> Dataset:
    """The churn features of ``rows`` seeded customers and their yearly revenue."""
    churn = load(None, None, rows=rows, seed=seed)
    x = churn.frame
    rng = np.random.default_rng(seed)
    monthly = x["monthly_charges"].fillna(x["monthly_charges"].median())
    tenure = x["tenure_months"].fillna(0.0)
    premium = (x["contract_type"] == "two-year").astype(float) * 150.0
    noise = rng.normal(0.0, 25.0, len(x))
    table = x.assign(**{REGRESSION_TARGET: 12.0 * monthly + 2.0 * tenure + premium + noise})
    return from_frame(table, REGRESSION_TARGET, source="synthetic-revenue",
                      numeric=churn.numeric, categorical=churn.categorical,
                      task="regression")  # fmt: skip


def regression_pipeline(data: Dataset, regressor: Any) -> Pipeline:
    """Training's preprocessing (training/pipeline.py) with any scikit-learn ``regressor``."""
    preprocess = pipeline.preprocessor(data.numeric, data.categorical)
    return Pipeline([("preprocess", preprocess), ("regressor", regressor)])


@dataclass(frozen=True)
class RegressionStore(TrainedStore):
    model: Pipeline  # the champion as fitted, to compare the server's answers with


def make_regression_store(
    home: Path,
    rows: int = 3000,
    seed: int = 0,
    name: str = REGRESSION_MODEL_NAME,
    estimator: str = "ridge",
) -> RegressionStore:
    """A store whose model ``name`` has a regression pipeline of ``estimator`` as champion."""
    env = {**environment_for(home), "DRIFTLINE_MODEL_NAME": name}
    settings = Settings.from_env(env)
    result, model = fit_and_log(
        settings,
        regression_data(rows, seed),
        TrainOptions(model_kind=estimator, seed=seed, promote=True),
    )
    return RegressionStore(settings=settings, env=env, champion=result, model=model)
