"""The Flask app of the inference server: routes and error answers, counted by request_metrics."""

from __future__ import annotations

import hmac
import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from predictionlog.ids import new_prediction_id
from predictionlog.row_codec import features_json
from serving.config import ServingConfig
from serving.labels import LabelError, class_label, value_label
from serving.metrics import ServingMetrics
from serving.openapi import document
from serving.record_text import single_record_text
from serving.request_metrics import SERVED_VERSION, CountedApp
from serving.runtime import ServingRuntime
from serving.served_model import ClassifierHead, RegressorHead, ServedModel
from serving.validation import RequestError, parse_json

log = logging.getLogger(__name__)

EXTENSION_KEY = "driftline"
JSON_MIMETYPE = "application/json"


# Built once: json.dumps with non-default options builds a new encoder per call.
_JSON = json.JSONEncoder(separators=(",", ":"))


def _json_response(body: Any, status: int = 200) -> Response:
    return Response(_JSON.encode(body), status, mimetype=JSON_MIMETYPE)


def _json_bytes() -> bytes:
    if request.mimetype != JSON_MIMETYPE:
        got = request.mimetype or "none"
        raise RequestError(
            415, "unsupported_media_type", f"Content-Type must be {JSON_MIMETYPE}, got {got}"
        )
    return request.get_data(cache=False)


def runtime_of(app: Flask) -> ServingRuntime:
    rt: ServingRuntime = app.extensions[EXTENSION_KEY]
    return rt


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    start: bool = True,
    validate: bool = True,
    instrument: bool = True,
    log_predictions: bool = True,
) -> Flask:
    """An inference server app. Settings come from the environment, overridden by ``config``.

    ``start=False`` defers opening the prediction log, loading the model and
    starting threads to ``ServingRuntime.start`` (gunicorn's ``post_worker_init``,
    so nothing runs in the arbiter before fork); the first request starts it otherwise.

    ``validate``, ``instrument`` and ``log_predictions`` exist for benchmarks that
    measure what each costs (bench/serving_throughput.py, bench/request_path_cost.py);
    no setting or environment variable reaches them, so production always
    validates, counts and logs.
    """
    cfg = ServingConfig.from_env().with_overrides(config or {})
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = cfg.max_body_bytes
    metrics = ServingMetrics()
    rt = ServingRuntime(cfg, metrics, instrument=instrument)
    app.extensions[EXTENSION_KEY] = rt
    if start:
        rt.start()

    def served() -> ServedModel:
        model = rt.model  # read once: a swap during this request does not affect it
        if model is None:
            raise RequestError(
                503,
                "model_not_loaded",
                f"no version of {cfg.model_uri} is loaded yet: {rt.last_error}",
            )
        request.environ[SERVED_VERSION] = model.version  # for the request metrics
        return model

    @app.before_request
    def _begin() -> None:
        if not rt.started:
            rt.start()

    @app.errorhandler(RequestError)
    def _request_error(exc: RequestError) -> Response:
        return _json_response(exc.body(), exc.status)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        code = {413: "body_too_large"}.get(
            exc.code or 500, (exc.name or "error").lower().replace(" ", "_")
        )
        message = exc.description or exc.name or "error"
        if exc.code == 413:
            message = f"request body is over the limit of {cfg.max_body_bytes} bytes"
        return _json_response({"error": {"code": code, "message": message}}, exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error answering %s %s", request.method, request.path)
        return _json_response(
            {"error": {"code": "internal_error", "message": f"{type(exc).__name__}"}}, 500
        )

    @app.post("/predict")
    def predict() -> Response:
        model = served()
        raw = _json_bytes()
        body = parse_json(raw)
        records = model.validator.records(body, validate=validate)
        head = model.head
        if isinstance(head, RegressorHead):
            answers = _predict_values(model, head, raw, body, records)
        else:
            answers = _predict_classes(model, head, raw, body, records)
        return _json_response(
            {"model": {"name": model.name, "version": model.version}, "predictions": answers}
        )

    def _features_texts(
        raw: bytes, body: dict[str, Any], records: list[dict[str, Any]]
    ) -> list[str]:
        """Each record's ``features`` text: the request's own text of a single record when
        that is the record (record_text.py), else the record encoded."""
        text = single_record_text(raw, records[0]) if "record" in body else None
        return [features_json(record) for record in records] if text is None else [text]

    def _predict_classes(
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
            if log_predictions:
                logged.append((prediction_id, winner, row))
        if log_predictions:
            entries = head.journal_entries
            _make_durable(
                lambda now: [
                    entries.line(prediction_id, now, features, winner, row)
                    for (prediction_id, winner, row), features in zip(
                        logged, _features_texts(raw, body, records), strict=True
                    )
                ]
            )
        if instrument:
            metrics.count_predictions(model.name, model.version, keys, winners)
        return answers

    def _predict_values(
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
        if log_predictions:
            entries = head.journal_entries
            _make_durable(
                lambda now: [
                    entries.line(prediction_id, now, features, value)
                    for prediction_id, features, value in zip(
                        ids, _features_texts(raw, body, records), values, strict=True
                    )
                ]
            )
        if instrument:
            metrics.count_values(model.name, model.version, len(values))
        return answers

    def _make_durable(lines_at: Callable[[float], list[str]]) -> None:
        """Journal the lines ``lines_at(now)`` makes; a RequestError (503) unless durable."""
        try:
            prediction_log = rt.opened_log()
            prediction_log.append("".join(lines_at(time.time())).encode())
        except Exception as exc:
            log.error("predictions not logged, not acknowledged: %s", exc)
            raise RequestError(
                503,
                "prediction_log_unavailable",
                f"the prediction could not be logged: {type(exc).__name__}",
            ) from exc

    @app.post("/feedback")
    def feedback() -> Response:
        model = served()
        try:
            # NaN or Infinity as a label is named as the label's problem (labels.py).
            body = parse_json(_json_bytes(), mark_constants=True)
            single = isinstance(body, dict) and "labels" not in body
            items = [body] if single else _label_items(body)
            pairs = [_label_pair(item, i, model, single) for i, item in enumerate(items)]
        except RequestError:
            # One rejected request counts once, however many labels it held.
            metrics.feedback.labels(cfg.model_name, "invalid").inc()
            raise
        try:
            results = rt.opened_log().record_labels(pairs)
        except Exception as exc:
            log.error("labels not recorded: %s", exc)
            raise RequestError(
                503,
                "prediction_log_unavailable",
                f"the labels could not be recorded: {type(exc).__name__}",
            ) from exc
        for result in results:
            metrics.feedback.labels(cfg.model_name, result.outcome).inc()
        if not single:
            return _json_response({"results": [
                {"prediction_id": r.prediction_id, "status": r.outcome} for r in results
            ]})  # fmt: skip
        result = results[0]
        if result.outcome == "unknown_prediction":
            raise RequestError(
                404,
                "unknown_prediction",
                f"no prediction with id {result.prediction_id!r}",
                field="prediction_id",
            )
        if result.outcome == "conflict":
            raise RequestError(
                409,
                "label_conflict",
                f"prediction {result.prediction_id!r} already has a different label",
                field="label",
            )
        return _json_response({"prediction_id": result.prediction_id, "status": result.outcome})

    def _label_items(body: Any) -> list[Any]:
        if not isinstance(body, dict) or set(body) != {"labels"}:
            raise RequestError(
                400, "invalid_body", 'body must be {"prediction_id", "label"} or {"labels": [...]}'
            )
        items = body["labels"]
        if not isinstance(items, list) or not items:
            raise RequestError(
                400,
                "empty_batch" if items == [] else "invalid_body",
                '"labels" must be a non-empty list',
                field="labels",
            )
        if len(items) > cfg.max_batch:
            raise RequestError(
                413,
                "batch_too_large",
                f"batch of {len(items)} labels is over the limit of {cfg.max_batch}",
                field="labels",
            )
        return items

    def _label_pair(item: Any, index: int, model: ServedModel, single: bool) -> tuple[str, str]:
        at = None if single else index
        where = "" if single else f"label {index}: "

        def invalid(code: str, message: str, field: str | None) -> RequestError:
            return RequestError(400, code, where + message, field=field, index=at)

        if not isinstance(item, dict):
            raise invalid("invalid_body", "must be an object", None)
        for name in sorted(set(item) - {"prediction_id", "label"}):
            raise invalid("unknown_field", f"unknown field {name!r}", name)
        for name in ("prediction_id", "label"):
            if item.get(name) is None:
                raise invalid("missing_field", f"field {name!r} is missing", name)
        prediction_id, label = item["prediction_id"], item["label"]
        if not isinstance(prediction_id, str) or not 0 < len(prediction_id) <= 36:
            raise invalid(
                "wrong_type",
                "field 'prediction_id' must be a prediction id string",
                "prediction_id",
            )
        head = model.head
        try:
            if isinstance(head, RegressorHead):
                text = value_label(label)
            else:
                text = class_label(label, head.class_keys)
        except LabelError as exc:
            raise invalid(exc.code, exc.message, "label") from None
        return prediction_id, text

    @app.get("/health")
    def health() -> Response:
        return _json_response({"status": "ok", "pid": rt.pid})

    @app.get("/ready")
    def ready() -> Response:
        model = rt.model
        body: dict[str, Any] = {
            "status": "ready" if model is not None else "loading",
            "model": cfg.model_name,
            "version": None if model is None else model.version,
            "run_id": None if model is None else model.run_id,
            "follows": cfg.model_uri,
            "loaded_at": None if model is None else model.loaded_at,
            "load_seconds": None if model is None else model.load_seconds,
            "task": None if model is None else model.task,
            "fast_path": None if model is None else model.fast_path,
            "pid": rt.pid,
            "last_error": rt.last_error,
        }
        return _json_response(body, 200 if model is not None else 503)

    @app.get("/metrics")
    def metrics_page() -> Response:
        payload, content_type = metrics.render()
        return Response(payload, 200, content_type=content_type)

    @app.get("/openapi.json")
    def openapi() -> Response:
        model = rt.model
        if model is None:
            return _json_response(document(cfg.model_name))
        head = model.head
        classes = head.classes if isinstance(head, ClassifierHead) else None
        return _json_response(document(cfg.model_name, model.schema, model.task, classes))

    @app.post("/admin/reload")
    def admin_reload() -> Response:
        token = cfg.admin_token
        if token is None:
            raise RequestError(
                404,
                "admin_disabled",
                "admin endpoints are disabled: DRIFTLINE_ADMIN_TOKEN is not set",
            )
        header = request.headers.get("Authorization", "")
        given = header[7:] if header[:7].lower() == "bearer " else ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            response = _json_response(
                {"error": {"code": "unauthorized", "message": "a valid bearer token is required"}},
                401,
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="driftline"'
            return response
        rt.request_reload()
        return _json_response({"status": "reload_requested"}, 202)

    if instrument:
        app.wsgi_app = CountedApp(  # type: ignore[method-assign]
            app.wsgi_app,
            partial(metrics.count_request, cfg.model_name),
            routes=(r.rule for r in app.url_map.iter_rules() if not r.arguments),
            current_version=lambda: "none" if rt.model is None else rt.model.version,
        )
    return app
