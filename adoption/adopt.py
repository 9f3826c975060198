"""Adopt a registered version: give it what driftline gives the versions it trains.

From the data the version was trained on: its reference profile and training table
(artifacts of its run; a version registered without a run gets one made), the
estimation parts where the model allows (a calibrator needs probabilities of two
classes), and the record of its facts (driftline/version_facts.py) in the
model-version tag ``driftline.adopted``. Its predictions come through its own
flavor (driftline/loaded_model.py), so a plain pyfunc model is adopted as a
scikit-learn one is.

Every refusal (``AdoptionError``) comes before anything is written. The holdout the
profile's predictions and the estimation parts are made on is training's split of
the data (training/split.py): by time with a time column, else at random.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from sklearn.base import is_classifier, is_regressor

from adoption.signature_columns import SignatureColumnsError, signature_columns
from adoption.version_data import AdoptionDataError, VersionData, version_data
from driftline.config import Settings
from driftline.loaded_model import LoadedModel, load_registered
from driftline.mlflow_setup import connect, ensure_experiment
from driftline.registry_contract import ADOPTED_TAG
from driftline.tasks import Task
from driftline.version_facts import VersionFacts, from_record, to_record
from reference.profile import category_key
from reference.role_flags import RoleFlags
from training.dataset import DatasetError, read_table
from training.estimation_parts import EstimationParts, classifier_parts, regressor_parts
from training.regression_metrics import regression_errors
from training.split import split
from training.train import HOLDOUT_SHARE
from training.version_artifacts import (
    has_profile,
    log_version_artifacts,
    training_table,
    version_profile,
)

# Tag on a run `driftline profile` made for a version registered without one.
MADE_FOR_TAG = "driftline.made_for"


class AdoptionError(ValueError):
    """The version cannot be adopted with this data; nothing was written."""


@dataclass(frozen=True)
class AdoptRequest:
    version: str
    data: Path
    target: str | None = None
    roles: RoleFlags = field(default_factory=RoleFlags)
    task: Task | None = None
    replace: bool = False
    seed: int = 0


@dataclass(frozen=True)
class Adoption:
    facts: VersionFacts
    rows: int  # in the profile
    holdout_rows: int
    estimation: str  # what the estimation parts are, or why there are none
    run_created: bool
    notes: tuple[str, ...]


def _model_version(client: MlflowClient, name: str, version: str) -> Any:
    try:
        return client.get_model_version(name, version)
    except MlflowException as exc:
        raise AdoptionError(f"model {name!r} has no version {version!r}") from exc


def _existing_profile(client: MlflowClient, mv: Any) -> str | None:
    if ADOPTED_TAG in (mv.tags or {}):
        return f"it is adopted already (tag {ADOPTED_TAG})"
    if mv.run_id and has_profile(client, str(mv.run_id)):
        return f"its run {mv.run_id} holds one"
    return None


def _model_task(model: LoadedModel) -> tuple[Task | None, str]:
    """The task the model itself states, and how it says so."""
    if model.estimator is not None:
        if is_regressor(model.estimator):
            return "regression", "the model is a scikit-learn regressor"
        if is_classifier(model.estimator) or hasattr(model.estimator, "classes_"):
            return "classification", "the model is a scikit-learn classifier"
    elif model.classes is not None:
        return "classification", "the model gives class probabilities"
    return None, ""


def _estimator_name(model: LoadedModel) -> str:
    if model.estimator is None:
        return "mlflow.pyfunc"
    kind = type(model.estimator)
    return f"{kind.__module__}.{kind.__qualname__}"


def _classes(model: LoadedModel, y: pd.Series, predicted: np.ndarray) -> tuple[Any, ...]:
    """The probability columns' classes when it gives them, else scikit-learn's
    ``classes_``, else every class the target and the answers hold."""
    if model.classes is not None:
        return tuple(model.classes)
    found = getattr(model.estimator, "classes_", None)
    if found is not None:
        return tuple(found)
    return tuple(sorted({*map(category_key, y), *map(category_key, predicted)}))


def _load(settings: Settings, name: str, version: str) -> LoadedModel:
    try:
        return load_registered(settings.tracking_uri, settings.registry_uri, name, version)
    except Exception as exc:  # MLflow and the model's own code raise anything
        raise AdoptionError(
            f"cannot load model {name!r} version {version}: {type(exc).__name__}: {exc}"
        ) from exc


def _decide_data(
    request: AdoptRequest, model: LoadedModel
) -> tuple[pd.DataFrame, VersionData, str]:
    """The file as read, the data set made of it, and how its task was decided."""
    try:
        frame = read_table(request.data)
    except DatasetError as exc:
        raise AdoptionError(str(exc)) from exc
    model_task, why = _model_task(model)
    if request.task is not None and model_task is not None and request.task != model_task:
        raise AdoptionError(f"--task {request.task}, but {why}")
    task = request.task or model_task
    inputs = model.signature.inputs if model.signature is not None else None
    try:
        columns = None if inputs is None else signature_columns(inputs.to_dict())
        decided = version_data(frame, target=request.target, signature=columns,
                               flags=request.roles, task=task,
                               source=str(request.data))  # fmt: skip
    except (SignatureColumnsError, AdoptionDataError) as exc:
        raise AdoptionError(str(exc)) from exc
    how = "--task" if request.task else (why or decided.data.task_choice.describe())
    return frame, decided, f"task: {decided.data.task} ({how})"


def _answers(model: LoadedModel, rows: pd.DataFrame, source: str) -> tuple[Any, Any]:
    """(values, probabilities or None) on ``rows``; the model's own error if it fails."""
    try:
        return model.predict_values(rows), model.predict_proba(rows)
    except Exception as exc:  # whatever the model raises is the message the user needs
        raise AdoptionError(
            f"model {model.name!r} version {model.version} cannot predict on {source}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


def _run_for(client: MlflowClient, settings: Settings, mv: Any) -> tuple[str, bool]:
    """The version's run, the one made for it when it was adopted before, or a new one
    made for its artifacts (True)."""
    if mv.run_id:
        return str(mv.run_id), False
    record = (mv.tags or {}).get(ADOPTED_TAG)
    if record is not None:
        return from_record(record, f"model {mv.name!r} version {mv.version}").run_id, False
    run = client.create_run(
        ensure_experiment(client, settings),
        run_name=f"adopt-{mv.name}-v{mv.version}",
        tags={MADE_FOR_TAG: f"{mv.name}/{mv.version}"},
    )
    client.set_terminated(run.info.run_id)
    return str(run.info.run_id), True


def adopt(settings: Settings, request: AdoptRequest) -> Adoption:
    """Adopt ``request.version`` of ``settings.model_name``; AdoptionError for a refusal."""
    client = connect(settings)
    name = settings.model_name
    mv = _model_version(client, name, request.version)
    existing = _existing_profile(client, mv)
    if existing is not None and not request.replace:
        raise AdoptionError(
            f"model {name!r} version {request.version} has a reference profile already "
            f"({existing}); pass --replace to overwrite it"
        )
    model = _load(settings, name, request.version)
    frame, decided, task_note = _decide_data(request, model)
    data = decided.data
    source = str(request.data)
    # The model is given its inputs as the file has them (its signature's types); the
    # profile is made of them as driftline reads them (training/dataset.py).
    inputs = frame.loc[data.frame.index, list(decided.inputs)]
    _, x_hold, _, y_hold = split(
        data.frame, data.target, share=HOLDOUT_SHARE, seed=request.seed, task=data.task,
        time=data.time,
    )  # fmt: skip
    predicted, proba = _answers(model, inputs.loc[x_hold.index], source)
    parts: EstimationParts
    if data.task == "regression":
        values = np.asarray(predicted, dtype=np.float64)
        y_hold = y_hold.astype("float64")
        errors = regression_errors(y_hold.to_numpy(), values)
        parts = regressor_parts(x_hold, y_hold, values, data.numeric, data.categorical,
                                request.seed)  # fmt: skip
        classes: tuple[Any, ...] = ()
    else:
        errors = None
        classes = _classes(model, data.target, predicted)
        parts = classifier_parts(classes, proba, y_hold, request.seed)
    profile = version_profile(
        name, data, (data.frame, data.target), seed=request.seed,
        holdout_predictions=list(predicted), classes=classes, holdout_errors=errors,
        estimation=parts, holdout_rows=len(x_hold),
    )  # fmt: skip
    run_id, created = _run_for(client, settings, mv)
    facts = VersionFacts(
        origin="adopted",
        run_id=run_id,
        task=data.task,
        target=data.target_name,
        numeric=data.numeric,
        categorical=data.categorical,
        boolean=data.boolean,
        id_columns=data.roles.id_columns,
        time_column=data.roles.time_column,
        estimator=_estimator_name(model),
        columns_from=decided.columns_from,
    )
    log_version_artifacts(client, run_id, profile, training_table(data), parts)
    client.set_model_version_tag(
        name, request.version, ADOPTED_TAG,
        to_record(facts, adopted_at=time.time(), data_source=source),
    )  # fmt: skip
    return Adoption(
        facts=facts,
        rows=len(data.frame),
        holdout_rows=len(x_hold),
        estimation=parts.status,
        run_created=created,
        notes=(task_note, *decided.notes),
    )
