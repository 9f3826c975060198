"""Train a pipeline, log it to MLflow with its reference profile, and register it.

The task comes with the data set (training/dataset.py): a classifier logs accuracy,
F1 and ROC AUC on the holdout, a regression model MAE, RMSE, R² and mean error.
Every run logs the run parameter ``task`` (driftline/tasks.py), and the table's
column roles (reference/column_roles.py ``run_params``: serving accepts the
identifier and time columns in a record without passing them to the model). With a time column
the holdout is the newest rows (training/split.py).
"""

from __future__ import annotations

import io
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import mlflow
import pandas as pd
import skops.io as skops_io
from mlflow.models import infer_signature
from sklearn.base import is_regressor
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.pipeline import Pipeline

from driftline import registry
from driftline.config import Settings
from driftline.mlflow_setup import connect, ensure_experiment
from driftline.registry_contract import MODEL_ARTIFACT_NAME, PROFILE_ARTIFACT_PATH
from driftline.tasks import DEFAULT_TASK, TASK_PARAM, Task
from reference import error_estimator
from reference.error_estimator import ERROR_ESTIMATOR_ARTIFACT_PATH
from reference.profile import (
    ErrorEstimation,
    ReferenceProfile,
    build_profile,
    build_regression_profile,
    dumps,
)
from training import pipeline
from training.dataset import Dataset
from training.estimation_parts import ESTIMATION_PARAM, EstimationParts, fit_estimation_parts
from training.estimators import DEFAULT_ESTIMATOR, check_estimator
from training.regression_metrics import regression_errors
from training.split import split

# The training table (features + target) stored with every run, so retraining can
# start from what the champion saw without the user's original file.
TRAINING_DATA_ARTIFACT: Final = "data/training.parquet"
HOLDOUT_SHARE: Final = 0.25
# Numeric features that are booleans (served as JSON booleans).
BOOLEAN_FEATURES_PARAM: Final = "boolean_features"


@dataclass(frozen=True)
class TrainResult:
    model_name: str
    version: str
    run_id: str
    metrics: dict[str, float]
    promoted: bool
    previous_champion: str | None
    task: Task = DEFAULT_TASK
    model_kind: str = "logreg"


@dataclass(frozen=True)
class TrainOptions:
    # The estimator (training/estimators.py); None: the task's default (logreg, ridge).
    model_kind: str | None = None
    seed: int = 0
    promote: bool = False
    run_tags: Mapping[str, str] = field(default_factory=dict)
    run_name: str | None = None


def model_requirements() -> list[str]:
    """The pinned packages a logged model needs, from this environment.

    Given explicitly because MLflow otherwise infers them by re-importing the model
    in a subprocess, which took 20 of 30 seconds of a training run here.
    """
    return [
        f"{name}=={metadata.version(name)}"
        for name in ("mlflow", "scikit-learn", "skops", "numpy", "pandas", "scipy")
    ]


def holdout_metrics(model: Pipeline, x: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    """``model``'s figures on ``x`` against ``y``, by its task.

    A regression model: MAE, RMSE, R² and mean error (training/regression_metrics.py).
    A classifier: accuracy, F1 and ROC AUC; F1 and AUC for the last class.
    """
    if is_regressor(model):
        return regression_errors(y.to_numpy(dtype="float64"), model.predict(x))
    pred = model.predict(x)
    classes = list(model.classes_)
    out = {"accuracy": float(accuracy_score(y, pred))}
    if len(classes) == 2:
        positive = classes[-1]
        out["f1"] = float(f1_score(y, pred, pos_label=positive))
        if y.nunique() == 2:
            proba = model.predict_proba(x)[:, 1]
            out["roc_auc"] = float(roc_auc_score(y == positive, proba))
    else:
        out["f1"] = float(f1_score(y, pred, average="macro"))
    return out


def fit_and_log(
    settings: Settings,
    data: Dataset,
    options: TrainOptions,
    *,
    evaluate_on: tuple[pd.DataFrame, pd.Series] | None = None,
    extra_params: Mapping[str, Any] | None = None,
) -> tuple[TrainResult, Pipeline]:
    """Fit on ``data`` less a holdout (training/split.py), log, register, maybe promote.

    The task is ``data.task``; ``options.model_kind`` must be one of its estimators
    (ValueError otherwise, before anything is logged). ``evaluate_on`` adds metrics on a
    second data set (retraining's recent holdout), logged with a ``recent_`` prefix.
    """
    task = data.task
    kind = check_estimator(options.model_kind or DEFAULT_ESTIMATOR[task], task)
    client = connect(settings)
    experiment_id = ensure_experiment(client, settings)
    # Numeric columns are float64 already (training/dataset.py), so the logged
    # signature says ``double`` for every one of them but the booleans (_as_served).
    x = data.frame
    y = data.target.astype("float64") if task == "regression" else data.target
    x_train, x_hold, y_train, y_hold = split(
        x, y, share=HOLDOUT_SHARE, seed=options.seed, task=task, time=data.time
    )
    model = pipeline.build(kind, data.numeric, data.categorical, options.seed, task)
    started = time.perf_counter()
    model.fit(x_train, y_train)
    fit_seconds = time.perf_counter() - started
    metrics = holdout_metrics(model, x_hold, y_hold)
    estimation = fit_estimation_parts(
        model, x_hold, y_hold, data.numeric, data.categorical, options.seed
    )
    profile = _profile(
        settings, data, options, model, (x_train, y_train, x_hold), metrics, estimation
    )
    metrics["fit_seconds"] = fit_seconds
    metrics.update(estimation.metrics)
    if evaluate_on is not None:
        metrics.update({f"recent_{k}": v for k, v in holdout_metrics(model, *evaluate_on).items()})
    example = x_train.head(3)
    # A classifier serves its probabilities; a regression model one number per row.
    predict_fn = "predict" if task == "regression" else "predict_proba"
    served = _as_served(example, data.boolean)
    signature = infer_signature(served, getattr(model, predict_fn)(example))
    with mlflow.start_run(
        experiment_id=experiment_id, run_name=options.run_name, tags=dict(options.run_tags)
    ) as run:
        mlflow.log_params(
            {
                TASK_PARAM: task,
                "model_kind": kind,
                "seed": options.seed,
                "data_source": data.source,
                "target": data.target_name,
                "numeric_features": ",".join(data.numeric),
                "categorical_features": ",".join(data.categorical),
                "train_rows": len(x_train),
                "holdout_rows": len(x_hold),
                ESTIMATION_PARAM: estimation.status,
                **data.roles.run_params(),
                BOOLEAN_FEATURES_PARAM: ",".join(data.boolean),
                **dict(extra_params or {}),
            }
        )
        mlflow.log_metrics(metrics)
        mlflow.log_text(dumps(profile), PROFILE_ARTIFACT_PATH)
        if estimation.error_estimator is not None:
            _log_bytes(
                error_estimator.dumps(estimation.error_estimator.estimator),
                ERROR_ESTIMATOR_ARTIFACT_PATH,
            )
        table = x.copy()
        table[data.target_name] = y.to_numpy()
        if data.roles.time_column is not None and data.time is not None:
            # Retraining keeps the newest original rows by it (retraining/data_mix.py).
            table[data.roles.time_column] = data.time.to_numpy()
        parquet = io.BytesIO()
        table.to_parquet(parquet, index=False)
        _log_bytes(parquet.getvalue(), TRAINING_DATA_ARTIFACT)
        info = mlflow.sklearn.log_model(
            model,
            name=MODEL_ARTIFACT_NAME,
            signature=signature,
            input_example=served,
            registered_model_name=settings.model_name,
            # skops refuses to load types it was not told to trust; the model was
            # fitted just now by this process, so its own types are the trust list.
            serialization_format="skops",
            skops_trusted_types=skops_io.get_untrusted_types(data=skops_io.dumps(model)),
            pyfunc_predict_fn=predict_fn,
            pip_requirements=model_requirements(),
        )
        run_id = run.info.run_id
    version = str(info.registered_model_version)
    previous = None
    if options.promote:
        previous = registry.promote(client, settings.model_name, version)
    return (
        TrainResult(
            model_name=settings.model_name,
            version=version,
            run_id=run_id,
            metrics=metrics,
            promoted=options.promote,
            previous_champion=previous,
            task=task,
            model_kind=kind,
        ),
        model,
    )


def _error_estimation(estimation: EstimationParts, rows: int) -> ErrorEstimation | None:
    fitted = estimation.error_estimator
    if fitted is None:
        return None
    return ErrorEstimation(
        ERROR_ESTIMATOR_ARTIFACT_PATH, rows, fitted.absolute_bias, fitted.squared_bias
    )


def _log_bytes(data: bytes, artifact_path: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(artifact_path).name
        path.write_bytes(data)
        mlflow.log_artifact(str(path), str(Path(artifact_path).parent))


def _as_served(frame: pd.DataFrame, boolean: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with boolean features as booleans: the signature then says ``boolean``,
    and serving accepts JSON ``true``/``false`` for them (the model sees 1.0/0.0)."""
    out = frame.copy()
    for col in boolean:
        out[col] = out[col].map(lambda v: None if pd.isna(v) else bool(v)).astype("boolean")
    return out


def _profile(
    settings: Settings,
    data: Dataset,
    options: TrainOptions,
    model: Pipeline,
    split: tuple[pd.DataFrame, pd.Series, pd.DataFrame],
    holdout_figures: Mapping[str, float],
    estimation: EstimationParts,
) -> ReferenceProfile:
    """The version's reference profile, from the training rows and holdout inputs in
    ``split``; a regression model's holds ``holdout_figures``."""
    x_train, y_train, x_hold = split
    common: dict[str, Any] = {
        "model_name": settings.model_name,
        "features": x_train,
        "numeric": data.numeric,
        "categorical": data.categorical,
        "target": data.target_name,
        "created_at": time.time(),
        "seed": options.seed,
        "roles": data.roles,
    }
    if data.task == "regression":
        return build_regression_profile(
            **common,
            target_values=y_train,
            holdout_predictions=model.predict(x_hold).tolist(),
            holdout_errors=holdout_figures,
            error_estimation=_error_estimation(estimation, len(x_hold)),
        )
    return build_profile(
        **common,
        classes=list(model.classes_),
        holdout_predictions=list(model.predict(x_hold)),
        calibrator=estimation.calibrator,
    )
