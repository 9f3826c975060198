"""An MLflow signature's inputs as driftline's feature kinds; a pure function.

A column signature (``ColSpec``) lists named, typed columns: numbers are numeric
features, ``boolean`` a boolean one (numeric, served as JSON booleans), ``string``
a categorical one. A tensor signature, an unnamed column or a type driftline cannot
profile (``binary``, ``datetime``, arrays, objects) is refused by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

NUMERIC_TYPES: Final = frozenset({"integer", "long", "float", "double"})
BOOLEAN_TYPE: Final = "boolean"
CATEGORICAL_TYPE: Final = "string"


class SignatureColumnsError(ValueError):
    """The signature's inputs are not a table driftline can profile."""


@dataclass(frozen=True)
class SignatureColumns:
    names: tuple[str, ...]  # in the signature's order
    numeric: tuple[str, ...]  # booleans among them
    categorical: tuple[str, ...]
    boolean: tuple[str, ...]
    optional: tuple[str, ...]  # inputs the signature marks not required

    def missing_from(self, columns: Sequence[str]) -> tuple[str, ...]:
        """Required inputs not among ``columns``."""
        have = set(columns)
        return tuple(c for c in self.names if c not in have and c not in self.optional)


def signature_columns(inputs: Sequence[Mapping[str, Any]]) -> SignatureColumns:
    """``inputs`` as ``ModelSignature.inputs.to_dict()`` gives them."""
    names: list[str] = []
    numeric: list[str] = []
    categorical: list[str] = []
    boolean: list[str] = []
    optional: list[str] = []
    refused: list[str] = []
    for spec in inputs:
        kind = spec.get("type")
        name = spec.get("name")
        if kind == "tensor":
            raise SignatureColumnsError(
                "the model's signature takes a tensor, not named columns; driftline profiles "
                "tables (log the model with a pandas DataFrame example)"
            )
        if not isinstance(name, str) or not name:
            raise SignatureColumnsError(f"the model's signature has an unnamed input ({kind})")
        names.append(name)
        if not spec.get("required", True):
            optional.append(name)
        if kind in NUMERIC_TYPES:
            numeric.append(name)
        elif kind == BOOLEAN_TYPE:
            numeric.append(name)
            boolean.append(name)
        elif kind == CATEGORICAL_TYPE:
            categorical.append(name)
        else:
            refused.append(f"{name} ({kind})")
    if refused:
        raise SignatureColumnsError(
            f"the model's signature has inputs driftline cannot profile: {', '.join(refused)} "
            "(numbers, booleans and strings only)"
        )
    return SignatureColumns(
        tuple(names), tuple(numeric), tuple(categorical), tuple(boolean), tuple(optional)
    )
