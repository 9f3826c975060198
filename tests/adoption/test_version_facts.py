"""driftline/version_facts.py: a trained run's parameters and an adopted version's record
give the same facts; anything else is refused by name. Pure, no store."""

from __future__ import annotations

import json

import pytest

from driftline.registry_contract import ADOPTED_TAG
from driftline.version_facts import (
    FactsError,
    VersionFacts,
    adoption_command,
    as_run_params,
    from_record,
    from_run_params,
    to_record,
)
from reference.column_roles import ColumnRoles, RoleDecision

TRAINED = {
    "task": "regression", "model_kind": "ridge", "target": "price",
    "numeric_features": "area,rooms,garden", "categorical_features": "city",
    "boolean_features": "garden", "id_columns": "listing", "time_column": "sold_at",
    "dropped_columns": "", "seed": "0",
}  # fmt: skip


def test_a_trained_runs_parameters_are_its_facts() -> None:
    facts = from_run_params(TRAINED, "r1")
    assert facts == VersionFacts(
        origin="trained", run_id="r1", task="regression", target="price",
        numeric=("area", "rooms", "garden"), categorical=("city",), boolean=("garden",),
        id_columns=("listing",), time_column="sold_at", estimator="ridge",
    )  # fmt: skip
    assert facts.context_columns == ("listing", "sold_at")
    assert facts.features == ("area", "rooms", "garden", "city")


def test_facts_as_run_parameters_read_back_the_same() -> None:
    facts = from_run_params(TRAINED, "r1")
    assert facts is not None
    assert from_run_params(as_run_params(facts), "r1") == facts


def test_the_names_are_the_ones_training_and_column_roles_write() -> None:
    roles = ColumnRoles((RoleDecision("listing", "identifier", "given", "--id-column"),
                         RoleDecision("sold_at", "time", "given", "--time-column")))  # fmt: skip
    facts = from_run_params({"target": "y", "model_kind": "logreg", **roles.run_params()}, "r")
    assert facts is not None and facts.context_columns == ("listing", "sold_at")


def test_runs_from_before_the_task_are_classifiers_and_other_runs_have_no_facts() -> None:
    old = {k: v for k, v in TRAINED.items() if k != "task"}
    assert from_run_params(old, "r") is not None
    assert from_run_params(old, "r").task == "classification"  # type: ignore[union-attr]
    assert from_run_params({"C": "0.5"}, "r") is None  # a team's own run
    with pytest.raises(FactsError, match="unknown task 'ranking'"):
        from_run_params({**TRAINED, "task": "ranking"}, "r")


def test_an_adopted_record_round_trips() -> None:
    facts = VersionFacts(
        origin="adopted", run_id="r2", task="classification", target="churned",
        numeric=("tenure", "paperless"), categorical=("plan",), boolean=("paperless",),
        id_columns=("customer_id",), time_column=None, estimator="mlflow.pyfunc",
        columns_from="signature",
    )  # fmt: skip
    text = to_record(facts, adopted_at=1.5, data_source="train.csv")
    assert from_record(text, "v1") == facts
    assert json.loads(text)["data_source"] == "train.csv"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "is not JSON"),
        ('{"format": "other"}', "is not a driftline.version-facts record"),
        ('{"format": "driftline.version-facts", "format_version": 9}', "format_version 9"),
        ('{"format": "driftline.version-facts", "format_version": 1, "columns_from": "data"}',
         "lacks 'run_id'"),
    ],
)  # fmt: skip
def test_a_damaged_record_is_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(FactsError, match=message) as caught:
        from_record(text, "model 'm' version 3")
    assert ADOPTED_TAG in str(caught.value)


def test_the_adoption_command_is_the_one_the_docs_show() -> None:
    assert adoption_command("byo", "4") == (
        "driftline profile --name byo --version 4 --data TRAINING_FILE --target COLUMN"
    )
