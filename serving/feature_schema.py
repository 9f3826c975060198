"""The input columns a model accepts, read from its MLflow signature.

Beside the features, a record may carry the training table's identifier and time
columns (the run's ``id_columns`` and ``time_column``, training/train.py): they join
a prediction to the business object, so they are accepted and stored with the
prediction, but they are not features and never reach the model.
"""

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
    # False: null is refused; the model cannot take a missing value here (an integer
    # or boolean column of a pyfunc model: numpy holds no missing integer).
    nullable: bool = True

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES


# A JSON boolean, or 0/1 as a client without booleans sends it; the model sees 1.0/0.0.
BOOLEAN_VALUE: Final[dict[str, Any]] = {
    "anyOf": [{"type": "boolean"}, {"enum": [0, 1]}, {"type": "null"}]
}
# An identifier or time value: stored with the prediction as sent.
CONTEXT_VALUE: Final[dict[str, Any]] = {"type": ["string", "integer", "null"]}


@dataclass(frozen=True)
class FeatureSchema:
    features: tuple[Feature, ...]
    # Identifier and time columns: optional in a record, stored, not passed to the model.
    context: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    def json_schema(self) -> dict[str, Any]:
        """One record as a JSON Schema object (OpenAPI 3.1); null is a missing value."""
        json_types = {
            "double": "number", "float": "number", "long": "integer", "integer": "integer",
            "string": "string", "boolean": "boolean",
        }  # fmt: skip
        properties = {f.name: _value_schema(f, json_types[f.type]) for f in self.features}
        for name in self.context:
            properties[name] = {
                **CONTEXT_VALUE,
                "description": "Not a feature: stored with the prediction, not given to the model.",
            }
        return {
            "type": "object",
            "properties": properties,
            "required": list(self.names),
            "additionalProperties": False,
        }


def _value_schema(feature: Feature, json_type: str) -> dict[str, Any]:
    if feature.type == "boolean":
        if feature.nullable:
            return BOOLEAN_VALUE
        return {"anyOf": [{"type": "boolean"}, {"enum": [0, 1]}]}
    return {"type": [json_type, "null"] if feature.nullable else json_type}


def refusing_missing(schema: FeatureSchema, types: frozenset[str]) -> FeatureSchema:
    """``schema`` with null refused in the features of ``types``."""
    features = tuple(
        Feature(f.name, f.type, nullable=f.nullable and f.type not in types)
        for f in schema.features
    )
    return FeatureSchema(features, schema.context)


def from_signature_inputs(
    columns: list[dict[str, Any]], context: tuple[str, ...] = ()
) -> FeatureSchema:
    """Build the schema from ``signature.inputs.to_dict()`` (a column-based signature)
    and the run's ``context`` columns (identifiers, time)."""
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
    clash = sorted(set(context) & {f.name for f in features})
    if clash:
        raise SignatureError(f"columns both features and identifier/time: {clash}")
    return FeatureSchema(tuple(features), tuple(context))
