"""Check prediction requests against the model's input schema; pure functions, no I/O.

Every problem becomes a :class:`RequestError` naming the field, the record index
and what is wrong, which the HTTP layer turns into a 4xx JSON answer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter
from typing import Any

from serving.feature_schema import FeatureSchema


@dataclass
class RequestError(Exception):
    status: int
    code: str
    message: str
    field: str | None = None
    index: int | None = None

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        if self.index is not None:
            error["index"] = self.index
        return {"error": error}


@dataclass(frozen=True)
class NonFiniteConstant:
    """``NaN``, ``Infinity`` or ``-Infinity`` in a body (parse_json's ``mark_constants``)."""

    text: str


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(body: bytes, *, mark_constants: bool = False) -> Any:
    """Strict JSON: Python's json accepts NaN and Infinity by default, HTTP clients must not.

    ``mark_constants``: the three constants parse as NonFiniteConstant instead of
    failing the whole body, so the caller can name the field that held one (a
    feedback label); any check of that field's type then refuses it.
    """
    constant = NonFiniteConstant if mark_constants else _reject_constant
    try:
        return json.loads(body, parse_constant=constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError(400, "invalid_json", f"request body is not valid JSON: {exc}") from exc


def json_type_name(value: object) -> str:
    """The JSON name of a parsed value's type, for error messages."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, NonFiniteConstant):
        return value.text
    return type(value).__name__


# A check returns None when the value is acceptable, else the problem.
Check = Callable[[object], str | None]


def _check_number(value: object) -> str | None:
    kind = type(value)
    if kind is float:
        return None if math.isfinite(value) else "must be a finite number"  # type: ignore[arg-type]
    if kind is int:
        return None
    return f"must be a number, got {json_type_name(value)}"


def _check_integer(value: object) -> str | None:
    if type(value) is int:
        return None
    if type(value) is float and value.is_integer():  # type: ignore[attr-defined]
        return None
    if type(value) is float and not math.isfinite(value):  # type: ignore[arg-type]
        return "must be a finite number"
    return f"must be an integer, got {json_type_name(value)}"


def _check_string(value: object) -> str | None:
    return None if type(value) is str else f"must be a string, got {json_type_name(value)}"


def _check_boolean(value: object) -> str | None:
    # 0 and 1 too: a client without booleans (or a CSV export) sends them.
    if type(value) is bool or _zero_or_one(value):
        return None
    got = value if type(value) is int else json_type_name(value)
    return f"must be a boolean (or 0 or 1), got {got}"


def _zero_or_one(value: object) -> bool:
    return type(value) is int and value in (0, 1)


def _check_context(value: object) -> str | None:
    if type(value) is str or type(value) is int:
        return None
    return f"must be a string or an integer (an identifier or time), got {json_type_name(value)}"


_CHECKS: dict[str, Check] = {
    "double": _check_number, "float": _check_number,
    "long": _check_integer, "integer": _check_integer,
    "string": _check_string, "boolean": _check_boolean,
}  # fmt: skip


def _values_of(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The record's values of ``names`` as a tuple, in one C call; KeyError when one is missing."""
    if len(names) == 1:
        name = names[0]
        return lambda record: (record[name],)
    return itemgetter(*names) if names else lambda record: ()


# The fast check reads the fields in this order of types, each kind a slice of one tuple.
_FAST_ORDER: tuple[frozenset[str], ...] = (
    frozenset({"string"}), frozenset({"boolean"}),
    frozenset({"long", "integer"}), frozenset({"double", "float"}),
)  # fmt: skip


class RecordValidator:
    """Validates request bodies for one model version's schema."""

    def __init__(self, schema: FeatureSchema, max_batch: int) -> None:
        self._names = schema.names
        self._name_set = frozenset(schema.names)
        # Identifier and time columns: optional, stored, not features (feature_schema.py).
        self._context = frozenset(schema.context)
        self._checks = tuple((f.name, _CHECKS[f.type]) for f in schema.features)
        # Features whose model cannot take a missing value (feature_schema.Feature.nullable).
        self._not_null = tuple(f.name for f in schema.features if not f.nullable)
        self._max_batch = max_batch
        groups = [tuple(f.name for f in schema.features if f.type in t) for t in _FAST_ORDER]
        self._values = _values_of(tuple(name for group in groups for name in group))
        self._strings_end, self._booleans_end, self._integers_end, _ = accumulate(map(len, groups))

    def records(self, body: object, validate: bool = True) -> list[dict[str, Any]]:
        """The records of a /predict body, or a RequestError for the first problem."""
        if not isinstance(body, dict):
            raise RequestError(400, "invalid_body", "body must be a JSON object")
        single = "record" in body
        if single == ("records" in body) or len(body) != 1:
            raise RequestError(
                400, "invalid_body",
                'body must have exactly one key: "record" (one object) or "records" (a list)',
            )  # fmt: skip
        if single:
            records: object = [body["record"]]
            if not isinstance(body["record"], dict):
                raise RequestError(
                    400, "invalid_body", '"record" must be an object', field="record"
                )
        else:
            records = body["records"]
            if not isinstance(records, list):
                raise RequestError(400, "invalid_body", '"records" must be a list', field="records")
            if not records:
                raise RequestError(400, "empty_batch", '"records" is empty', field="records")
            if len(records) > self._max_batch:
                raise RequestError(
                    413, "batch_too_large",
                    f"batch of {len(records)} records is over the limit of {self._max_batch}",
                    field="records",
                )  # fmt: skip
        out: list[dict[str, Any]] = records  # type: ignore[assignment]
        if validate:
            for index, record in enumerate(out):
                # type() is: a dict subclass may override item access, so it takes the long way.
                if type(record) is not dict or not self._plainly_valid(record):
                    self._check_record(record, index)
        return out

    def _plainly_valid(self, record: dict[str, Any]) -> bool:
        """True when ``record`` has exactly the schema's keys and every value fits its type.

        A shortcut for the usual good record, about three times faster than the
        per-field checks: False only means "look closer", and _check_record then
        finds the first problem and its message.
        """
        # Same size and every schema name present: the key sets are equal. A record
        # with an identifier takes the long way.
        if len(record) != len(self._name_set):
            return False
        try:
            values = self._values(record)
        except KeyError:
            return False
        strings_end, booleans_end, integers_end = (
            self._strings_end, self._booleans_end, self._integers_end
        )  # fmt: skip
        for value in values[:strings_end]:
            if type(value) is not str and value is not None:
                return False
        for value in values[strings_end:booleans_end]:
            if type(value) is not bool and value is not None and not _zero_or_one(value):
                return False
        for value in values[booleans_end:integers_end]:
            if type(value) is float:
                if not value.is_integer():  # also False for inf and nan
                    return False
            elif type(value) is not int and value is not None:
                return False
        for value in values[integers_end:]:
            if type(value) is float:
                if value - value != 0.0:  # inf - inf and nan - nan are nan
                    return False
            elif type(value) is not int and value is not None:
                return False
        return not any(record[name] is None for name in self._not_null)

    def _check_record(self, record: object, index: int) -> None:
        if not isinstance(record, dict):
            raise RequestError(
                400, "invalid_body", f"record {index} must be an object", index=index
            )
        if len(record) != len(self._names) or record.keys() != self._name_set:
            self._check_keys(record, index)
        for name in self._context & record.keys():
            value = record[name]
            if value is not None and (problem := _check_context(value)) is not None:
                raise RequestError(
                    400, "wrong_type", f"record {index}: field {name!r} {problem}",
                    field=name, index=index,
                )  # fmt: skip
        for name, check in self._checks:
            value = record[name]
            if value is None and name in self._not_null:
                raise RequestError(
                    400, "missing_value",
                    f"record {index}: field {name!r} is null; this model takes no missing "
                    "value in it",
                    field=name, index=index,
                )  # fmt: skip
            if value is None:
                continue  # a missing value: the pipeline imputes it
            problem = check(value)
            if problem is not None:
                code = "not_finite" if "finite" in problem else "wrong_type"
                raise RequestError(
                    400, code, f"record {index}: field {name!r} {problem}",
                    field=name, index=index,
                )  # fmt: skip

    def _check_keys(self, record: Mapping[str, object], index: int) -> None:
        for name in sorted(set(record) - self._name_set - self._context):
            raise RequestError(
                400, "unknown_field", f"record {index}: unknown field {name!r}",
                field=name, index=index,
            )  # fmt: skip
        for name in self._names:
            if name not in record:
                raise RequestError(
                    400, "missing_field",
                    f"record {index}: field {name!r} is missing (send null for a missing value)",
                    field=name, index=index,
                )  # fmt: skip
