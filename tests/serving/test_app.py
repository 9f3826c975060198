"""HTTP behaviour on Flask's test client, checked against the server's OpenAPI document."""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from predictionlog.schema import predictions
from serving.app import create_app, runtime_of
from tests.serving.conftest import ADMIN_TOKEN, app_config
from tests.serving.openapi_check import ContractChecker
from tests.serving.records import one_record, records
from tests.support.log_rows import get_predictions, opened_store
from tests.support.model_store import TrainedStore

JSON = "application/json"


@pytest.fixture
def contract(client: FlaskClient) -> ContractChecker:
    return ContractChecker(client.get("/openapi.json").get_json())


def post(
    client: FlaskClient,
    contract: ContractChecker,
    path: str,
    body: Any,
    *,
    raw: bytes | None = None,
    content_type: str | None = JSON,
    request_valid: bool = True,
) -> Any:
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(path, data=data, headers=headers)
    contract.check(response, method="POST", path=path, body=data, content_type=content_type,
                   request_valid=request_valid)  # fmt: skip
    return response


def sample(metrics_text: str, name: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(metrics_text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


def test_one_record_is_predicted_logged_and_answered(
    client: FlaskClient, contract: ContractChecker, app: Flask
) -> None:
    response = post(client, contract, "/predict", {"record": one_record()})
    assert response.status_code == 200
    body = response.get_json()
    assert body["model"] == {"name": "churn", "version": "1"}
    [prediction] = body["predictions"]
    uuid.UUID(prediction["prediction_id"])
    assert prediction["predicted_class"] in (0, 1)
    assert set(prediction["probabilities"]) == {"0", "1"}
    assert sum(prediction["probabilities"].values()) == pytest.approx(1.0)
    best = max(prediction["probabilities"], key=prediction["probabilities"].get)
    assert str(prediction["predicted_class"]) == best
    rt = runtime_of(app)
    assert rt.prediction_log is not None
    rt.prediction_log.ingest()  # the journal reaches the database in the background; now, here
    with opened_store(rt.config.log.db_url) as store:
        stored = get_predictions(store, [prediction["prediction_id"]])[prediction["prediction_id"]]
    assert stored.model_version == "1"
    assert stored.predicted_class == str(prediction["predicted_class"])
    assert dict(stored.features) == one_record()


@pytest.mark.parametrize(
    "spelling",
    ["as sent by json.dumps", "with a repeated key", "with escapes", "as a batch of one"],
)
def test_the_log_stores_the_features_the_model_was_given(
    client: FlaskClient, contract: ContractChecker, app: Flask, spelling: str
) -> None:
    """The request's own text of its record is stored only when it means that record
    (serving/record_text.py); every other spelling is stored as the parsed record."""
    record = one_record()
    name = next(k for k, v in record.items() if isinstance(v, str))
    text = json.dumps(record)
    if spelling == "with a repeated key":  # JSON keeps the last value; so must the log
        text = "{" + json.dumps(name) + ': "stale", ' + text[1:]
    if spelling == "with escapes":
        escaped = '"' + "".join(f"\\u{ord(c):04x}" for c in name) + '"'
        text = text.replace(json.dumps(name), escaped, 1)
    body = (
        f'{{"records": [{text}]}}' if spelling == "as a batch of one" else f'{{"record": {text}}}'
    )
    response = post(client, contract, "/predict", None, raw=body.encode())
    assert response.status_code == 200, response.get_data(as_text=True)
    prediction_id = response.get_json()["predictions"][0]["prediction_id"]
    rt = runtime_of(app)
    assert rt.prediction_log is not None
    rt.prediction_log.ingest()
    with opened_store(rt.config.log.db_url) as store, store.engine.connect() as conn:
        stored = conn.execute(
            select(predictions.c.features).where(predictions.c.prediction_id == prediction_id)
        ).scalar_one()
    # Key by key, as SQL's JSON functions read it: one key each, none repeated.
    pairs = json.loads(stored, object_pairs_hook=list)
    assert len(pairs) == len(record) and dict(pairs) == record


def test_a_batch_answers_in_order_and_nulls_are_accepted(
    client: FlaskClient, contract: ContractChecker
) -> None:
    batch = records(5)
    batch[2] = dict.fromkeys(batch[2])  # every value missing
    response = post(client, contract, "/predict", {"records": batch})
    assert response.status_code == 200
    predictions = response.get_json()["predictions"]
    assert len(predictions) == 5
    assert len({p["prediction_id"] for p in predictions}) == 5
    for i, record in enumerate(batch):
        single = post(client, contract, "/predict", {"record": record}).get_json()
        assert single["predictions"][0]["probabilities"] == pytest.approx(
            predictions[i]["probabilities"], abs=1e-12
        )


def _bad(record_change: dict[str, Any], drop: str | None = None) -> dict[str, Any]:
    batch = records(2)
    batch[1].update(record_change)
    if drop:
        del batch[1][drop]
    return {"records": batch}


@pytest.mark.parametrize(
    ("body", "status", "code", "field", "index"),
    [
        (_bad({}, drop="tenure_months"), 400, "missing_field", "tenure_months", 1),
        (_bad({"shoe_size": 44}), 400, "unknown_field", "shoe_size", 1),
        (_bad({"age": "forty"}), 400, "wrong_type", "age", 1),
        (_bad({"contract_type": 2}), 400, "wrong_type", "contract_type", 1),
        (_bad({"age": False}), 400, "wrong_type", "age", 1),
        ({"records": []}, 400, "empty_batch", "records", None),
        ({"records": records(21)}, 413, "batch_too_large", "records", None),
        ({"record": records(2)}, 400, "invalid_body", "record", None),
        ({"rows": records(1)}, 400, "invalid_body", None, None),
    ],
)
def test_bad_records_name_the_field_and_index(
    client: FlaskClient,
    contract: ContractChecker,
    body: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
    index: int | None,
) -> None:
    response = post(client, contract, "/predict", body, request_valid=False)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert (error["code"], error.get("field"), error.get("index")) == (code, field, index)
    assert error["message"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity_are_rejected(
    client: FlaskClient, contract: ContractChecker, constant: str
) -> None:
    marked = {**one_record(), "age": "__AGE__"}
    body = json.dumps({"record": marked}).replace('"__AGE__"', constant)
    response = post(client, contract, "/predict", None, raw=body.encode(), request_valid=False)
    assert response.status_code == 400
    error = response.get_json()["error"]
    if constant == "1e999":
        assert (error["code"], error["field"]) == ("not_finite", "age")
    else:
        assert error["code"] == "invalid_json"
        assert constant.lstrip("-") in error["message"]


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        (b"{not json", JSON, 400, "invalid_json"),
        (b"", JSON, 400, "invalid_json"),
        (b'{"record": {}}', "text/plain", 415, "unsupported_media_type"),
        (b'{"record": {}}', None, 415, "unsupported_media_type"),
        (b'{"records": [' + b'{"a": 1},' * 20_000 + b"{}]}", JSON, 413, "body_too_large"),
    ],
)
def test_bodies_that_are_not_json_or_too_large(
    client: FlaskClient,
    contract: ContractChecker,
    raw: bytes,
    content_type: str | None,
    status: int,
    code: str,
) -> None:
    response = post(client, contract, "/predict", None, raw=raw, content_type=content_type,
                    request_valid=False)  # fmt: skip
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_feedback_records_once_is_idempotent_and_refuses_conflicts(
    client: FlaskClient, contract: ContractChecker
) -> None:
    answer = post(client, contract, "/predict", {"records": records(3)}).get_json()
    ids = [p["prediction_id"] for p in answer["predictions"]]

    first = post(client, contract, "/feedback", {"prediction_id": ids[0], "label": 1})
    assert (first.status_code, first.get_json()["status"]) == (200, "recorded")
    again = post(client, contract, "/feedback", {"prediction_id": ids[0], "label": "1"})
    assert (again.status_code, again.get_json()["status"]) == (200, "duplicate")
    conflict = post(client, contract, "/feedback", {"prediction_id": ids[0], "label": 0})
    assert conflict.status_code == 409
    assert conflict.get_json()["error"]["code"] == "label_conflict"
    unknown = post(client, contract, "/feedback", {"prediction_id": str(uuid.uuid4()), "label": 0})
    assert unknown.status_code == 404
    assert unknown.get_json()["error"]["field"] == "prediction_id"

    batch = post(client, contract, "/feedback", {"labels": [
        {"prediction_id": ids[1], "label": 0},
        {"prediction_id": ids[0], "label": 0},
        {"prediction_id": "no-such-id", "label": 1},
    ]}).get_json()  # fmt: skip
    assert [r["status"] for r in batch["results"]] == [
        "recorded", "conflict", "unknown_prediction",
    ]  # fmt: skip

    text = client.get("/metrics").get_data(as_text=True)
    for outcome, count in [("recorded", 2), ("duplicate", 1), ("conflict", 2),
                           ("unknown_prediction", 2)]:  # fmt: skip
        assert sample(text, "driftline_feedback_total", outcome=outcome) == count, outcome


@pytest.mark.parametrize(
    ("body", "code", "field", "index"),
    [
        ({"prediction_id": "x", "label": 2}, "invalid_label", "label", None),
        ({"prediction_id": "x", "label": True}, "wrong_type", "label", None),
        ({"prediction_id": "x", "label": 1.0}, "wrong_type", "label", None),
        # Python's json writes NaN; the label, not the body, is named (serving/labels.py).
        ({"prediction_id": "x", "label": math.nan}, "wrong_type", "label", None),
        ({"prediction_id": "x"}, "missing_field", "label", None),
        ({"prediction_id": 5, "label": 1}, "wrong_type", "prediction_id", None),
        ({"prediction_id": "x", "label": 1, "note": "hi"}, "unknown_field", "note", None),
        (
            {
                "labels": [
                    {"prediction_id": "x", "label": 1},
                    {"prediction_id": "y", "label": "yes"},
                ]
            },
            "invalid_label",
            "label",
            1,
        ),
        ({"labels": []}, "empty_batch", "labels", None),
    ],
)
def test_bad_feedback_is_rejected_before_anything_is_stored(
    client: FlaskClient,
    contract: ContractChecker,
    app: Flask,
    body: dict[str, Any],
    code: str,
    field: str,
    index: int | None,
) -> None:
    response = post(client, contract, "/feedback", body, request_valid=False)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["code"], error.get("field"), error.get("index")) == (code, field, index)
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "driftline_feedback_total", outcome="invalid") == 1
    assert sample(text, "driftline_feedback_total", outcome="recorded") == 0


def test_health_ready_and_openapi(client: FlaskClient, contract: ContractChecker) -> None:
    for path in ("/health", "/ready", "/openapi.json", "/metrics"):
        response = client.get(path)
        assert response.status_code == 200, path
        contract.check(response, method="GET", path=path)
    ready = client.get("/ready").get_json()
    assert (ready["status"], ready["model"], ready["version"]) == ("ready", "churn", "1")
    assert ready["follows"] == "models:/churn@champion"
    assert ready["fast_path"] is True and ready["loaded_at"] > 0
    assert ready["task"] == "classification"


def test_request_metrics_count_every_answer(
    client: FlaskClient, contract: ContractChecker, app: Flask
) -> None:
    for record in records(7):
        assert post(client, contract, "/predict", {"record": record}).status_code == 200
    post(client, contract, "/predict", {"records": []}, request_valid=False)
    prediction_log = runtime_of(app).prediction_log
    assert prediction_log is not None
    prediction_log.ingest()  # batch size counts rows per ingestion transaction
    text = client.get("/metrics").get_data(as_text=True)
    counted = dict(model="churn", version="1", endpoint="/predict")
    assert sample(text, "driftline_http_requests_total", status="200", **counted) == 7
    assert sample(text, "driftline_http_requests_total", status="400", **counted) == 1
    assert sample(text, "driftline_http_request_duration_seconds_count", **counted) == 8
    assert sample(text, "driftline_predictions_total", model="churn", version="1") == 7
    assert sample(text, "driftline_model_info", version="1") == 1
    assert sample(text, "driftline_prediction_log_batch_size_sum") == 7
    bucket = sample(text, "driftline_http_request_duration_seconds_bucket", le="0.00025",
                    **counted)  # fmt: skip
    assert bucket <= 8  # the catalog's first bucket exists


def test_request_metrics_name_the_route_or_unmatched(client: FlaskClient) -> None:
    """Random URLs cannot grow the endpoint label; every answer is counted, errors too."""
    assert client.get("/no/such/path").status_code == 404
    assert client.get("/predict").status_code == 405
    assert client.get("/health").status_code == 200
    text = client.get("/metrics").get_data(as_text=True)
    for endpoint, status in (("unmatched", "404"), ("/predict", "405"), ("/health", "200")):
        assert sample(text, "driftline_http_requests_total", model="churn", version="1",
                      endpoint=endpoint, status=status) == 1, endpoint  # fmt: skip
    endpoints = {
        s.labels["endpoint"]
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "driftline_http_requests_total"
    }
    assert endpoints == {"unmatched", "/predict", "/health"}


def test_admin_reload_needs_the_bearer_token(
    client: FlaskClient, contract: ContractChecker
) -> None:
    def call(header: str | None) -> Any:
        headers = {"Authorization": header} if header else None
        response = client.post("/admin/reload", headers=headers)
        contract.check(response, method="POST", path="/admin/reload", headers=headers,
                       request_valid=False)  # fmt: skip
        return response

    assert call(None).status_code == 401
    assert call("Bearer wrong").status_code == 401
    assert call(f"Basic {ADMIN_TOKEN}").status_code == 401
    assert call(f"Bearer {ADMIN_TOKEN}").status_code == 202


def test_admin_is_disabled_without_a_token(trained_store: TrainedStore, tmp_path: Path) -> None:
    app = create_app(app_config(trained_store, tmp_path, admin_token=None))
    try:
        response = app.test_client().post(
            "/admin/reload", headers={"Authorization": "Bearer anything"}
        )
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "admin_disabled"
    finally:
        runtime_of(app).shutdown()


def test_unknown_model_is_not_ready_and_refuses_predictions(
    trained_store: TrainedStore, tmp_path: Path
) -> None:
    app = create_app(app_config(trained_store, tmp_path, model_name="no-such-model"))
    try:
        client = app.test_client()
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.get_json()["status"] == "loading" and ready.get_json()["last_error"]
        response = client.post("/predict", json={"record": one_record()})
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "model_not_loaded"
    finally:
        runtime_of(app).shutdown()


def test_pinned_version_and_benchmark_switches(trained_store: TrainedStore, tmp_path: Path) -> None:
    config = app_config(trained_store, tmp_path, version="1")
    app = create_app(config, validate=False, log_predictions=False, instrument=False)
    try:
        client = app.test_client()
        assert client.get("/ready").get_json()["follows"] == "models:/churn/1"
        answer = client.post("/predict", json={"record": one_record()}).get_json()
        prediction_id = answer["predictions"][0]["prediction_id"]
        text = client.get("/metrics").get_data(as_text=True)
        assert sample(text, "driftline_http_requests_total") == 0
    finally:
        runtime_of(app).shutdown()
    with opened_store(config["log"].db_url) as store:
        assert get_predictions(store, [prediction_id]) == {}
