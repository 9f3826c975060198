"""The bare endpoint bench/serving_limit.py measures driftline against: Flask answering a
constant body shaped as driftline's answer to one record, nothing else.

Served by gunicorn with driftline's own worker settings (``gunicorn bare_endpoint:app``
from bench/, see serving_limit.py), it is what Flask and gunicorn allow on this machine:
the request is read and the answer written as driftline's are, but no validation, no
model, no metrics and no log.
"""

from __future__ import annotations

import json
import os
from typing import Final

from flask import Flask, Response, request

# The shape of driftline's answer to one record of the churn classifier.
BODY: Final = json.dumps(
    {
        "model": {"name": "churn", "version": "1"},
        "predictions": [
            {
                "prediction_id": "0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b",
                "predicted_class": 0,
                "probabilities": {"0": 0.8731526248891162, "1": 0.12684737511088385},
            }
        ],
    },
    separators=(",", ":"),
).encode()

app = Flask(__name__)


@app.post("/predict")
def predict() -> Response:
    request.get_data(cache=False)  # read as driftline reads it
    return Response(BODY, 200, mimetype="application/json")


@app.get("/ready")
def ready() -> Response:
    return Response(b'{"status":"ready"}', 200, mimetype="application/json")


@app.get("/health")
def health() -> Response:
    # As driftline's: the worker's pid, so a client can tell where its connection landed.
    return Response(
        json.dumps({"status": "ok", "pid": os.getpid()}), 200, mimetype="application/json"
    )
