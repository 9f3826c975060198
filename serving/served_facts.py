"""What serving needs to know of a version beyond its model: task, input columns, classes.

A version's task and identifier and time columns are its facts
(driftline/version_facts.py): a trained run's parameters, or the record `driftline
profile` keeps for a version a team logged with plain MLflow. An adopted version may
also lean on its reference profile (docs/reference-profile.md) for the input columns
of a version logged without a signature and the classes of a classifier that answers
only its label.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from mlflow.tracking import MlflowClient

from driftline import version_facts
from driftline.loaded_model import LoadedModel
from driftline.registry_contract import PROFILE_ARTIFACT_PATH
from driftline.tasks import TASK_PARAM, TASKS, Task
from reference.column_roles import context_columns
from reference.profile import ReferenceProfile, loads
from serving.feature_schema import (
    Feature,
    FeatureSchema,
    SignatureError,
    from_signature_inputs,
    refusing_missing,
)
from serving.model_task import ModelTaskError, task_of

# A pyfunc model sees a missing value of these as a column MLflow cannot convert.
NOT_NULLABLE_FOR_PYFUNC: Final = frozenset({"long", "integer", "boolean"})
# A pyfunc's one output column of these types is a label, not a number.
LABEL_OUTPUT_TYPES: Final = frozenset({"string", "boolean"})


@dataclass(frozen=True)
class ServedFacts:
    task: Task
    schema: FeatureSchema
    # A classifier's classes in probability order (None for a regression version).
    classes: tuple[Any, ...] | None
    # A classifier that answers only its label (its classes come from its profile).
    label_only: bool = False


def _adopt_hint(loaded: LoadedModel) -> str:
    return (
        f"adopt it with `driftline profile --name {loaded.name} --version {loaded.version} "
        "--data FILE` (docs/bring-your-own-model.md)"
    )


def fetch_profile(client: MlflowClient, run_id: str) -> ReferenceProfile | None:
    """The run's reference profile; None when the run has none. Store errors pass through."""
    if not run_id:
        return None
    folder = PROFILE_ARTIFACT_PATH.rsplit("/", 1)[0]
    if PROFILE_ARTIFACT_PATH not in {a.path for a in client.list_artifacts(run_id, folder)}:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        return loads(
            Path(client.download_artifacts(run_id, PROFILE_ARTIFACT_PATH, tmp)).read_text()
        )


def _profile_params(profile: ReferenceProfile | None) -> dict[str, str]:
    """The profile's task and column roles as the run parameters training records."""
    if profile is None:
        return {}
    return {**profile.roles.run_params(), TASK_PARAM: profile.task}


def _profile_schema(profile: ReferenceProfile, context: tuple[str, ...]) -> FeatureSchema:
    features = tuple(
        Feature(f.name, "double" if f.kind == "numeric" else "string") for f in profile.features
    )
    return FeatureSchema(features, context)


def _schema(
    loaded: LoadedModel, profile: ReferenceProfile | None, context: tuple[str, ...]
) -> FeatureSchema:
    inputs = loaded.signature.inputs if loaded.signature is not None else None
    if inputs is not None:
        return from_signature_inputs(inputs.to_dict(), context)
    if profile is None:
        raise SignatureError(
            f"models:/{loaded.name}/{loaded.version} was logged without an input signature "
            f"and has no reference profile to take its columns from: {_adopt_hint(loaded)}"
        )
    return _profile_schema(profile, context)


def _pyfunc_task(params: Mapping[str, str], loaded: LoadedModel) -> Task:
    """The recorded task (run or profile), else what the model's outputs say."""
    recorded = params.get(TASK_PARAM)
    if recorded is not None:
        for task in TASKS:
            if recorded == task:
                return task
        raise ModelTaskError(f"the version records {TASK_PARAM}={recorded!r}; "
                             f"this server serves {', '.join(TASKS)}")  # fmt: skip
    if loaded.gives_probabilities:
        return "classification"
    outputs = loaded.signature.outputs if loaded.signature is not None else None
    columns = outputs.to_dict() if outputs is not None else []
    if len(columns) == 1 and columns[0].get("type") in LABEL_OUTPUT_TYPES:
        return "classification"
    return "regression"


def _pyfunc_facts(
    loaded: LoadedModel, params: Mapping[str, str], profile: ReferenceProfile | None
) -> ServedFacts:
    task = _pyfunc_task(params, loaded)
    schema = refusing_missing(
        _schema(loaded, profile, context_columns(params)), NOT_NULLABLE_FOR_PYFUNC
    )
    if task == "regression":
        if loaded.gives_probabilities:
            raise ModelTaskError(
                "the version is a regression model but its outputs are one probability "
                f"column per class {list(loaded.classes or ())}"
            )
        return ServedFacts(task, schema, None)
    if loaded.classes is not None:
        return ServedFacts(task, schema, loaded.classes)
    if profile is None or not profile.classes:
        raise ModelTaskError(
            f"models:/{loaded.name}/{loaded.version} is a classifier that answers only its "
            f"label; its classes come from its reference profile: {_adopt_hint(loaded)}"
        )
    return ServedFacts(task, schema, tuple(profile.classes), label_only=True)


def served_facts(client: MlflowClient, loaded: LoadedModel) -> ServedFacts:
    """The one lookup of a version's task, columns and classes for serving."""
    # What driftline knows of the version (driftline/version_facts.py): a trained run's
    # parameters, or an adopted version's record, whose run holds its profile (a run made
    # for a version registered without one is not the run its model files name).
    facts = version_facts.lookup(client, loaded.name, loaded.version)
    if facts is not None:
        params = version_facts.as_run_params(facts)
        profile = fetch_profile(client, facts.run_id) if facts.origin == "adopted" else None
    else:
        # Neither trained nor adopted: what the model's own run records (a team may log a
        # ``task``), and a profile stored there by hand.
        run_params = client.get_run(loaded.run_id).data.params if loaded.run_id else {}
        profile = None if TASK_PARAM in run_params else fetch_profile(client, loaded.run_id)
        params = {**_profile_params(profile), **run_params}
    if loaded.estimator is None:
        return _pyfunc_facts(loaded, params, profile)
    schema = _schema(loaded, profile, context_columns(params))
    task = task_of(params, loaded.estimator)
    return ServedFacts(task, schema, loaded.classes if task == "classification" else None)
