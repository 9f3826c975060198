"""A regression version served: answers, the log's rows, labels, metrics and the document.

The champion is a Ridge on the churn features predicting a yearly revenue
(tests/support/model_store.py, make_regression_store); every answer is checked
against the server's own /openapi.json, which describes a regression answer.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.validation.response.exceptions import InvalidData

from driftline.metric_catalog import REGRESSION_CLASS
from driftline.regression_values import value_text
from serving.app import runtime_of
from tests.serving.live_server import live_server
from tests.serving.openapi_check import ContractChecker
from tests.serving.records import records
from tests.serving.test_app import post, sample
from tests.support.eventually import eventually
from tests.support.log_rows import count_predictions, get_predictions, opened_store
from tests.support.model_store import REGRESSION_MODEL_NAME, RegressionStore
from training.synthetic import NUMERIC_FEATURES

pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")


@pytest.fixture
def contract(regression_client: FlaskClient) -> ContractChecker:
    return ContractChecker(regression_client.get("/openapi.json").get_json())


def sklearn_values(store: RegressionStore, batch: list[dict[str, Any]]) -> list[float]:
    """What the fitted pipeline predicts on a DataFrame of ``batch`` (None as NaN)."""
    frame = pd.DataFrame(batch).astype(dict.fromkeys(NUMERIC_FEATURES, float))
    return [float(v) for v in store.model.predict(frame)]


def stored_rows(app: Flask, ids: list[str]) -> dict[str, Any]:
    rt = runtime_of(app)
    assert rt.prediction_log is not None
    rt.prediction_log.ingest()
    with opened_store(rt.config.log.db_url) as store:
        return get_predictions(store, ids)


def test_a_record_is_answered_with_a_number_and_logged_as_its_text(
    regression_client: FlaskClient,
    contract: ContractChecker,
    regression_app: Flask,
    regression_store: RegressionStore,
) -> None:
    record = records(1)[0]
    response = post(regression_client, contract, "/predict", {"record": record})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["model"] == {"name": REGRESSION_MODEL_NAME, "version": "1"}
    [prediction] = body["predictions"]
    assert set(prediction) == {"prediction_id", "prediction"}
    uuid.UUID(prediction["prediction_id"])
    value = prediction["prediction"]
    assert type(value) is float
    [expected] = sklearn_values(regression_store, [record])
    assert value == pytest.approx(expected, rel=1e-12, abs=0)

    stored = stored_rows(regression_app, [prediction["prediction_id"]])
    row = stored[prediction["prediction_id"]]
    assert (row.model_name, row.model_version) == (REGRESSION_MODEL_NAME, "1")
    assert row.predicted_class == value_text(value)
    assert float(row.predicted_class) == value  # the answer's number, to the last bit
    assert dict(row.probabilities) == {}
    assert dict(row.features) == record


def test_a_batch_answers_in_order_like_single_records(
    regression_client: FlaskClient,
    contract: ContractChecker,
    regression_app: Flask,
    regression_store: RegressionStore,
) -> None:
    batch = records(6, seed=4)
    batch[3] = dict.fromkeys(batch[3])  # every value missing: imputed
    batch[4] = {**batch[4], "contract_type": "never-seen", "region": None}
    response = post(regression_client, contract, "/predict", {"records": batch})
    assert response.status_code == 200
    predictions = response.get_json()["predictions"]
    values = [p["prediction"] for p in predictions]
    np.testing.assert_allclose(values, sklearn_values(regression_store, batch), rtol=1e-12, atol=0)
    for record, value in zip(batch, values, strict=True):
        single = post(regression_client, contract, "/predict", {"record": record}).get_json()
        assert single["predictions"][0]["prediction"] == pytest.approx(value, rel=1e-12, abs=0)
    ids = [p["prediction_id"] for p in predictions]
    stored = stored_rows(regression_app, ids)
    assert [stored[i].predicted_class for i in ids] == [value_text(v) for v in values]


@pytest.mark.parametrize(
    "extreme", [{"monthly_charges": 1e308}, {"monthly_charges": 1e308, "total_charges": -1e308}]
)
def test_a_prediction_that_is_not_finite_fails_the_request_and_is_not_logged(
    regression_client: FlaskClient,
    contract: ContractChecker,
    regression_app: Flask,
    extreme: dict[str, float],
) -> None:
    """Valid, finite inputs can still overflow a linear model; JSON cannot carry the result."""
    batch = records(3)
    batch[2] = {**batch[2], **extreme}
    response = post(regression_client, contract, "/predict", {"records": batch})
    assert response.status_code == 500
    error = response.get_json()["error"]
    assert (error["code"], error["index"]) == ("prediction_not_finite", 2)
    assert "finite" in error["message"] and "nothing" in error["message"]
    rt = runtime_of(regression_app)
    assert rt.prediction_log is not None
    rt.prediction_log.ingest()
    with opened_store(rt.config.log.db_url) as store:
        assert count_predictions(store) == 0  # not even the batch's finite predictions
    text = regression_client.get("/metrics").get_data(as_text=True)
    assert sample(text, "driftline_predictions_total") == 0
    assert sample(text, "driftline_http_requests_total", status="500") == 1


def test_feedback_takes_a_number_and_keeps_the_idempotency_rules(
    regression_client: FlaskClient, contract: ContractChecker, regression_app: Flask
) -> None:
    answer = post(regression_client, contract, "/predict", {"records": records(3)}).get_json()
    ids = [p["prediction_id"] for p in answer["predictions"]]

    def label(prediction_id: str, value: Any) -> Any:
        return post(regression_client, contract, "/feedback",
                    {"prediction_id": prediction_id, "label": value})  # fmt: skip

    first = label(ids[0], 3)
    assert (first.status_code, first.get_json()["status"]) == (200, "recorded")
    again = label(ids[0], 3.0)  # the same number, another spelling
    assert (again.status_code, again.get_json()["status"]) == (200, "duplicate")
    conflict = label(ids[0], 3.5)
    assert conflict.status_code == 409
    assert conflict.get_json()["error"] == {
        "code": "label_conflict",
        "message": f"prediction {ids[0]!r} already has a different label",
        "field": "label",
    }
    assert label(str(uuid.uuid4()), 1.5).status_code == 404
    assert label(ids[2], -0.0).get_json()["status"] == "recorded"

    batch = post(regression_client, contract, "/feedback", {"labels": [
        {"prediction_id": ids[1], "label": 1234.5},
        {"prediction_id": ids[0], "label": 4},
        {"prediction_id": ids[2], "label": 0},
        {"prediction_id": "no-such-id", "label": 1},
    ]}).get_json()  # fmt: skip
    assert [r["status"] for r in batch["results"]] == [
        "recorded", "conflict", "duplicate", "unknown_prediction",
    ]  # fmt: skip

    rt = runtime_of(regression_app)
    assert rt.prediction_log is not None
    with opened_store(rt.config.log.db_url) as store, store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT prediction_id, label FROM labels").all()
    stored: dict[str, str] = {str(i): str(label) for i, label in rows}
    assert stored == {ids[0]: "3.0", ids[1]: "1234.5", ids[2]: "0.0"}


@pytest.mark.parametrize(
    ("raw", "code", "index"),
    [
        ('{"prediction_id": "x", "label": "3.5"}', "wrong_type", None),
        ('{"prediction_id": "x", "label": "lots"}', "wrong_type", None),
        ('{"prediction_id": "x", "label": true}', "wrong_type", None),
        ('{"prediction_id": "x", "label": [3]}', "wrong_type", None),
        ('{"prediction_id": "x", "label": {"value": 3}}', "wrong_type", None),
        ('{"prediction_id": "x", "label": NaN}', "not_finite", None),
        ('{"prediction_id": "x", "label": Infinity}', "not_finite", None),
        ('{"prediction_id": "x", "label": -Infinity}', "not_finite", None),
        ('{"prediction_id": "x", "label": 1e999}', "not_finite", None),
        ('{"prediction_id": "x", "label": 1' + "0" * 400 + "}", "not_finite", None),
        (
            '{"labels": [{"prediction_id": "x", "label": 2},'
            ' {"prediction_id": "y", "label": NaN}]}',
            "not_finite",
            1,
        ),
        ('{"labels": [{"prediction_id": "x", "label": false}]}', "wrong_type", 0),
    ],
)
def test_a_label_that_is_not_a_finite_number_is_refused_naming_the_field(
    regression_client: FlaskClient,
    contract: ContractChecker,
    regression_app: Flask,
    raw: str,
    code: str,
    index: int | None,
) -> None:
    answer = post(regression_client, contract, "/predict", {"record": records(1)[0]}).get_json()
    prediction_id = answer["predictions"][0]["prediction_id"]
    body = raw.replace('"x"', json.dumps(prediction_id))
    response = post(regression_client, contract, "/feedback", None, raw=body.encode(),
                    request_valid=False)  # fmt: skip
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["code"], error["field"], error.get("index")) == (code, "label", index)
    assert "label" in error["message"]
    text = regression_client.get("/metrics").get_data(as_text=True)
    assert sample(text, "driftline_feedback_total", outcome="invalid") == 1
    assert sample(text, "driftline_feedback_total", outcome="recorded") == 0


def test_predictions_are_counted_under_the_regression_class(
    regression_client: FlaskClient, contract: ContractChecker
) -> None:
    for record in records(4):
        post(regression_client, contract, "/predict", {"record": record})
    post(regression_client, contract, "/predict", {"records": records(3)})
    text = regression_client.get("/metrics").get_data(as_text=True)
    labels = {"model": REGRESSION_MODEL_NAME, "version": "1"}
    assert sample(text, "driftline_predictions_total", **labels) == 7
    assert sample(text, "driftline_predictions_total", **labels, **{"class": REGRESSION_CLASS}) == 7


def test_ready_and_the_document_describe_a_regression_version(
    regression_client: FlaskClient, contract: ContractChecker
) -> None:
    ready = regression_client.get("/ready").get_json()
    assert (ready["task"], ready["fast_path"], ready["version"]) == ("regression", True, "1")
    document = regression_client.get("/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    item = schemas["PredictResponse"]["properties"]["predictions"]["items"]
    assert item["required"] == ["prediction_id", "prediction"]
    assert item["properties"]["prediction"]["type"] == "number"
    assert "probabilities" not in item["properties"]
    assert "predicted_class" not in item["properties"]
    assert schemas["Label"]["properties"]["label"]["type"] == "number"
    for path in ("/ready", "/openapi.json"):
        contract.check(regression_client.get(path), method="GET", path=path)


def test_a_classifier_answer_does_not_pass_for_a_regression_one(
    regression_client: FlaskClient, contract: ContractChecker
) -> None:
    """The checker can fail: the regression document refuses the classifier's answer."""
    classifier = {"model": {"name": "revenue", "version": "1"}, "predictions": [
        {"prediction_id": str(uuid.uuid4()), "predicted_class": 1,
         "probabilities": {"0": 0.25, "1": 0.75}},
    ]}  # fmt: skip
    forged = Flask(__name__).response_class(json.dumps(classifier), 200,
                                            mimetype="application/json")  # fmt: skip
    with pytest.raises(InvalidData):
        contract.check(forged, method="POST", path="/predict",  # type: ignore[arg-type]
                       body=json.dumps({"record": records(1)[0]}).encode(),
                       content_type="application/json")  # fmt: skip


@pytest.mark.slow
def test_the_real_server_serves_a_regression_version_over_both_workers(
    regression_store: RegressionStore, tmp_path: Path
) -> None:
    with live_server(regression_store.env, tmp_path) as server:
        assert len(server.worker_pids(2)) == 2, "both workers should answer"
        openapi = OpenAPI.from_dict(requests.get(f"{server.url}/openapi.json", timeout=10).json())
        batch = records(40, seed=6)
        values: dict[str, float] = {}
        for record in batch:
            # A fresh connection each time, so the kernel spreads requests over both workers.
            response = requests.post(f"{server.url}/predict", json={"record": record}, timeout=10)
            assert response.status_code == 200, response.text
            openapi.validate_response(RequestsOpenAPIRequest(response.request),
                                      RequestsOpenAPIResponse(response))  # fmt: skip
            [prediction] = response.json()["predictions"]
            values[prediction["prediction_id"]] = prediction["prediction"]
        np.testing.assert_allclose(
            list(values.values()), sklearn_values(regression_store, batch), rtol=1e-12, atol=0
        )
        first = next(iter(values))
        for label, status in ((99.5, 200), (99.5, 200), (100, 409)):
            body = {"prediction_id": first, "label": label}
            answer = requests.post(f"{server.url}/feedback", json=body, timeout=10)
            assert answer.status_code == status, answer.text

        counted = {"model": REGRESSION_MODEL_NAME, "version": "1"}
        eventually(lambda: server.metric("driftline_predictions_total", **counted) == len(batch),
                   5, "both workers' prediction counts")  # fmt: skip
        assert server.metric("driftline_predictions_total", **counted,
                             **{"class": REGRESSION_CLASS}) == len(batch)  # fmt: skip
        assert server.metric("driftline_feedback_total", outcome="recorded") == 1
        assert server.metric("driftline_feedback_total", outcome="duplicate") == 1
        assert server.metric("driftline_feedback_total", outcome="conflict") == 1
        eventually(lambda: server.metric("driftline_prediction_log_batch_size_sum") == len(batch),
                   10, "every prediction to be ingested")  # fmt: skip
    with opened_store(server.prediction_db_url) as store:
        stored = get_predictions(store, list(values))
    assert {i: float(row.predicted_class) for i, row in stored.items()} == values
    assert all(dict(row.probabilities) == {} for row in stored.values())
