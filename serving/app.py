"""The Flask app of the inference server: routes and error answers, counted by request_metrics."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from serving import json_answer
from serving.config import ServingConfig
from serving.error_bodies import http_error, unexpected_error
from serving.labels import LabelError, class_label, value_label
from serving.metrics import ServingMetrics
from serving.openapi import document
from serving.predict_first import PredictFirst
from serving.predict_route import PredictRoute
from serving.request_body import json_body
from serving.request_metrics import CountedApp
from serving.request_model import model_for
from serving.runtime import ServingRuntime
from serving.served_model import ClassifierHead, RegressorHead, ServedModel
from serving.validation import RequestError, parse_json

log = logging.getLogger(__name__)

EXTENSION_KEY = "driftline"


def _json_response(body: Any, status: int = 200) -> Response:
    return Response(json_answer.encode(body), status, mimetype=json_answer.JSON_MIMETYPE)


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

    def _begin() -> None:
        if not rt.started:
            rt.start()

    app.before_request(_begin)
    route = PredictRoute(
        rt, validate=validate, instrument=instrument, log_predictions=log_predictions
    )

    @app.errorhandler(RequestError)
    def _request_error(exc: RequestError) -> Response:
        return _json_response(exc.body(), exc.status)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status, body = http_error(exc, cfg.max_body_bytes)
        return _json_response(body, status)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error answering %s %s", request.method, request.path)
        status, body = unexpected_error(exc)
        return _json_response(body, status)

    @app.post("/predict")
    def predict() -> Response:
        # Production answers POST /predict in PredictFirst (below) without reaching this
        # view; it stays so the route is Flask's too (405, OPTIONS, the routes counted)
        # and answers the same, from the same PredictRoute, when called through Flask.
        return _json_response(route.answer(request.environ))

    @app.post("/feedback")
    def feedback() -> Response:
        model = model_for(request.environ, rt)
        try:
            # NaN or Infinity as a label is named as the label's problem (labels.py).
            body = parse_json(json_body(request.environ, cfg.max_body_bytes), mark_constants=True)
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

    # POST /predict skips Flask's per-request machinery (predict_first.py).
    app.wsgi_app = PredictFirst(  # type: ignore[method-assign]
        app.wsgi_app, route, before=_begin, max_body_bytes=cfg.max_body_bytes
    )
    if instrument:
        app.wsgi_app = CountedApp(  # type: ignore[method-assign]
            app.wsgi_app,
            partial(metrics.count_request, cfg.model_name),
            routes=(r.rule for r in app.url_map.iter_rules() if not r.arguments),
            current_version=lambda: "none" if rt.model is None else rt.model.version,
        )
    return app
