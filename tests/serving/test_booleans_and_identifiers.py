"""Booleans as tables and PHP carry them, and identifiers sent beside the features: pure
functions, no server (tests/serving/test_real_tables.py serves them for real)."""

from __future__ import annotations

from typing import Any

import pytest

from serving.feature_schema import Feature, FeatureSchema
from serving.labels import LabelError, class_label
from serving.openapi import document
from serving.validation import RecordValidator, RequestError

SCHEMA = FeatureSchema(
    (Feature("amount", "double"), Feature("is_weekend", "boolean"), Feature("plan", "string")),
    context=("payment_id", "paid_at"),
)


def _records(*records: dict[str, Any]) -> list[dict[str, Any]]:
    return RecordValidator(SCHEMA, 10).records({"records": list(records)})


def _refusal(record: dict[str, Any]) -> RequestError:
    with pytest.raises(RequestError) as caught:
        _records(record)
    return caught.value


@pytest.mark.parametrize("flag", [True, False, 1, 0, None])
def test_a_boolean_feature_takes_json_booleans_and_zero_or_one(flag: object) -> None:
    record = {"amount": 3.5, "is_weekend": flag, "plan": "a"}
    assert _records(record) == [record]


@pytest.mark.parametrize(
    ("flag", "message"),
    [(2, "got 2"), ("true", "got string"), (1.0, "got number"), ([], "got array")],
)
def test_anything_else_is_a_wrong_type_naming_the_field(flag: object, message: str) -> None:
    error = _refusal({"amount": 3.5, "is_weekend": flag, "plan": "a"})
    assert (error.status, error.code, error.field) == (400, "wrong_type", "is_weekend")
    assert "must be a boolean (or 0 or 1), " + message in error.message


def test_identifier_and_time_columns_are_accepted_beside_the_features() -> None:
    record = {"amount": 1.0, "is_weekend": True, "plan": "a", "payment_id": "P-1", "paid_at": 7}
    assert _records(record, {"amount": 1.0, "is_weekend": 0, "plan": None}) == [
        record, {"amount": 1.0, "is_weekend": 0, "plan": None},
    ]  # fmt: skip
    error = _refusal({**record, "payment_id": {"nested": 1}})
    assert (error.code, error.field) == ("wrong_type", "payment_id")
    error = _refusal({**record, "other": 1})
    assert (error.code, error.field) == ("unknown_field", "other")
    # Optional: they are not features, so never "missing".
    assert _records({"amount": 1.0, "is_weekend": True, "plan": "a", "paid_at": None})


BOOLEAN_CLASSES = ("False", "True")


@pytest.mark.parametrize(
    ("sent", "stored"),
    [(True, "True"), (False, "False"), (1, "True"), (0, "False"), ("true", "True"),
     ("false", "False"), ("True", "True"), ("False", "False"), ("1", "True"), ("0", "False")],
)  # fmt: skip
def test_a_boolean_target_takes_php_booleans_stored_as_one_spelling(
    sent: object, stored: str
) -> None:
    assert class_label(sent, BOOLEAN_CLASSES) == stored


@pytest.mark.parametrize(
    ("sent", "code"), [(2, "invalid_label"), ("yes", "invalid_label"), (1.0, "wrong_type")]
)
def test_a_boolean_target_refuses_other_labels(sent: object, code: str) -> None:
    with pytest.raises(LabelError) as caught:
        class_label(sent, BOOLEAN_CLASSES)
    assert caught.value.code == code


def test_an_integer_target_still_refuses_booleans() -> None:
    with pytest.raises(LabelError) as caught:
        class_label(True, ("0", "1"))
    assert caught.value.code == "wrong_type"


def test_the_openapi_document_says_so() -> None:
    doc = document("payments", SCHEMA, "classification", (False, True))
    schemas = doc["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    record = schemas["schema"]["oneOf"][0]["properties"]["record"]
    assert record["required"] == ["amount", "is_weekend", "plan"]
    weekend = record["properties"]["is_weekend"]["anyOf"]
    assert {"type": "boolean"} in weekend and {"enum": [0, 1]} in weekend
    assert "not a feature" in record["properties"]["payment_id"]["description"].lower()
    text = str(doc)
    assert "json_encode" in text  # the boolean label's description
