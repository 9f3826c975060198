"""POST /predict answered without Flask (serving/predict_first.py) reads exactly as the Flask
route answering from the same PredictRoute: status line, headers and body, for every kind of
answer; everything else still reaches Flask."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder

from serving.app import create_app, runtime_of
from serving.predict_first import PredictFirst
from serving.request_metrics import CountedApp
from tests.serving.conftest import app_config
from tests.serving.records import one_record, records
from tests.support.model_store import TrainedStore

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

JSON = "application/json"
# A prediction id in an answer: the one part two answers to the same request differ in.
PREDICTION_ID = re.compile(rb'"prediction_id":"[0-9a-f-]{36}"')

Answer = tuple[str, list[tuple[str, str]], bytes]


def _predict_first(app: Flask) -> PredictFirst:
    wsgi: Any = app.wsgi_app
    first = wsgi.app if isinstance(wsgi, CountedApp) else wsgi
    assert isinstance(first, PredictFirst)
    return first


def _answer(wsgi: WSGIApplication, **request: Any) -> Answer:
    got: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        got.append((status, headers))

    body: Iterable[bytes] = wsgi(EnvironBuilder(**request).get_environ(), start_response)
    data = b"".join(body)
    getattr(body, "close", lambda: None)()
    status, headers = got[-1]
    return status, list(headers), PREDICTION_ID.sub(b'"prediction_id":"-"', data)


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()


# name: the request, and the status both paths answer it with.
REQUESTS: dict[str, tuple[dict[str, Any], int]] = {
    "one record": (dict(data=_json({"record": one_record()}), content_type=JSON), 200),
    "a batch": (dict(data=_json({"records": records(3)}), content_type=JSON), 200),
    "charset parameter": (
        dict(data=_json({"record": one_record()}), content_type="Application/JSON; charset=utf-8"),
        200,
    ),
    "not JSON": (dict(data=b"{", content_type=JSON), 400),
    "NaN": (dict(data=b'{"record": {"tenure_months": NaN}}', content_type=JSON), 400),
    "no content type": (dict(data=b"{}"), 415),
    "text/plain": (dict(data=b"{}", content_type="text/plain"), 415),
    "too large": (dict(data=b" " * (64 * 1024 + 1), content_type=JSON), 413),
    # As gunicorn hands a chunked body: no length, the server ends the stream.
    "too large, chunked": (
        dict(
            data=b" " * (64 * 1024 + 1),
            content_type=JSON,
            environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True},
        ),
        413,
    ),
    "at the limit, chunked": (
        dict(
            data=_json({"record": one_record()}).ljust(64 * 1024),
            content_type=JSON,
            environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True},
        ),
        200,
    ),
    "unknown field": (dict(data=_json({"record": {"tenure": 1}}), content_type=JSON), 400),
    "empty batch": (dict(data=_json({"records": []}), content_type=JSON), 400),
    "batch too large": (dict(data=_json({"records": [{}] * 21}), content_type=JSON), 413),
}


@pytest.fixture(scope="module")
def shared_app(trained_store: TrainedStore, tmp_path_factory: pytest.TempPathFactory) -> Any:
    app = create_app(app_config(trained_store, tmp_path_factory.mktemp("predict-first")))
    yield app
    runtime_of(app).shutdown()


@pytest.mark.parametrize("name", REQUESTS)
def test_both_request_paths_answer_alike(shared_app: Flask, name: str) -> None:
    first = _predict_first(shared_app)
    request, status = REQUESTS[name]
    fast = _answer(first, method="POST", path="/predict", **request)
    assert fast == _answer(first.app, method="POST", path="/predict", **request)
    assert int(fast[0][:3]) == status, fast


def test_a_server_without_a_model_answers_alike(
    trained_store: TrainedStore, tmp_path: Path
) -> None:
    app = create_app(app_config(trained_store, tmp_path, model_name="no-such-model"))
    try:
        first = _predict_first(app)
        request = dict(REQUESTS["one record"][0], method="POST", path="/predict")
        fast = _answer(first, **request)
        assert fast == _answer(first.app, **request)
        assert fast[0] == "503 SERVICE UNAVAILABLE"
    finally:
        runtime_of(app).shutdown()


def test_other_methods_and_paths_reach_flask(shared_app: Flask) -> None:
    client = shared_app.test_client()
    refused = client.get("/predict")
    assert (
        refused.status_code == 405 and refused.get_json()["error"]["code"] == "method_not_allowed"
    )
    assert set(client.options("/predict").headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert client.post("/predict/", json={"record": one_record()}).status_code == 404


def test_an_unexpected_failure_is_a_500_named_by_its_type(
    shared_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    first = _predict_first(shared_app)
    request = dict(REQUESTS["one record"][0], method="POST", path="/predict")
    # A body that fails when read with what is no HTTP error (werkzeug turns an OSError
    # into a 400, "client disconnected", on both paths).
    environ_overrides = {"wsgi.input": _Broken()}
    fast = _answer(first, **request, environ_overrides=environ_overrides)
    assert fast == _answer(first.app, **request, environ_overrides=environ_overrides)
    assert fast[0] == "500 INTERNAL SERVER ERROR"
    assert json.loads(fast[2]) == {"error": {"code": "internal_error", "message": "RuntimeError"}}
    assert "unexpected error answering POST /predict" in caplog.text


class _Broken:
    def read(self, *_: Any) -> bytes:
        raise RuntimeError("the server broke")
