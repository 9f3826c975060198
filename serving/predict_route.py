"""``POST /predict``: from the request to the answer's body, the one owner of that logic.

Validation, the model, the durable journal write before the answer and the
prediction metrics all happen here. Two request paths call it: the Flask route
in app.py and the plain WSGI callable of predict_first.py that serves the route
in production without Flask's per-request machinery.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from predictionlog.ids import new_prediction_id
from predictionlog.row_codec import features_json
from serving.record_text import single_record_text
from serving.request_body import json_body
from serving.request_model import model_for
from serving.runtime import ServingRuntime
from serving.served_model import ClassifierHead, RegressorHead, ServedModel
from serving.validation import RequestError, parse_json

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

log = logging.getLogger(__name__)


class PredictRoute:
    """Answers ``POST /predict`` requests of one server.

    ``validate``, ``instrument`` and ``log_predictions`` are create_app's benchmark
    switches; production always validates, counts and logs.
    """

    def __init__(
        self,
        rt: ServingRuntime,
        *,
        validate: bool = True,
        instrument: bool = True,
        log_predictions: bool = True,
    ) -> None:
        self._rt = rt
        self._metrics = rt.metrics
        self._max_body_bytes = rt.config.max_body_bytes
        self._validate = validate
        self._instrument = instrument
        self._log_predictions = log_predictions

    def answer(self, environ: WSGIEnvironment) -> dict[str, Any]:
        """The body of the 200 answer to the request ``environ`` holds; a RequestError or
        one of werkzeug's HTTP errors (413) for a request it refuses."""
        model = model_for(environ, self._rt)
        raw = json_body(environ, self._max_body_bytes)
        body = parse_json(raw)
        records = model.validator.records(body, validate=self._validate)
        head = model.head
        if isinstance(head, RegressorHead):
            answers = self._predict_values(model, head, raw, body, records)
        else:
            answers = self._predict_classes(model, head, raw, body, records)
        return {"model": {"name": model.name, "version": model.version}, "predictions": answers}

    def _predict_classes(
        self,
        model: ServedModel,
        head: ClassifierHead,
        raw: bytes,
        body: dict[str, Any],
        records: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        probabilities = head.predictor.predict_proba(records)
        winners = probabilities.argmax(axis=1).tolist()
        keys = head.class_keys
        answers: list[dict[str, Any]] = []
        logged: list[tuple[str, int, list[float]]] = []
        for _record, row, winner in zip(records, probabilities.tolist(), winners, strict=True):
            prediction_id = new_prediction_id()
            probs = dict(zip(keys, row, strict=True))
            answers.append(
                {
                    "prediction_id": prediction_id,
                    "predicted_class": head.classes[winner],
                    "probabilities": probs,
                }
            )
            if self._log_predictions:
                logged.append((prediction_id, winner, row))
        if self._log_predictions:
            entries = head.journal_entries
            self._make_durable(
                lambda now: [
                    entries.line(prediction_id, now, features, winner, row)
                    for (prediction_id, winner, row), features in zip(
                        logged, _features_texts(raw, body, records), strict=True
                    )
                ]
            )
        if self._instrument:
            self._metrics.count_predictions(model.name, model.version, keys, winners)
        return answers

    def _predict_values(
        self,
        model: ServedModel,
        head: RegressorHead,
        raw: bytes,
        body: dict[str, Any],
        records: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        predicted = head.predictor.predict(records)
        if predicted.shape != (len(records),):
            raise RequestError(
                500,
                "prediction_not_a_number",
                f"the model answered an array of shape {predicted.shape} for {len(records)} "
                "record(s), not one number per record; nothing was logged",
            )
        # + 0.0 turns -0.0 into 0.0, so the answer reads as the logged text does.
        values: list[float] = (predicted + 0.0).tolist()
        if not all(map(math.isfinite, values)):
            # JSON has no NaN and the log refuses it: a failure of the model, not the request.
            bad = next(i for i, v in enumerate(values) if not math.isfinite(v))
            raise RequestError(
                500,
                "prediction_not_finite",
                f"the model predicted {values[bad]!r} for record {bad}; a prediction must be "
                "a finite number, so nothing of this request was logged",
                index=bad,
            )
        answers: list[dict[str, Any]] = []
        ids: list[str] = []
        for value in values:
            prediction_id = new_prediction_id()
            answers.append({"prediction_id": prediction_id, "prediction": value})
            ids.append(prediction_id)
        if self._log_predictions:
            entries = head.journal_entries
            self._make_durable(
                lambda now: [
                    entries.line(prediction_id, now, features, value)
                    for prediction_id, features, value in zip(
                        ids, _features_texts(raw, body, records), values, strict=True
                    )
                ]
            )
        if self._instrument:
            self._metrics.count_values(model.name, model.version, len(values))
        return answers

    def _make_durable(self, lines_at: Callable[[float], list[str]]) -> None:
        """Journal the lines ``lines_at(now)`` makes; a RequestError (503) unless durable."""
        try:
            prediction_log = self._rt.opened_log()
            prediction_log.append("".join(lines_at(time.time())).encode())
        except Exception as exc:
            log.error("predictions not logged, not acknowledged: %s", exc)
            raise RequestError(
                503,
                "prediction_log_unavailable",
                f"the prediction could not be logged: {type(exc).__name__}",
            ) from exc


def _features_texts(raw: bytes, body: dict[str, Any], records: list[dict[str, Any]]) -> list[str]:
    """Each record's ``features`` text: the request's own text of a single record when
    that is the record (record_text.py), else the record encoded."""
    text = single_record_text(raw, records[0]) if "record" in body else None
    return [features_json(record) for record in records] if text is None else [text]
