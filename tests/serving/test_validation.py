"""Request validation against a model's schema: pure functions, no server."""

from __future__ import annotations

from typing import Any

import pytest

from serving.feature_schema import Feature, FeatureSchema, SignatureError, from_signature_inputs
from serving.validation import RecordValidator, RequestError, parse_json

SCHEMA = FeatureSchema(
    (Feature("tenure", "double"), Feature("calls", "long"), Feature("plan", "string"))
)


def good() -> dict[str, Any]:
    return {"tenure": 3.5, "calls": 2, "plan": "basic"}


def error_of(body: object, max_batch: int = 3) -> RequestError:
    with pytest.raises(RequestError) as caught:
        RecordValidator(SCHEMA, max_batch).records(body)
    return caught.value


def test_one_record_and_a_batch_are_accepted() -> None:
    validator = RecordValidator(SCHEMA, 3)
    assert validator.records({"record": good()}) == [good()]
    assert validator.records({"records": [good(), good()]}) == [good(), good()]


def test_null_is_a_missing_value_and_accepted() -> None:
    record = {"tenure": None, "calls": None, "plan": None}
    assert RecordValidator(SCHEMA, 3).records({"record": record}) == [record]


@pytest.mark.parametrize(
    ("record", "code", "field"),
    [
        ({"calls": 2, "plan": "basic"}, "missing_field", "tenure"),
        ({**good(), "colour": "red"}, "unknown_field", "colour"),
        ({**good(), "tenure": "3"}, "wrong_type", "tenure"),
        ({**good(), "tenure": True}, "wrong_type", "tenure"),
        ({**good(), "tenure": [1]}, "wrong_type", "tenure"),
        ({**good(), "calls": 2.5}, "wrong_type", "calls"),
        ({**good(), "plan": 7}, "wrong_type", "plan"),
        ({**good(), "tenure": float("inf")}, "not_finite", "tenure"),
        ({**good(), "tenure": float("nan")}, "not_finite", "tenure"),
    ],
)
def test_a_bad_field_is_named_with_its_record_index(
    record: dict[str, Any], code: str, field: str
) -> None:
    error = error_of({"records": [good(), record]})
    assert (error.status, error.code, error.field, error.index) == (400, code, field, 1)
    assert field in error.message and "record 1" in error.message


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ([good()], 400, "invalid_body"),
        ({}, 400, "invalid_body"),
        ({"record": good(), "records": [good()]}, 400, "invalid_body"),
        ({"record": [good()]}, 400, "invalid_body"),
        ({"records": good()}, 400, "invalid_body"),
        ({"records": []}, 400, "empty_batch"),
        ({"records": [good()] * 4}, 413, "batch_too_large"),
        ({"records": [good(), "x"]}, 400, "invalid_body"),
    ],
)
def test_bad_shapes(body: object, status: int, code: str) -> None:
    error = error_of(body)
    assert (error.status, error.code) == (status, code)


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", '{"a": NaN}', "{", "\xff"])
def test_json_constants_and_broken_json_are_rejected(text: str) -> None:
    with pytest.raises(RequestError) as caught:
        parse_json(text.encode("latin-1"))
    assert (caught.value.status, caught.value.code) == (400, "invalid_json")


def test_huge_number_overflows_to_infinity_and_is_rejected() -> None:
    body = parse_json(b'{"record": {"tenure": 1e999, "calls": 1, "plan": "a"}}')
    assert error_of(body).code == "not_finite"


def test_schema_from_mlflow_signature_columns() -> None:
    schema = from_signature_inputs(
        [{"type": "double", "name": "a", "required": True}, {"type": "string", "name": "b"}]
    )
    assert schema.names == ("a", "b")
    assert schema.json_schema()["properties"]["a"] == {"type": ["number", "null"]}
    with pytest.raises(SignatureError, match="unsupported type"):
        from_signature_inputs([{"type": "binary", "name": "a"}])
    with pytest.raises(SignatureError, match="no input columns"):
        from_signature_inputs([])
