"""What driftline knows about a registered version, trained here or adopted: one answer.

Retraining, serving and the exporter need a version's task, target, feature columns by
kind, booleans, identifier and time columns, estimator and the run that holds its
reference profile and training table. Two kinds of versions carry them differently:

- **trained** by `driftline train` or a retrain (training/train.py): the run's
  parameters, named below (``TRAINED_RUN_PARAMS``);
- **adopted** with `driftline profile` (adoption/): the model-version tag
  ``ADOPTED_TAG``, a JSON record (``to_record``). The run is the team's own and
  already has parameters of its own, which MLflow never lets anyone change; and a
  version registered without a run gets one made for its artifacts, which the
  record names, since a version's run cannot be changed either.

A version that is neither has no facts: ``require`` says how to adopt it.
Documented in docs/bring-your-own-model.md and docs/registry.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from driftline.registry_contract import ADOPTED_TAG
from driftline.tasks import DEFAULT_TASK, TASK_PARAM, TASKS, Task

if TYPE_CHECKING:  # MLflow is imported by the callers that reach a store, not by the names
    from mlflow.tracking import MlflowClient

# The run parameters training logs (training/train.py); column roles' own three are
# written by reference/column_roles.py ``ColumnRoles.run_params`` under these names.
TARGET_PARAM: Final = "target"
NUMERIC_PARAM: Final = "numeric_features"
CATEGORICAL_PARAM: Final = "categorical_features"
# Numeric features whose values are booleans (served as JSON booleans).
BOOLEAN_PARAM: Final = "boolean_features"
ESTIMATOR_PARAM: Final = "model_kind"
ID_COLUMNS_PARAM: Final = "id_columns"
TIME_COLUMN_PARAM: Final = "time_column"
DROPPED_COLUMNS_PARAM: Final = "dropped_columns"
# A run with these was made by driftline's training (runs from before the task was
# recorded have no ``task`` and are classifiers).
TRAINED_RUN_PARAMS: Final = (TARGET_PARAM, ESTIMATOR_PARAM)

RECORD_FORMAT: Final = "driftline.version-facts"
RECORD_VERSION: Final = 1

Origin = Literal["trained", "adopted"]
# Where the feature columns came from: training's data set, an adopted model's
# signature, or (no signature) the adopted data's columns.
ColumnsSource = Literal["training", "signature", "data"]
COLUMNS_SOURCES: Final[tuple[ColumnsSource, ...]] = ("training", "signature", "data")


class FactsError(ValueError):
    """The version's facts are missing or unreadable; the message says what to do."""


@dataclass(frozen=True)
class VersionFacts:
    origin: Origin
    run_id: str  # the run holding the reference profile and the training table
    task: Task
    target: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    boolean: tuple[str, ...] = ()  # among ``numeric``
    id_columns: tuple[str, ...] = ()
    time_column: str | None = None
    # Trained: training's estimator kind (training/estimators.py); adopted: the
    # model's class (``sklearn.pipeline.Pipeline``) or ``mlflow.pyfunc``.
    estimator: str = ""
    columns_from: ColumnsSource = "training"

    @property
    def features(self) -> tuple[str, ...]:
        return (*self.numeric, *self.categorical)

    @property
    def context_columns(self) -> tuple[str, ...]:
        """Columns a served record may carry beside the features: identifiers, then time."""
        return (*self.id_columns, *((self.time_column,) if self.time_column else ()))


def adoption_command(name: str, version: str) -> str:
    """The command that gives ``version`` of ``name`` what driftline needs."""
    return (
        f"driftline profile --name {name} --version {version} --data TRAINING_FILE --target COLUMN"
    )


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(c for c in (value or "").split(",") if c)


def _task(value: object, where: str) -> Task:
    for task in TASKS:
        if value == task:
            return task
    raise FactsError(f"{where} names an unknown task {value!r} (known: {', '.join(TASKS)})")


def from_run_params(params: Mapping[str, str], run_id: str) -> VersionFacts | None:
    """A trained version's facts from its run's parameters; None for any other run."""
    if not all(p in params for p in TRAINED_RUN_PARAMS):
        return None
    return VersionFacts(
        origin="trained",
        run_id=run_id,
        task=_task(params.get(TASK_PARAM, DEFAULT_TASK), f"run {run_id}'s {TASK_PARAM}"),
        target=params[TARGET_PARAM],
        numeric=_names(params.get(NUMERIC_PARAM)),
        categorical=_names(params.get(CATEGORICAL_PARAM)),
        boolean=_names(params.get(BOOLEAN_PARAM)),
        id_columns=_names(params.get(ID_COLUMNS_PARAM)),
        time_column=params.get(TIME_COLUMN_PARAM) or None,
        estimator=params[ESTIMATOR_PARAM],
    )


def as_run_params(facts: VersionFacts) -> dict[str, str]:
    """``facts`` under the run parameters training writes (``from_run_params`` reads them
    back), for readers written against a trained run's parameters."""
    return {
        TASK_PARAM: facts.task,
        TARGET_PARAM: facts.target,
        NUMERIC_PARAM: ",".join(facts.numeric),
        CATEGORICAL_PARAM: ",".join(facts.categorical),
        BOOLEAN_PARAM: ",".join(facts.boolean),
        ESTIMATOR_PARAM: facts.estimator,
        ID_COLUMNS_PARAM: ",".join(facts.id_columns),
        TIME_COLUMN_PARAM: facts.time_column or "",
    }


def to_record(facts: VersionFacts, *, adopted_at: float, data_source: str) -> str:
    """The JSON of ``ADOPTED_TAG``: ``facts`` with when and from what file they were made."""
    return json.dumps(
        {
            "format": RECORD_FORMAT,
            "format_version": RECORD_VERSION,
            "origin": facts.origin,
            "run_id": facts.run_id,
            "task": facts.task,
            "target": facts.target,
            "numeric": list(facts.numeric),
            "categorical": list(facts.categorical),
            "boolean": list(facts.boolean),
            "id_columns": list(facts.id_columns),
            "time_column": facts.time_column,
            "estimator": facts.estimator,
            "columns_from": facts.columns_from,
            "adopted_at": adopted_at,
            "data_source": data_source,
        },
        sort_keys=True,
    )


def from_record(text: str, where: str) -> VersionFacts:
    """An adopted version's facts from its ``ADOPTED_TAG``; FactsError if it is not one."""
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FactsError(f"{where}: tag {ADOPTED_TAG} is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != RECORD_FORMAT:
        raise FactsError(f"{where}: tag {ADOPTED_TAG} is not a {RECORD_FORMAT} record")
    if doc.get("format_version") != RECORD_VERSION:
        raise FactsError(
            f"{where}: tag {ADOPTED_TAG} has format_version {doc.get('format_version')!r}; "
            f"this driftline reads {RECORD_VERSION}"
        )
    columns_from = doc.get("columns_from")
    if columns_from not in COLUMNS_SOURCES:
        raise FactsError(f"{where}: tag {ADOPTED_TAG} has columns_from {columns_from!r}")
    try:
        return VersionFacts(
            origin="adopted",
            run_id=str(doc["run_id"]),
            task=_task(doc["task"], f"{where}: tag {ADOPTED_TAG}"),
            target=str(doc["target"]),
            numeric=tuple(map(str, doc["numeric"])),
            categorical=tuple(map(str, doc["categorical"])),
            boolean=tuple(map(str, doc["boolean"])),
            id_columns=tuple(map(str, doc["id_columns"])),
            time_column=None if doc["time_column"] is None else str(doc["time_column"]),
            estimator=str(doc["estimator"]),
            columns_from=columns_from,
        )
    except (KeyError, TypeError) as exc:
        raise FactsError(f"{where}: tag {ADOPTED_TAG} lacks {exc}") from exc


def lookup(client: MlflowClient, name: str, version: str) -> VersionFacts | None:
    """The facts of ``version`` of ``name``; None when it was neither trained nor adopted.

    MlflowException when the version does not exist or the store cannot be reached.
    """
    mv = client.get_model_version(name, version)
    where = f"model {name!r} version {version}"
    record = (mv.tags or {}).get(ADOPTED_TAG)
    if record is not None:
        return from_record(record, where)
    if not mv.run_id:
        return None
    return from_run_params(client.get_run(mv.run_id).data.params, str(mv.run_id))


def require(client: MlflowClient, name: str, version: str) -> VersionFacts:
    """``lookup``, with a FactsError saying how to adopt a version driftline knows nothing of."""
    from mlflow.exceptions import MlflowException

    try:
        facts = lookup(client, name, version)
    except MlflowException as exc:
        raise FactsError(f"model {name!r} version {version}: {exc.message}") from exc
    if facts is None:
        raise FactsError(
            f"model {name!r} version {version} was not trained by driftline and has not been "
            f"adopted, so driftline does not know its target, features or reference profile; "
            f"adopt it: {adoption_command(name, version)} (docs/bring-your-own-model.md)"
        )
    return facts
