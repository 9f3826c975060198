"""The input columns a model accepts, read from its MLflow signature."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

FeatureType = Literal["double", "float", "long", "integer", "string", "boolean"]
SUPPORTED_TYPES: Final = ("double", "float", "long", "integer", "string", "boolean")
NUMERIC_TYPES: Final = frozenset({"double", "float", "long", "integer"})


class SignatureError(ValueError):
    """The registered model has no usable column signature."""


@dataclass(frozen=True)
class Feature:
    name: str
    type: FeatureType

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES


@dataclass(frozen=True)
class FeatureSchema:
    features: tuple[Feature, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    def json_schema(self) -> dict[str, Any]:
        """One record as a JSON Schema object (OpenAPI 3.1); null is a missing value."""
        json_types = {
            "double": "number", "float": "number", "long": "integer", "integer": "integer",
            "string": "string", "boolean": "boolean",
        }  # fmt: skip
        return {
            "type": "object",
            "properties": {f.name: {"type": [json_types[f.type], "null"]} for f in self.features},
            "required": list(self.names),
            "additionalProperties": False,
        }


def from_signature_inputs(columns: list[dict[str, Any]]) -> FeatureSchema:
    """Build the schema from ``signature.inputs.to_dict()`` (a column-based signature)."""
    features: list[Feature] = []
    for column in columns:
        name = column.get("name")
        kind = column.get("type")
        if not isinstance(name, str) or not name:
            raise SignatureError("the model signature has an unnamed input column")
        if kind not in SUPPORTED_TYPES:
            raise SignatureError(f"input column {name!r} has unsupported type {kind!r}")
        features.append(Feature(name, kind))
    if not features:
        raise SignatureError("the model signature has no input columns")
    return FeatureSchema(tuple(features))
