"""Outcomes several layers name have one definition, driftline/outcomes.py; the rest derive.

mypy cannot build a ``Literal`` from a tuple, so these tests hold each ``Literal``
equal to its tuple, and every other spelling equal to (or made from) them.
"""

from __future__ import annotations

from typing import get_args, get_type_hints

import pytest

from driftline import metric_catalog, outcomes
from driftline.outcomes import LABEL_OUTCOMES, RELOAD_OUTCOMES, LabelOutcome, ReloadOutcome
from driftline.tasks import DEFAULT_TASK, TASKS, Task
from predictionlog import records
from serving import openapi, runtime
from tests.serving.openapi_check import feedback_statuses


def test_each_literal_spells_its_tuple_in_order() -> None:
    assert get_args(LabelOutcome) == LABEL_OUTCOMES
    assert get_args(ReloadOutcome) == RELOAD_OUTCOMES


def test_metric_label_values_are_the_outcomes() -> None:
    feedback = metric_catalog.FEEDBACK_OUTCOMES
    assert feedback == (*LABEL_OUTCOMES, "invalid")
    assert metric_catalog.RELOAD_OUTCOMES is RELOAD_OUTCOMES


def test_the_prediction_log_answers_with_the_ground_floor_type() -> None:
    assert records.LabelOutcome is LabelOutcome


def test_the_runtime_returns_the_reload_outcomes() -> None:
    # By value, wherever serving/runtime.py takes the type from (driftline/outcomes.py).
    returned = get_type_hints(runtime.ServingRuntime.check_registry)["return"]
    assert get_args(returned) == RELOAD_OUTCOMES


def test_openapi_statuses_are_label_outcomes() -> None:
    single, batch = feedback_statuses(openapi.document("churn", None, None))
    assert tuple(batch) == LABEL_OUTCOMES
    assert single == ["recorded", "duplicate"]


def test_openapi_statuses_follow_the_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    """The document reads the outcomes when built: a changed definition changes it."""
    changed = (*LABEL_OUTCOMES, "withdrawn")
    monkeypatch.setattr(openapi, "LABEL_OUTCOMES", changed)
    monkeypatch.setattr(openapi, "SINGLE_LABEL_STATUSES", ("recorded",))
    single, batch = feedback_statuses(openapi.document("churn", None, None))
    assert (tuple(batch), single) == (changed, ["recorded"])


def test_the_definitions_import_only_the_standard_typing() -> None:
    """The lowest module of the lowest layer: every layer may import it, it imports none."""
    source = outcomes.__file__
    assert source is not None
    with open(source) as module:
        imported = {line.split()[1] for line in module if line.startswith(("import ", "from "))}
    assert imported <= {"__future__", "typing"}, imported


def test_tasks_are_one_definition() -> None:
    assert get_args(Task) == TASKS
    assert DEFAULT_TASK in TASKS
