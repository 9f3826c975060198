"""The line format of the prediction journal (docs/prediction-log.md, Journal): pure functions.

A journal file starts with the line ``HEADER`` and then holds one prediction
per line, seven fields separated by tabs (shown here on two lines)::

    "<prediction_id>"  <created_at>  "<model_name>"  "<model_version>"
    "<predicted_class>"  {features}  {probabilities}

The strings are JSON strings and the last two fields JSON objects, exactly as
the ``predictions`` table stores them. JSON escapes tabs and newlines inside
strings, so neither can occur inside a field, and ingestion hands the two
objects to the database as they are, without parsing them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from driftline.regression_values import value_text
from predictionlog.records import PredictionRecord
from predictionlog.row_codec import EncodedPrediction, check_stored_string, encode_prediction

HEADER: Final = b"driftline-prediction-journal 1\n"


@dataclass(frozen=True)
class JournalField:
    """One field of a journal line: the ``predictions`` column it fills and its JSON kind."""

    column: str
    kind: str  # "string", "number" or "object"

    @property
    def sqlite_json_types(self) -> tuple[str, ...]:
        """What SQLite's ``json_type`` answers for a value of this kind."""
        return {"string": ("text",), "number": ("integer", "real"), "object": ("object",)}[
            self.kind
        ]


# The one definition of a line: its fields in order. The encoders' template
# (line_template), the decoder (decode_entry) and the SQL that unpacks a block of
# lines in SQLite (sqlite_insert_from_json) are all built from it.
FIELDS: Final = (
    JournalField("prediction_id", "string"),
    JournalField("created_at", "number"),
    JournalField("model_name", "string"),
    JournalField("model_version", "string"),
    JournalField("predicted_class", "string"),
    JournalField("features", "object"),
    JournalField("probabilities", "object"),
)
COLUMNS: Final = tuple(field.column for field in FIELDS)
# The probabilities of a prediction that has none (a regression version's).
NO_PROBABILITIES: Final = "{}"

# Built once: json.dumps with non-default options builds a new encoder per call.
_STRING: Final = json.JSONEncoder(ensure_ascii=True)


class JournalFormatError(ValueError):
    """A journal line that is not a prediction in this format."""


def line_template(fixed: Mapping[str, str]) -> str:
    """A %-format of one line: the fields in ``fixed`` (column -> encoded field) written
    in, a ``%s`` for every other field, in FIELDS order."""
    unknown = set(fixed) - set(COLUMNS)
    if unknown:
        raise ValueError(f"not journal fields: {sorted(unknown)}")
    parts = [fixed[f.column].replace("%", "%%") if f.column in fixed else "%s" for f in FIELDS]
    return "\t".join(parts) + "\n"


_ANY_LINE: Final = line_template({})


def _field_text(field: JournalField, value: object) -> str:
    if field.kind == "string":
        return _STRING.encode(value)
    if field.kind == "number":
        return repr(float(value))  # type: ignore[arg-type]
    return str(value)  # an object field arrives as its JSON text


def encode_entry(record: PredictionRecord) -> bytes:
    """One journal line for ``record``; ValueError names the field that cannot be stored."""
    row = encode_prediction(record)
    return (_ANY_LINE % tuple(_field_text(f, row[f.column]) for f in FIELDS)).encode()


def _check_id_and_features(prediction_id: str, features_json: str) -> None:
    """What every encoder checks of a line's own id and features text."""
    check_stored_string("prediction_id", prediction_id, prediction_id)
    if not (
        features_json.startswith("{")
        and features_json.endswith("}")
        and "\t" not in features_json
        and "\n" not in features_json
    ):
        raise ValueError(
            f"prediction {prediction_id!r}: features must be one JSON object on one line"
        )


class EntryEncoder:
    """Journal lines for the predictions of one model version, as encode_entry makes them.

    What every line of the version shares (its name, version and class keys) is
    checked and encoded once, and the features arrive as JSON text already (the
    server can often store the request's own text, serving/record_text.py): the
    request path pays for the id, the time and the probabilities only.
    """

    def __init__(self, model_name: str, model_version: str, class_keys: Sequence[str]) -> None:
        check_stored_string("model_name", model_name)
        check_stored_string("model_version", model_version)
        for key in class_keys:
            check_stored_string("predicted_class", key)
        # The slots left: prediction_id, created_at, predicted_class, features, probabilities.
        self._line = line_template(
            {
                "model_name": _STRING.encode(model_name),
                "model_version": _STRING.encode(model_version),
            }
        )
        self._classes = tuple(_STRING.encode(key) for key in class_keys)
        # One %-format for the whole object; %r of a float is what json writes for it.
        self._probabilities = (
            "{" + ",".join(f"{key.replace('%', '%%')}:%r" for key in self._classes) + "}"
        )

    def line(
        self,
        prediction_id: str,
        created_at: float,
        features_json: str,
        winner: int,
        probabilities: Sequence[float],
    ) -> str:
        """The line of one prediction; ValueError names what cannot be stored.

        ``winner`` indexes the class keys and ``probabilities`` follow their order;
        ``features_json`` is one JSON object without tabs or newlines.
        """
        _check_id_and_features(prediction_id, features_json)
        values = tuple(map(float, probabilities))
        total = sum(values)  # NaN or infinity anywhere makes the sum so
        if len(values) != len(self._classes) or total - total != 0.0:
            raise ValueError(
                f"prediction {prediction_id!r}: probabilities must be {len(self._classes)} "
                f"finite numbers, got {values}"
            )
        return self._line % (
            _STRING.encode(prediction_id),
            repr(float(created_at)),
            self._classes[winner],
            features_json,
            self._probabilities % values,
        )


class ValueEntryEncoder:
    """Journal lines for the predictions of one regression model version.

    The same line as EntryEncoder's, from the same template: the predicted value's
    canonical text (driftline/regression_values.py) in ``predicted_class`` and no
    probabilities (``{}``), so a regression prediction is a row of the same table
    that encode_entry makes of a PredictionRecord holding that text.
    """

    def __init__(self, model_name: str, model_version: str) -> None:
        check_stored_string("model_name", model_name)
        check_stored_string("model_version", model_version)
        # The slots left: prediction_id, created_at, predicted_class, features.
        self._line = line_template(
            {
                "model_name": _STRING.encode(model_name),
                "model_version": _STRING.encode(model_version),
                "probabilities": NO_PROBABILITIES,
            }
        )

    def line(self, prediction_id: str, created_at: float, features_json: str, value: float) -> str:
        """The line of one prediction of ``value``; ValueError names what cannot be stored
        (NaN or infinity among them: value_text refuses them)."""
        _check_id_and_features(prediction_id, features_json)
        try:
            text = value_text(value)
        except ValueError as exc:
            raise ValueError(f"prediction {prediction_id!r}: predicted value: {exc}") from exc
        return self._line % (
            _STRING.encode(prediction_id),
            repr(float(created_at)),
            _STRING.encode(text),
            features_json,
        )


def _string(field: str, name: str) -> str:
    inner = field[1:-1]
    if len(field) >= 2 and field[0] == field[-1] == '"' and "\\" not in field and '"' not in inner:
        return inner  # the common case: nothing escaped
    try:
        value = json.loads(field)
    except ValueError as exc:
        raise JournalFormatError(f"{name} is not a JSON string: {field[:80]!r}") from exc
    if not isinstance(value, str):
        raise JournalFormatError(f"{name} is not a JSON string: {field[:80]!r}")
    return value


def _field_value(field: JournalField, text: str) -> object:
    if field.kind == "string":
        return _string(text, field.column)
    if field.kind == "number":
        try:
            return float(text)
        except ValueError as exc:
            raise JournalFormatError(f"{field.column} is not a number: {text[:40]!r}") from exc
    if not (text.startswith("{") and text.endswith("}")):
        raise JournalFormatError(f"{field.column} is not a JSON object: {text[:80]!r}")
    return text  # stored as it is, without parsing


def decode_entry(line: str) -> EncodedPrediction:
    """The ``predictions`` row of one journal line (without its newline)."""
    texts = line.split("\t")
    if len(texts) != len(FIELDS):
        raise JournalFormatError(f"expected {len(FIELDS)} tab-separated fields, got {len(texts)}")
    return {f.column: _field_value(f, text) for f, text in zip(FIELDS, texts, strict=True)}


def lines_as_json(block: bytes) -> str:
    """Complete journal lines (``block`` ends with a newline) as one JSON array of rows.

    Every field is a JSON value and tabs occur only between fields, so with tabs
    turned into commas each line is a JSON array: SQLite can then parse and
    insert a whole block in one statement (store.py). UnicodeDecodeError for
    bytes that are not UTF-8; a malformed line makes the result malformed JSON.
    """
    text = block.decode("utf-8")
    return "[[" + text[:-1].replace("\t", ",").replace("\n", "],[") + "]]"


def sqlite_insert_from_json(table: str) -> str:
    """SQL that inserts the rows of ``:rows`` (lines_as_json) into ``table``, skipping ids
    already there, in one statement.

    SQLite parses and inserts the block in C, and the GIL is released once for
    the block instead of once per row. A row of the wrong shape makes the
    statement fail with "malformed JSON" (json() of a non-JSON text), and the
    caller falls back to checking the lines one by one.
    """
    checks = [f"json_array_length(value) = {len(FIELDS)}"]
    for index, field in enumerate(FIELDS):
        kinds = ", ".join(f"'{kind}'" for kind in field.sqlite_json_types)
        checks.append(f"json_type(value, '$[{index}]') IN ({kinds})")
    values = [f"json_extract(value, '$[{index}]')" for index in range(len(FIELDS))]
    first = (
        f"CASE WHEN {' AND '.join(checks)} THEN {values[0]} "
        "ELSE json('a journal row of the wrong shape') END"
    )
    return (
        f"INSERT OR IGNORE INTO {table} ({', '.join(COLUMNS)}) "
        f"SELECT {', '.join([first, *values[1:]])} FROM json_each(:rows)"
    )


# What SQLite's error says when sqlite_insert_from_json meets a row of the wrong shape.
MALFORMED_JSON: Final = "malformed JSON"
