"""Request validation against a model's schema: pure functions, no server."""

from __future__ import annotations

import random
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


ALL_TYPES = FeatureSchema(
    (
        Feature("d", "double"), Feature("f", "float"), Feature("l", "long"),
        Feature("i", "integer"), Feature("s", "string"), Feature("b", "boolean"),
    )
)  # fmt: skip
AWKWARD_VALUES: tuple[object, ...] = (
    None, 0, -3, 10**400, 2.0, -0.0, 2.5, 1e300, 1e308, float("inf"), float("-inf"),
    float("nan"), True, False, "x", "", [1], {"a": 1}, (1,),
)  # fmt: skip


def outcome(validator: RecordValidator, record: object) -> tuple[object, ...] | None:
    """The error the exact per-field checks give (None: accepted)."""
    try:
        validator._check_record(record, 0)
    except RequestError as error:
        return (error.status, error.code, error.message, error.field, error.index)
    return None


def test_the_fast_check_accepts_exactly_what_the_field_checks_accept() -> None:
    validator = RecordValidator(ALL_TYPES, 3)
    rng = random.Random(7)
    names = ALL_TYPES.names
    for _ in range(20_000):
        record: dict[str, object] = {n: rng.choice(AWKWARD_VALUES) for n in names}
        if rng.random() < 0.1:
            del record[rng.choice(names)]
        if rng.random() < 0.1:
            record[rng.choice(["zz", "e", "d"])] = 1.0
        exact = outcome(validator, record)
        assert validator._plainly_valid(record) == (exact is None), record
        try:
            validator.records({"records": [record]})
            got = None
        except RequestError as error:
            got = (error.status, error.code, error.message, error.field, error.index)
        assert got == exact, record


@pytest.mark.parametrize(
    "schema",
    [
        FeatureSchema((Feature("only", "double"),)),
        FeatureSchema((Feature("flag", "boolean"), Feature("n", "integer"))),
    ],
)
def test_the_fast_check_with_one_field_or_no_numbers(schema: FeatureSchema) -> None:
    validator = RecordValidator(schema, 3)
    for value in AWKWARD_VALUES:
        record = dict.fromkeys(schema.names, value)
        assert validator._plainly_valid(record) == (outcome(validator, record) is None), value


def test_a_dict_subclass_gets_the_exact_checks() -> None:
    class Defaulting(dict[str, Any]):
        def __missing__(self, key: str) -> Any:
            return "basic"  # would pass for the missing "plan"

    record = Defaulting(tenure=1.0, calls=2, colour="red")
    error = error_of({"record": record})
    assert (error.code, error.field) == ("unknown_field", "colour")
