"""Journal lines: encode_entry and decode_entry give back exactly the stored row."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from predictionlog.journal_format import HEADER, JournalFormatError, decode_entry, encode_entry
from predictionlog.records import PredictionRecord
from predictionlog.store import encode_prediction
from tests.predictionlog.sample_records import make_record

# Under 50 characters, so it fits model_version too.
AWKWARD = 'a\tb\nc\rd"e\\f \\t\\n é ß 中 🙂 \x00\x1f\u2028'


def _round_trip(record: PredictionRecord) -> None:
    line = encode_entry(record)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1  # one record, one line
    assert line.count(b"\t") == 6  # seven fields
    assert decode_entry(line[:-1].decode()) == encode_prediction(record)


def _with(field: str, value: str) -> PredictionRecord:
    changes: dict[str, Any] = {field: value}
    return dataclasses.replace(make_record(), **changes)


def _line(record: PredictionRecord) -> str:
    return encode_entry(record)[:-1].decode()


def test_header_is_one_line() -> None:
    assert HEADER.endswith(b"\n")
    assert HEADER.count(b"\n") == 1


def test_an_ordinary_record_round_trips_to_the_stored_row() -> None:
    _round_trip(make_record())


def test_created_at_keeps_every_bit_of_the_float() -> None:
    record = make_record(created_at=1_700_000_000.123456789)
    assert decode_entry(_line(record))["created_at"] == record.created_at
    _round_trip(make_record(created_at=0.1 + 0.2))


@pytest.mark.parametrize("field", ["model_name", "model_version", "predicted_class"])
def test_awkward_characters_in_string_fields_round_trip(field: str) -> None:
    _round_trip(_with(field, AWKWARD))


def test_awkward_characters_in_feature_names_and_values_round_trip() -> None:
    _round_trip(make_record(features={AWKWARD: AWKWARD, "plain": "x\ty\nz", "n": 1.5}))


def test_the_line_is_ascii_so_any_byte_split_keeps_lines_apart() -> None:
    line = encode_entry(make_record(model_name=AWKWARD, features={AWKWARD: AWKWARD}))
    assert line.isascii()


def test_none_features_round_trip_as_json_null() -> None:
    record = make_record(features={"tenure_months": None, "contract_type": None})
    _round_trip(record)
    assert decode_entry(_line(record))["features"] == '{"tenure_months":null,"contract_type":null}'


def test_empty_features_round_trip() -> None:
    _round_trip(make_record(features={}))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinite_features_are_refused_like_the_store_refuses_them(value: float) -> None:
    record = make_record(features={"monthly_charges": value})
    with pytest.raises(ValueError):
        encode_prediction(record)
    with pytest.raises(ValueError, match="features or probabilities"):
        encode_entry(record)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("model_name", ""),
        ("model_name", "m" * 201),
        ("model_version", ""),
        ("model_version", "v" * 51),
        ("predicted_class", ""),
        ("predicted_class", "c" * 201),
        ("prediction_id", "i" * 37),
    ],
)
def test_empty_or_over_long_fields_are_refused_like_the_store_refuses_them(
    field: str, value: str
) -> None:
    record = _with(field, value)
    with pytest.raises(ValueError):
        encode_prediction(record)
    with pytest.raises(ValueError, match=field):
        encode_entry(record)


def test_fields_at_their_length_limit_are_accepted() -> None:
    _round_trip(
        make_record(model_name="m" * 200, model_version="v" * 50, predicted_class="c" * 200)
    )


@pytest.mark.parametrize("drop_or_add", [-1, 1])
def test_a_line_with_the_wrong_number_of_fields_is_refused(drop_or_add: int) -> None:
    fields = _line(make_record()).split("\t")
    fields = fields[:-1] if drop_or_add < 0 else [*fields, "{}"]
    with pytest.raises(JournalFormatError, match="fields"):
        decode_entry("\t".join(fields))


@pytest.mark.parametrize("line", ["", "garbage", "a\tb"])
def test_junk_is_refused(line: str) -> None:
    with pytest.raises(JournalFormatError):
        decode_entry(line)


def _with_field(index: int, value: str) -> str:
    fields = _line(make_record()).split("\t")
    fields[index] = value
    return "\t".join(fields)


@pytest.mark.parametrize("created_at", ["", "yesterday", '"1700000000.0"'])
def test_a_created_at_that_is_not_a_number_is_refused(created_at: str) -> None:
    with pytest.raises(JournalFormatError, match="created_at"):
        decode_entry(_with_field(1, created_at))


@pytest.mark.parametrize("index", [5, 6])
@pytest.mark.parametrize("value", ["[1, 2]", "null", "1", '"{}"', "{", ""])
def test_features_or_probabilities_that_are_not_an_object_are_refused(
    index: int, value: str
) -> None:
    with pytest.raises(JournalFormatError, match="features" if index == 5 else "probabilities"):
        decode_entry(_with_field(index, value))


@pytest.mark.parametrize("index", [0, 2, 3, 4])
@pytest.mark.parametrize(
    "value", ["churn", '"unterminated', '"bad \\q escape"', "42", "null", "", '"a"b"']
)
def test_string_fields_that_are_not_json_strings_are_refused(index: int, value: str) -> None:
    name = {0: "prediction_id", 2: "model_name", 3: "model_version", 4: "predicted_class"}[index]
    with pytest.raises(JournalFormatError, match=name):
        decode_entry(_with_field(index, value))


def test_format_errors_are_value_errors() -> None:
    assert issubclass(JournalFormatError, ValueError)
