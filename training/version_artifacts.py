"""What driftline keeps in a version's run beside the model: reference profile, training
table and a regression version's error estimator; built and written the same way for a
version trained here (training/train.py) and for one adopted (adoption/).

The artifact paths are the registry contract's (docs/registry.md).
"""

from __future__ import annotations

import io
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pandas as pd
from mlflow.tracking import MlflowClient

from driftline.registry_contract import PROFILE_ARTIFACT_PATH
from reference import error_estimator
from reference.error_estimator import ERROR_ESTIMATOR_ARTIFACT_PATH
from reference.profile import (
    ErrorEstimation,
    ReferenceProfile,
    build_profile,
    build_regression_profile,
    dumps,
)
from training.dataset import Dataset
from training.estimation_parts import EstimationParts

# The training table (features + target, and the time column when there is one), so
# retraining can start from what the champion saw without the user's original file.
TRAINING_DATA_ARTIFACT: Final = "data/training.parquet"


def version_profile(
    model_name: str,
    data: Dataset,
    rows: tuple[pd.DataFrame, pd.Series],
    *,
    seed: int,
    holdout_predictions: Sequence[Any],
    classes: Sequence[object] = (),
    holdout_errors: Mapping[str, float] | None = None,
    estimation: EstimationParts | None = None,
    holdout_rows: int = 0,
) -> ReferenceProfile:
    """The reference profile of ``rows`` (the features and target the version was fitted
    on) with the version's answers on its holdout: a classifier's ``holdout_predictions``
    (classes), a regression model's predicted values and ``holdout_errors``."""
    features, target_values = rows
    parts = estimation or EstimationParts()
    common: dict[str, Any] = {
        "model_name": model_name,
        "features": features,
        "numeric": data.numeric,
        "categorical": data.categorical,
        "target": data.target_name,
        "created_at": time.time(),
        "seed": seed,
        "roles": data.roles,
    }
    if data.task == "regression":
        if holdout_errors is None:
            raise ValueError("a regression profile needs the holdout's error figures")
        fitted = parts.error_estimator
        return build_regression_profile(
            **common,
            target_values=target_values,
            holdout_predictions=[float(v) for v in holdout_predictions],
            holdout_errors=holdout_errors,
            error_estimation=None
            if fitted is None
            else ErrorEstimation(
                ERROR_ESTIMATOR_ARTIFACT_PATH,
                holdout_rows,
                fitted.absolute_bias,
                fitted.squared_bias,
            ),
        )
    return build_profile(
        **common,
        classes=list(classes),
        holdout_predictions=list(holdout_predictions),
        calibrator=parts.calibrator,
    )


def training_table(data: Dataset) -> pd.DataFrame:
    """``data``'s features and target, and its time column's values when it has one."""
    table = data.frame.copy()
    y = data.target.astype("float64") if data.task == "regression" else data.target
    table[data.target_name] = y.to_numpy()
    if data.roles.time_column is not None and data.time is not None:
        # Retraining keeps the newest original rows by it (retraining/data_mix.py).
        table[data.roles.time_column] = data.time.to_numpy()
    return table


def log_version_artifacts(
    client: MlflowClient,
    run_id: str,
    profile: ReferenceProfile,
    table: pd.DataFrame,
    estimation: EstimationParts,
) -> None:
    """Write the profile, the training table and any error estimator into run ``run_id``
    (finished or not: artifacts can be added to a run at any time)."""
    _log_bytes(client, run_id, dumps(profile).encode("utf-8"), PROFILE_ARTIFACT_PATH)
    if estimation.error_estimator is not None:
        _log_bytes(
            client,
            run_id,
            error_estimator.dumps(estimation.error_estimator.estimator),
            ERROR_ESTIMATOR_ARTIFACT_PATH,
        )
    parquet = io.BytesIO()
    table.to_parquet(parquet, index=False)
    _log_bytes(client, run_id, parquet.getvalue(), TRAINING_DATA_ARTIFACT)


def has_profile(client: MlflowClient, run_id: str) -> bool:
    """Whether run ``run_id`` holds a reference profile."""
    folder = str(Path(PROFILE_ARTIFACT_PATH).parent)
    return any(f.path == PROFILE_ARTIFACT_PATH for f in client.list_artifacts(run_id, folder))


def read_training_table(client: MlflowClient, run_id: str) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        path = client.download_artifacts(run_id, TRAINING_DATA_ARTIFACT, tmp)
        return pd.read_parquet(Path(path))


def _log_bytes(client: MlflowClient, run_id: str, data: bytes, artifact_path: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(artifact_path).name
        path.write_bytes(data)
        client.log_artifact(run_id, str(path), str(Path(artifact_path).parent))
