"""Train a pipeline, log it to MLflow with its reference profile, and register it.

The task comes with the data set (training/dataset.py): a classifier logs accuracy,
F1 and ROC AUC on the holdout, a regression model MAE, RMSE, R² and mean error.
Every run logs the run parameter ``task`` (driftline/tasks.py), and the table's
column roles (reference/column_roles.py ``run_params``: serving accepts the
identifier and time columns in a record without passing them to the model). With a time column
the holdout is the newest rows (training/split.py).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Final

import mlflow
import numpy as np
import pandas as pd
import skops.io as skops_io
from mlflow.models import infer_signature
from sklearn.base import is_regressor
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.pipeline import Pipeline

from driftline import registry
from driftline.config import Settings
from driftline.mlflow_setup import connect, ensure_experiment
from driftline.registry_contract import MODEL_ARTIFACT_NAME
from driftline.tasks import DEFAULT_TASK, TASK_PARAM, Task
from driftline.version_facts import (
    BOOLEAN_PARAM,
    CATEGORICAL_PARAM,
    ESTIMATOR_PARAM,
    NUMERIC_PARAM,
    TARGET_PARAM,
)
from reference.profile import category_key
from training import pipeline
from training.dataset import Dataset
from training.estimation_parts import ESTIMATION_PARAM, fit_estimation_parts
from training.estimators import CLONED_ESTIMATOR, DEFAULT_ESTIMATOR, check_estimator
from training.regression_metrics import regression_errors
from training.split import split
from training.version_artifacts import log_version_artifacts, training_table, version_profile

HOLDOUT_SHARE: Final = 0.25


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
    # An unfitted scikit-learn estimator to fit instead of ``model_kind``'s pipeline:
    # retraining's clone of an adopted champion, recorded as CLONED_ESTIMATOR.
    estimator: Any = None


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
    """A scikit-learn ``model``'s figures on ``x`` against ``y``, by its task
    (``answer_metrics``)."""
    if is_regressor(model):
        return answer_metrics("regression", y, model.predict(x))
    proba = model.predict_proba(x) if hasattr(model, "predict_proba") else None
    return answer_metrics(
        "classification", y, model.predict(x), classes=list(model.classes_), probabilities=proba
    )


def answer_metrics(
    task: Task,
    y: pd.Series,
    predicted: Any,
    *,
    classes: Sequence[object] = (),
    probabilities: np.ndarray | None = None,
) -> dict[str, float]:
    """The figures of a model's answers ``predicted`` against ``y``, by ``task``.

    A regression model: MAE, RMSE, R² and mean error (training/regression_metrics.py).
    A classifier: accuracy and F1, and ROC AUC from ``probabilities`` (columns in
    ``classes`` order) when it gives them; F1 and AUC for the last class of two.
    """
    if task == "regression":
        return regression_errors(y.to_numpy(dtype="float64"), np.asarray(predicted))
    # Compared by class text, as the exporter compares labels: a pyfunc's classes are
    # its output columns' names whatever the target's type.
    truth = y.map(category_key)
    answers = pd.Series(np.asarray(predicted), index=y.index).map(category_key)
    out = {"accuracy": float(accuracy_score(truth, answers))}
    if len(classes) == 2:
        positive = category_key(classes[-1])
        out["f1"] = float(f1_score(truth, answers, pos_label=positive))
        if truth.nunique() == 2 and probabilities is not None:
            out["roc_auc"] = float(roc_auc_score(truth == positive, probabilities[:, 1]))
    else:
        out["f1"] = float(f1_score(truth, answers, average="macro"))
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
    (ValueError otherwise, before anything is logged) unless ``options.estimator`` is
    given. ``evaluate_on`` adds metrics on a second data set (retraining's recent
    holdout), logged with a ``recent_`` prefix; a regression profile's holdout errors
    are then those figures.
    """
    task = data.task
    if options.estimator is None:
        kind = check_estimator(options.model_kind or DEFAULT_ESTIMATOR[task], task)
        model = pipeline.build(kind, data.numeric, data.categorical, options.seed, task)
    else:
        kind, model = CLONED_ESTIMATOR, options.estimator
    client = connect(settings)
    experiment_id = ensure_experiment(client, settings)
    # Numeric columns are float64 already (training/dataset.py), so the logged
    # signature says ``double`` for every one of them but the booleans (_as_served).
    x = data.frame
    y = data.target.astype("float64") if task == "regression" else data.target
    x_train, x_hold, y_train, y_hold = split(
        x, y, share=HOLDOUT_SHARE, seed=options.seed, task=task, time=data.time
    )
    started = time.perf_counter()
    model.fit(x_train, y_train)
    fit_seconds = time.perf_counter() - started
    metrics = holdout_metrics(model, x_hold, y_hold)
    estimation = fit_estimation_parts(
        model, x_hold, y_hold, data.numeric, data.categorical, options.seed
    )
    is_regression = task == "regression"
    recent = None if evaluate_on is None else holdout_metrics(model, *evaluate_on)
    # The error a live window is judged against: for a retrained version, its error on
    # the recent holdout, the traffic it was retrained for. Its own holdout also holds
    # original rows (up to a fifth of the set, often another price level), whose lower
    # error put the line below what the version reaches on today's traffic, and the
    # error alert came back after a successful retrain (docs/alerting.md).
    reference_errors = metrics if recent is None else recent
    profile = version_profile(
        settings.model_name,
        data,
        (x_train, y_train),
        seed=options.seed,
        holdout_predictions=list(model.predict(x_hold)),
        classes=() if is_regression else list(model.classes_),
        holdout_errors=reference_errors if is_regression else None,
        estimation=estimation,
        holdout_rows=len(x_hold),
    )
    metrics["fit_seconds"] = fit_seconds
    metrics.update(estimation.metrics)
    if recent is not None:
        metrics.update({f"recent_{k}": v for k, v in recent.items()})
    example = x_train.head(3)
    # A classifier serves its probabilities (when its estimator gives them); a
    # regression model one number per row.
    predict_fn = "predict_proba" if _has_probabilities(model, task) else "predict"
    served = _as_served(example, data.boolean)
    signature = infer_signature(served, getattr(model, predict_fn)(example))
    with mlflow.start_run(
        experiment_id=experiment_id, run_name=options.run_name, tags=dict(options.run_tags)
    ) as run:
        mlflow.log_params(
            {
                TASK_PARAM: task,
                ESTIMATOR_PARAM: kind,
                "seed": options.seed,
                "data_source": data.source,
                TARGET_PARAM: data.target_name,
                NUMERIC_PARAM: ",".join(data.numeric),
                CATEGORICAL_PARAM: ",".join(data.categorical),
                "train_rows": len(x_train),
                "holdout_rows": len(x_hold),
                ESTIMATION_PARAM: estimation.status,
                **data.roles.run_params(),
                BOOLEAN_PARAM: ",".join(data.boolean),
                **dict(extra_params or {}),
            }
        )
        mlflow.log_metrics(metrics)
        log_version_artifacts(client, run.info.run_id, profile, training_table(data), estimation)
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


def _has_probabilities(model: Any, task: Task) -> bool:
    return task == "classification" and hasattr(model, "predict_proba")


def _as_served(frame: pd.DataFrame, boolean: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with boolean features as booleans: the signature then says ``boolean``,
    and serving accepts JSON ``true``/``false`` for them (the model sees 1.0/0.0)."""
    out = frame.copy()
    for col in boolean:
        out[col] = out[col].map(lambda v: None if pd.isna(v) else bool(v)).astype("boolean")
    return out
