"""Journal lines: encode_entry and decode_entry give back exactly the stored row, and
EntryEncoder makes the same lines as encode_entry."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from predictionlog.journal_format import (
    HEADER,
    EntryEncoder,
    JournalFormatError,
    decode_entry,
    encode_entry,
)
from predictionlog.records import PredictionRecord
from predictionlog.row_codec import encode_prediction, features_json
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


def _entry_line(record: PredictionRecord, features_text: str | None = None) -> bytes:
    keys = tuple(record.probabilities)
    encoder = EntryEncoder(record.model_name, record.model_version, keys)
    return encoder.line(
        record.prediction_id,
        record.created_at,
        features_json(record.features) if features_text is None else features_text,
        keys.index(record.predicted_class),
        list(record.probabilities.values()),
    ).encode()


@pytest.mark.parametrize(
    "record",
    [
        make_record(),
        make_record(features={}),
        make_record(features={"contract_type": AWKWARD, "x": None, "flag": True}),
        make_record(model_name=AWKWARD, model_version=AWKWARD[:40]),
        make_record(model_name="m" * 200, model_version="v" * 50, created_at=1.5),
    ],
)
def test_the_entry_encoder_makes_the_lines_encode_entry_makes(record: PredictionRecord) -> None:
    assert _entry_line(record) == encode_entry(record)


def test_the_entry_encoder_stores_features_text_as_given() -> None:
    record = make_record()
    text = '{"tenure_months": 12, "monthly_charges": 70.35,  "contract_type": "monthly"}'
    row = decode_entry(_entry_line(record, text)[:-1].decode())
    assert row == {**encode_prediction(record), "features": text}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("model_name", ""),
        ("model_name", "m" * 201),
        ("model_version", "v" * 51),
        ("predicted_class", "c" * 201),
    ],
)
def test_the_entry_encoder_refuses_what_the_store_refuses_when_it_is_made(
    field: str, value: str
) -> None:
    names = {"model_name": "churn", "model_version": "1"} | {field: value}
    keys = (value,) if field == "predicted_class" else ("0", "1")
    with pytest.raises(ValueError, match=field):
        EntryEncoder(names["model_name"], names["model_version"], keys)


@pytest.mark.parametrize("features_text", ["[1]", "", '{"a":\t1}', '{"a":\n1}', '{"a": 1} '])
def test_the_entry_encoder_refuses_features_that_are_not_one_object_on_one_line(
    features_text: str,
) -> None:
    with pytest.raises(ValueError, match="one JSON object on one line"):
        _entry_line(make_record(), features_text)


def test_the_entry_encoder_refuses_an_over_long_id() -> None:
    encoder = EntryEncoder("churn", "1", ("0", "1"))
    with pytest.raises(ValueError, match="prediction_id"):
        encoder.line("i" * 37, 1.0, "{}", 0, [0.5, 0.5])


@pytest.mark.parametrize(
    "probabilities", [[math.nan, 0.5], [0.5, math.inf], [-math.inf, math.inf], [1.0], [0.2] * 3]
)
def test_the_entry_encoder_refuses_probabilities_it_cannot_store(
    probabilities: list[float],
) -> None:
    with pytest.raises(ValueError, match="probabilities must be 2 finite numbers"):
        EntryEncoder("churn", "1", ("0", "1")).line("id", 1.0, "{}", 0, probabilities)


def test_the_entry_encoder_writes_class_keys_that_look_like_formats() -> None:
    record = dataclasses.replace(
        make_record(predicted_class="%s"), probabilities={"%s": 0.25, "100%": 0.75}
    )
    assert _entry_line(record) == encode_entry(record)
