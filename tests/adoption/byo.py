"""A team's own scikit-learn model, logged and registered with plain MLflow (not
`driftline train`), and the file it was trained on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import mlflow
import pandas as pd
from mlflow.models import infer_signature
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from driftline.config import Settings
from tests.support.model_store import environment_for
from training.synthetic import CATEGORICAL_FEATURES, NUMERIC_FEATURES, TARGET, generate

NAME: Final = "byo"
# Fewer columns than the synthetic table has: the signature, not the file, says what
# the model takes; the rest of the file is left out.
NUMERIC: Final = NUMERIC_FEATURES[:6]
CATEGORICAL: Final = CATEGORICAL_FEATURES[:3]


@dataclass(frozen=True)
class ByoStore:
    settings: Settings
    env: dict[str, str]  # a subprocess's environment pointing at this store
    data: Path  # the training file (CSV), all synthetic columns plus an id column
    model: Pipeline  # as fitted, to compare answers with


def team_pipeline() -> Pipeline:
    """Not training/pipeline.py's shape: the team's own preprocessing."""
    return make_pipeline(
        make_column_transformer(
            (StandardScaler(), list(NUMERIC)),
            (OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL)),
        ),
        LogisticRegression(max_iter=500, C=0.5),
    )


def training_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    frame = generate(rows, seed=seed)
    frame.insert(0, "customer_id", [f"C{seed}-{i:06d}" for i in range(rows)])
    return frame


def make_byo_store(home: Path, rows: int = 2000, seed: int = 0) -> ByoStore:
    """Fit the team's pipeline, log it with ``mlflow.sklearn.log_model`` and a signature,
    register it as version 1 of NAME and make it champion through MLflow's own alias."""
    env = {**environment_for(home), "DRIFTLINE_MODEL_NAME": NAME}
    settings = Settings.from_env(env)
    home.mkdir(parents=True, exist_ok=True)
    frame = training_frame(rows, seed)
    data = home / "byo-training.csv"
    frame.to_csv(data, index=False)
    x = frame[[*NUMERIC, *CATEGORICAL]]
    model = team_pipeline().fit(x, frame[TARGET])
    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.registry_uri)
    # Not mlflow.set_experiment: the active experiment is process-wide and would follow
    # later tests into stores that have no such experiment.
    experiment = mlflow.MlflowClient().create_experiment("team-models")
    with mlflow.start_run(experiment_id=experiment):
        mlflow.log_param("C", 0.5)
        mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=NAME,
            signature=infer_signature(x, model.predict_proba(x.head(5))),
            # Nothing to infer (inferring starts a subprocess): this environment.
            pip_requirements=["mlflow", "scikit-learn", "pandas"],
        )
    mlflow.MlflowClient().set_registered_model_alias(NAME, "champion", "1")
    return ByoStore(settings=settings, env=env, data=data, model=model)
