"""Journal lines: encode_entry and decode_entry give back exactly the stored row, and
EntryEncoder (a classifier's) and ValueEntryEncoder (a regression version's) make the
same lines as encode_entry."""

from __future__ import annotations

import dataclasses
import math
import sqlite3
from typing import Any

import pytest

from driftline.regression_values import parse_value_text, value_text
from predictionlog.journal_format import (
    COLUMNS,
    FIELDS,
    HEADER,
    MALFORMED_JSON,
    NO_PROBABILITIES,
    EntryEncoder,
    JournalFormatError,
    ValueEntryEncoder,
    decode_entry,
    encode_entry,
    line_template,
    lines_as_json,
    sqlite_insert_from_json,
)
from predictionlog.records import PredictionRecord
from predictionlog.row_codec import encode_prediction, features_json
from predictionlog.schema import predictions
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


# --- one definition: FIELDS ---------------------------------------------------------------


def _distinct_record() -> PredictionRecord:
    """A record whose every field differs from every other, so a swap of two shows."""
    return make_record(
        model_name="name-field",
        model_version="version-field",
        predicted_class="class-field",
        features={"feature": "features-field"},
    )


def test_fields_name_every_column_of_the_stored_row_in_the_lines_order() -> None:
    row = encode_prediction(_distinct_record())
    assert list(COLUMNS) == list(row)  # the row codec's columns, in the line's order
    assert [f.column for f in FIELDS] == list(COLUMNS)
    # seq and xact_id are the database's to fill (predictionlog/schema.py).
    assert {c.name for c in predictions.c} - {"seq", "xact_id"} == set(COLUMNS)


def test_every_field_of_a_line_lands_in_its_own_column() -> None:
    record = _distinct_record()
    texts = _line(record).split("\t")
    row = encode_prediction(record)
    for field, text in zip(FIELDS, texts, strict=True):
        value = row[field.column]
        expected = repr(value) if field.kind == "number" else value
        assert text.strip('"') == expected, field.column


def test_the_entry_encoders_lines_decode_to_the_row_column_by_column() -> None:
    record = _distinct_record()
    keys = list(record.probabilities)
    encoder = EntryEncoder(record.model_name, record.model_version, keys)
    line = encoder.line(
        record.prediction_id,
        record.created_at,
        features_json(record.features),
        keys.index(record.predicted_class) if record.predicted_class in keys else 0,
        [record.probabilities[k] for k in keys],
    )
    decoded = decode_entry(line[:-1])
    expected = encode_prediction(
        dataclasses.replace(
            record,
            predicted_class=record.predicted_class if record.predicted_class in keys else keys[0],
        )
    )
    assert decoded == expected


def _unpacked_by_sqlite(block: bytes) -> list[dict[str, object]]:
    """The rows SQLite stores for ``block`` through sqlite_insert_from_json, by column."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(
            f"CREATE TABLE {predictions.name} ({', '.join(COLUMNS)}, UNIQUE (prediction_id))"
        )
        conn.execute(sqlite_insert_from_json(predictions.name), {"rows": lines_as_json(block)})
        return [
            dict(zip(COLUMNS, row, strict=True))
            for row in conn.execute(f"SELECT {', '.join(COLUMNS)} FROM {predictions.name}")
        ]
    finally:
        conn.close()


def test_sqlite_unpacks_a_block_of_lines_into_the_columns_the_decoder_reads() -> None:
    # Without NUL: SQLite's JSON functions end a string at an escaped NUL (U+0000).
    records = [_distinct_record(), make_record(), _with("model_name", AWKWARD.replace("\x00", ""))]
    block = b"".join(encode_entry(r) for r in records)
    stored = _unpacked_by_sqlite(block)
    decoded = [decode_entry(line) for line in block[:-1].decode().split("\n")]
    assert stored == decoded == [encode_prediction(r) for r in records]


@pytest.mark.parametrize("index", range(7))
def test_sqlite_refuses_a_row_with_a_field_of_the_wrong_kind(index: int) -> None:
    fields = _line(make_record()).split("\t")
    fields[index] = "[1]"  # valid JSON, but no field of a line is an array
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE TABLE {predictions.name} ({', '.join(COLUMNS)})")
    rows = lines_as_json(("\t".join(fields) + "\n").encode())
    with pytest.raises(sqlite3.Error, match=MALFORMED_JSON):
        conn.execute(sqlite_insert_from_json(predictions.name), {"rows": rows})
    conn.close()


def test_a_line_template_refuses_names_that_are_not_fields() -> None:
    with pytest.raises(ValueError, match="not journal fields"):
        line_template({"label": '"x"'})


def test_a_line_written_by_version_1_still_reads_the_same() -> None:
    """Journals outlive a release: FIELDS may not change what a version-1 line means."""
    line = (
        '"0190e4b2-6f1a-7c3e-8a5b-123456789abc"\t1720000000.25\t"churn"\t"3"\t"1"\t'
        '{"tenure_months":12,"contract_type":"monthly"}\t{"0":0.25,"1":0.75}'
    )
    assert HEADER == b"driftline-prediction-journal 1\n"
    assert decode_entry(line) == {
        "prediction_id": "0190e4b2-6f1a-7c3e-8a5b-123456789abc",
        "created_at": 1720000000.25,
        "model_name": "churn",
        "model_version": "3",
        "predicted_class": "1",
        "features": '{"tenure_months":12,"contract_type":"monthly"}',
        "probabilities": '{"0":0.25,"1":0.75}',
    }


# --- regression versions: ValueEntryEncoder -------------------------------------------


def _value_record(value: float, **changes: Any) -> PredictionRecord:
    """The row a regression prediction of ``value`` is: its text, no probabilities."""
    return dataclasses.replace(
        make_record(**changes), predicted_class=value_text(value), probabilities={}
    )


def _value_line(record: PredictionRecord, value: float) -> str:
    encoder = ValueEntryEncoder(record.model_name, record.model_version)
    return encoder.line(
        record.prediction_id, record.created_at, features_json(record.features), value
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [(1234.5, "1234.5"), (3, "3.0"), (-0.0, "0.0"), (0.1 + 0.2, "0.30000000000000004"),
     (-1e300, "-1e+300"), (5e-324, "5e-324")],
)  # fmt: skip
def test_a_regression_line_decodes_to_the_row_of_the_value_text(value: float, text: str) -> None:
    record = _value_record(value)
    line = _value_line(record, value)
    assert line.encode() == encode_entry(record)  # the line encode_entry makes of that row
    row = decode_entry(line[:-1])
    assert row == encode_prediction(record)
    assert (row["predicted_class"], row["probabilities"]) == (text, NO_PROBABILITIES)
    assert parse_value_text(row["predicted_class"]) == float(value)


def test_sqlite_unpacks_regression_lines_beside_classifier_lines() -> None:
    values = [17.25, -3.0, 1e-9]
    regression = [_value_record(v, model_name="revenue", model_version=str(i))
                  for i, v in enumerate(values)]  # fmt: skip
    block = encode_entry(make_record()) + b"".join(
        _value_line(r, v).encode() for r, v in zip(regression, values, strict=True)
    )
    stored = _unpacked_by_sqlite(block)
    decoded = [decode_entry(line) for line in block[:-1].decode().split("\n")]
    assert stored[1:] == decoded[1:] == [encode_prediction(r) for r in regression]
    assert stored[0] == decoded[0]
    assert [row["predicted_class"] for row in stored[1:]] == ["17.25", "-3.0", "1e-09"]
    assert {row["probabilities"] for row in stored[1:]} == {"{}"}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True, "3.5"])
def test_the_value_encoder_refuses_what_is_not_a_finite_number(value: Any) -> None:
    with pytest.raises(ValueError, match="predicted value"):
        ValueEntryEncoder("revenue", "1").line("id", 1.0, "{}", value)


@pytest.mark.parametrize(("name", "version"), [("", "1"), ("m" * 201, "1"), ("revenue", "v" * 51)])
def test_the_value_encoder_refuses_names_the_store_refuses_when_it_is_made(
    name: str, version: str
) -> None:
    with pytest.raises(ValueError, match="model_name" if name != "revenue" else "model_version"):
        ValueEntryEncoder(name, version)


@pytest.mark.parametrize("features_text", ["[1]", "", '{"a":\t1}', '{"a":\n1}'])
def test_the_value_encoder_refuses_features_that_are_not_one_object_on_one_line(
    features_text: str,
) -> None:
    with pytest.raises(ValueError, match="one JSON object on one line"):
        ValueEntryEncoder("revenue", "1").line("id", 1.0, features_text, 2.5)
