"""What a ``POST /feedback`` label must be for the served model's task; pure functions.

A classifier's label is one of its classes, sent as the class (``1``) or its
string form (``"1"``). A classifier of a boolean target (classes ``False`` and
``True``) also takes ``true``/``false`` as PHP's ``json_encode`` sends them, ``1``/``0``
and ``"true"``/``"false"``, each stored as the class's string form (``"True"``), so
the exporter sees one spelling. A regression version's label is a finite JSON number,
stored as its canonical text (driftline/regression_values.py), so ``3`` and
``3.0`` are the same label. A numeric string (``"3.5"``) is refused: a client
that sends text for a number has a bug worth hearing about, and accepting both
would give one label two spellings on the wire.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from driftline.regression_values import value_text
from serving.validation import NonFiniteConstant, json_type_name


@dataclass
class LabelError(Exception):
    code: str  # the error code of the 400 answer
    message: str


# The class keys of a boolean target (str() of Python's booleans, in sorted order).
BOOLEAN_CLASS_KEYS: Final = ("False", "True")
_BOOLEAN_SPELLINGS: Final = {
    "true": "True", "false": "False", "True": "True", "False": "False", "1": "True", "0": "False",
}  # fmt: skip


def boolean_label(value: object) -> str:
    """The stored text of a boolean target's label: "True" or "False"."""
    if type(value) is bool:
        return str(value)
    if type(value) is int or type(value) is str:
        stored = _BOOLEAN_SPELLINGS.get(str(value))
        if stored is not None:
            return stored
        raise LabelError(
            "invalid_label",
            f'label {value!r} is not a boolean (true, false, 1, 0, "true", "false")',
        )
    raise LabelError("wrong_type", f"field 'label' must be a boolean, got {json_type_name(value)}")


def class_label(value: object, class_keys: Sequence[str]) -> str:
    """The stored text of a classifier's label: the class's string form."""
    if tuple(class_keys) == BOOLEAN_CLASS_KEYS:
        return boolean_label(value)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise LabelError("wrong_type", "field 'label' must be an integer or a string")
    if str(value) not in class_keys:
        raise LabelError(
            "invalid_label",
            f"label {value!r} is not a class of the model ({', '.join(class_keys)})",
        )
    return str(value)


def value_label(value: object) -> str:
    """The stored text of a regression label: the canonical text of a finite number."""
    if isinstance(value, NonFiniteConstant):
        raise LabelError("not_finite", f"field 'label' must be a finite number, got {value.text}")
    # type(), not isinstance: a boolean is an int to Python but never a measured value.
    if type(value) is not int and type(value) is not float:
        raise LabelError(
            "wrong_type", f"field 'label' must be a number, got {json_type_name(value)}"
        )
    try:
        return value_text(value)
    except ValueError as exc:  # 1e999 parses as infinity; 10**400 is too large for a float
        raise LabelError("not_finite", f"field 'label': {exc}") from exc
