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
from collections.abc import Sequence
from typing import Final

from predictionlog.records import PredictionRecord
from predictionlog.store import EncodedPrediction, check_stored_string, encode_prediction

HEADER: Final = b"driftline-prediction-journal 1\n"
FIELDS: Final = 7

# Built once: json.dumps with non-default options builds a new encoder per call.
_STRING: Final = json.JSONEncoder(ensure_ascii=True)


class JournalFormatError(ValueError):
    """A journal line that is not a prediction in this format."""


def _model_fields(model_name: str, model_version: str) -> str:
    return f"{_STRING.encode(model_name)}\t{_STRING.encode(model_version)}"


def _line(
    prediction_id: str,
    created_at: float,
    model_fields: str,
    class_field: str,
    features_json: str,
    probabilities_json: str,
) -> str:
    """The one place the fields' order is written; the encoders below both come here."""
    return (
        f"{_STRING.encode(prediction_id)}\t{created_at!r}\t{model_fields}\t"
        f"{class_field}\t{features_json}\t{probabilities_json}\n"
    )


def encode_entry(record: PredictionRecord) -> bytes:
    """One journal line for ``record``; ValueError names the field that cannot be stored."""
    row = encode_prediction(record)
    return _line(
        row["prediction_id"],
        row["created_at"],
        _model_fields(row["model_name"], row["model_version"]),
        _STRING.encode(row["predicted_class"]),
        row["features"],
        row["probabilities"],
    ).encode()


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
        self._model = _model_fields(model_name, model_version)
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
        values = tuple(map(float, probabilities))
        total = sum(values)  # NaN or infinity anywhere makes the sum so
        if len(values) != len(self._classes) or total - total != 0.0:
            raise ValueError(
                f"prediction {prediction_id!r}: probabilities must be {len(self._classes)} "
                f"finite numbers, got {values}"
            )
        return _line(
            prediction_id,
            float(created_at),
            self._model,
            self._classes[winner],
            features_json,
            self._probabilities % values,
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


def decode_entry(line: str) -> EncodedPrediction:
    """The ``predictions`` row of one journal line (without its newline)."""
    fields = line.split("\t")
    if len(fields) != FIELDS:
        raise JournalFormatError(f"expected {FIELDS} tab-separated fields, got {len(fields)}")
    prediction_id, created_at, name, version, predicted_class, features, probabilities = fields
    try:
        created = float(created_at)
    except ValueError as exc:
        raise JournalFormatError(f"created_at is not a number: {created_at[:40]!r}") from exc
    for field, what in ((features, "features"), (probabilities, "probabilities")):
        if not (field.startswith("{") and field.endswith("}")):
            raise JournalFormatError(f"{what} is not a JSON object: {field[:80]!r}")
    return {
        "prediction_id": _string(prediction_id, "prediction_id"),
        "created_at": created,
        "model_name": _string(name, "model_name"),
        "model_version": _string(version, "model_version"),
        "predicted_class": _string(predicted_class, "predicted_class"),
        "features": features,
        "probabilities": probabilities,
    }


def lines_as_json(block: bytes) -> str:
    """Complete journal lines (``block`` ends with a newline) as one JSON array of rows.

    Every field is a JSON value and tabs occur only between fields, so with tabs
    turned into commas each line is a JSON array: SQLite can then parse and
    insert a whole block in one statement (store.py). UnicodeDecodeError for
    bytes that are not UTF-8; a malformed line makes the result malformed JSON.
    """
    text = block.decode("utf-8")
    return "[[" + text[:-1].replace("\t", ",").replace("\n", "],[") + "]]"
