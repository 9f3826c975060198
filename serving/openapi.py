"""The OpenAPI 3.1 document of the inference server, built from the served model's signature.

The record schema lists the model's own columns, so the document describes
exactly what ``POST /predict`` accepts right now; tests validate real requests
and responses against it.
"""

from __future__ import annotations

from typing import Any, Final

from driftline.outcomes import LABEL_OUTCOMES, LabelOutcome
from driftline.tasks import TASKS, Task
from serving.feature_schema import FeatureSchema

_ERROR = {"$ref": "#/components/schemas/Error"}
# A single label answers 200 only when it is stored now or was before: a conflict
# is 409 and an unknown id 404 (serving/app.py). A batch answers every outcome.
SINGLE_LABEL_STATUSES: Final[tuple[LabelOutcome, ...]] = ("recorded", "duplicate")


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ERROR, description)


def _class_prediction(classes: tuple[Any, ...] | None) -> dict[str, Any]:
    predicted: dict[str, Any] = {"description": "The class with the highest probability."}
    if classes is not None:
        predicted["enum"] = list(classes)
    return {
        "type": "object",
        "required": ["prediction_id", "predicted_class", "probabilities"],
        "additionalProperties": False,
        "properties": {
            "prediction_id": {"type": "string", "format": "uuid"},
            "predicted_class": predicted,
            "probabilities": {
                "type": "object",
                "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
            },
        },
    }


_VALUE_PREDICTION: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["prediction_id", "prediction"],
    "additionalProperties": False,
    "properties": {
        "prediction_id": {"type": "string", "format": "uuid"},
        "prediction": {"type": "number", "description": "The predicted value (finite)."},
    },
}


_BOOLEAN_LABEL: Final[dict[str, Any]] = {
    "anyOf": [{"type": "boolean"}, {"enum": [0, 1, "true", "false", "True", "False", "1", "0"]}],
    "description": "The true class of a boolean target: true or false (PHP's json_encode), "
    'also 1/0 and "true"/"false"; stored as "True"/"False".',
}


def _class_label(classes: tuple[Any, ...] | None) -> dict[str, Any]:
    if classes is not None and all(type(c) is bool for c in classes):
        return _BOOLEAN_LABEL
    label: dict[str, Any] = {
        "type": ["integer", "string"],
        "description": "The true class: a class of the served model, or its string form.",
    }
    if classes is not None:
        label["description"] += f" Classes: {', '.join(map(str, classes))}."
    return label


_VALUE_LABEL: Final[dict[str, Any]] = {
    "type": "number",
    "description": "The true value: a finite JSON number (not a string); 3 and 3.0 are the "
    "same label.",
}


def _by_task(task: Task | None, classification: Any, regression: Any) -> Any:
    """What describes the served model's task; either while no model is loaded."""
    if task == "classification":
        return classification
    if task == "regression":
        return regression
    return {"anyOf": [classification, regression]}


def document(
    model_name: str,
    schema: FeatureSchema | None = None,
    task: Task | None = None,
    classes: tuple[Any, ...] | None = None,
) -> dict[str, Any]:
    """The document of the served model: its ``schema`` and ``task`` (a classifier's
    ``classes``); all None while no model is loaded."""
    record: dict[str, Any] = (
        schema.json_schema()
        if schema is not None
        else {"type": "object", "additionalProperties": {"type": ["number", "string", "null"]}}
    )
    record["description"] = (
        "One record: every input column of the model's signature; null is a missing "
        "value (imputed by the pipeline). A boolean feature takes true/false or 1/0. "
        "The training table's identifier and time columns may come too: stored with "
        "the prediction, not passed to the model. No other fields."
    )
    prediction = _by_task(task, _class_prediction(classes), _VALUE_PREDICTION)
    label = _by_task(task, _class_label(classes), _VALUE_LABEL)
    bad_label = {
        "classification": "a label that is not a class of the model",
        "regression": "a label that is not a finite number (NaN and Infinity included)",
    }.get(task or "", "a label the served model cannot take")
    uuid = {"type": "string", "minLength": 1, "maxLength": 36}
    status_result = {
        "type": "object",
        "required": ["prediction_id", "status"],
        "properties": {
            "prediction_id": uuid,
            "status": {"enum": list(LABEL_OUTCOMES)},
        },
        "additionalProperties": False,
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"driftline inference server ({model_name})",
            "version": "1",
            "description": "Predictions, ground-truth feedback and health of one served model.",
        },
        "paths": {
            "/predict": {
                "post": {
                    "summary": "Predict one record or a batch",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {
                                            "type": "object",
                                            "required": ["record"],
                                            "properties": {"record": record},
                                            "additionalProperties": False,
                                        },
                                        {
                                            "type": "object",
                                            "required": ["records"],
                                            "properties": {
                                                "records": {
                                                    "type": "array",
                                                    "minItems": 1,
                                                    "items": record,
                                                }
                                            },
                                            "additionalProperties": False,
                                        },
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {"$ref": "#/components/schemas/PredictResponse"},
                            "One prediction per record, in request order, logged "
                            "durably before this answer.",
                        ),
                        "400": _error(
                            "Not JSON, wrong shape, empty batch, or a record with a "
                            "missing, unknown, mistyped or non-finite field "
                            "(field and index name it)."
                        ),
                        "413": _error("Body over the size limit, or batch over the record limit."),
                        "415": _error("Content-Type is not application/json."),
                        "500": _error(
                            "The model failed: an unexpected error, or a regression model "
                            "predicted a value that is not a finite number (index names the "
                            "record); nothing of the request was logged."
                        ),
                        "503": _error("No model loaded yet, or the prediction log is unavailable."),
                    },
                }
            },
            "/feedback": {
                "post": {
                    "summary": "Record the ground truth of earlier predictions",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/Label"},
                                        {
                                            "type": "object",
                                            "required": ["labels"],
                                            "properties": {
                                                "labels": {
                                                    "type": "array",
                                                    "minItems": 1,
                                                    "items": {"$ref": "#/components/schemas/Label"},
                                                }
                                            },
                                            "additionalProperties": False,
                                        },
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {
                                "oneOf": [
                                    {
                                        "type": "object",
                                        "required": ["prediction_id", "status"],
                                        "properties": {
                                            "prediction_id": uuid,
                                            "status": {"enum": list(SINGLE_LABEL_STATUSES)},
                                        },
                                        "additionalProperties": False,
                                    },
                                    {
                                        "type": "object",
                                        "required": ["results"],
                                        "properties": {
                                            "results": {"type": "array", "items": status_result}
                                        },
                                        "additionalProperties": False,
                                    },
                                ]
                            },
                            "Single label: recorded or duplicate (the same label again). Batch: "
                            "one result per label, in order, including conflicts and unknown "
                            "ids.",
                        ),
                        "400": _error(f"Not JSON, wrong shape, or {bad_label}."),
                        "404": _error("Single label: no prediction with that id."),
                        "409": _error("Single label: a different label was recorded before."),
                        "413": _error("Body over the size limit, or batch over the record limit."),
                        "415": _error("Content-Type is not application/json."),
                        "503": _error("No model loaded yet, or the prediction log is unavailable."),
                    },
                }
            },
            "/health": {
                "get": {
                    "summary": "Liveness",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["status", "pid"],
                                "properties": {
                                    "status": {"const": "ok"},
                                    "pid": {"type": "integer"},
                                },
                            },
                            "The process answers.",
                        )
                    },
                }
            },
            "/ready": {
                "get": {
                    "summary": "Readiness: a model version is loaded",
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Ready"}, "Serving."),
                        "503": _json(
                            {"$ref": "#/components/schemas/Ready"},
                            "No model loaded yet; last_error says why.",
                        ),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics of all workers",
                    "responses": {
                        "200": {
                            "description": "Prometheus text exposition format 0.0.4.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document.")},
                }
            },
            "/admin/reload": {
                "post": {
                    "summary": "Check the registry for a moved alias now, in every worker",
                    "security": [{"bearer": []}],
                    "responses": {
                        "202": _json(
                            {
                                "type": "object",
                                "required": ["status"],
                                "properties": {"status": {"const": "reload_requested"}},
                            },
                            "Every worker checks the registry within a second.",
                        ),
                        "401": _error("Missing or wrong bearer token."),
                        "404": _error("Disabled: no DRIFTLINE_ADMIN_TOKEN is set."),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "additionalProperties": False,
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "additionalProperties": False,
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "field": {"type": "string", "description": "The field at fault."},
                                "index": {
                                    "type": "integer",
                                    "description": "The record's position in the batch.",
                                },
                            },
                        }
                    },
                },
                "Label": {
                    "type": "object",
                    "required": ["prediction_id", "label"],
                    "properties": {"prediction_id": uuid, "label": label},
                    "additionalProperties": False,
                },
                "PredictResponse": {
                    "type": "object",
                    "required": ["model", "predictions"],
                    "additionalProperties": False,
                    "properties": {
                        "model": {
                            "type": "object",
                            "required": ["name", "version"],
                            "additionalProperties": False,
                            "properties": {
                                "name": {"type": "string"},
                                "version": {"type": "string"},
                            },
                        },
                        "predictions": {"type": "array", "items": prediction},
                    },
                },
                "Ready": {
                    "type": "object",
                    "required": ["status", "model", "version", "pid"],
                    "properties": {
                        "status": {"enum": ["ready", "loading"]},
                        "model": {"type": "string"},
                        "version": {"type": ["string", "null"]},
                        "run_id": {"type": ["string", "null"]},
                        "follows": {
                            "type": "string",
                            "description": "models:/name@alias or models:/name/N",
                        },
                        "loaded_at": {"type": ["number", "null"]},
                        "load_seconds": {"type": ["number", "null"]},
                        "task": {"enum": [*TASKS, None]},
                        "fast_path": {"type": ["boolean", "null"]},
                        "pid": {"type": "integer"},
                        "last_error": {"type": ["string", "null"]},
                    },
                },
            },
        },
    }
