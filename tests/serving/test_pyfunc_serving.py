"""Serving models that are not scikit-learn: plain MLflow pyfunc versions, with a signature
or with only a reference profile, under real gunicorn (what `driftline serve` runs)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
import requests
from flask.testing import FlaskClient

from driftline.loaded_model import load_registered
from serving.app import create_app, runtime_of
from serving.config import ServingConfig
from serving.feature_schema import SignatureError
from serving.model_task import ModelTaskError
from serving.served_model import client_for, load_version
from tests.serving import pyfunc_models as pm
from tests.serving.conftest import ADMIN_TOKEN
from tests.serving.live_server import LiveServer, live_server
from tests.support.eventually import eventually
from tests.support.log_rows import get_predictions, log_settings, opened_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> pm.PyfuncStore:
    """One store: a scorer and a regressor with signatures; label classifiers with a
    profile and no signature, with a signature and no profile; a model with neither."""
    built = pm.make_pyfunc_store(tmp_path_factory.mktemp("pyfunc-serving"))
    pm.log_pyfunc(built, "scorer", pm.LogisticScorer(), pm.PROBABILITY_OUTPUTS)
    pm.log_pyfunc(built, "price", pm.PriceRegressor(), pm.PRICE_OUTPUT)
    bare = pm.log_pyfunc(built, "bare", pm.LabelClassifier(), None, with_signature=False)
    pm.log_profile(built, "bare", bare, pm.LabelClassifier())
    pm.log_pyfunc(built, "unprofiled", pm.LabelClassifier(), pm.LABEL_OUTPUT)
    pm.log_pyfunc(built, "nothing", pm.PriceRegressor(), None, with_signature=False)
    regression = {"task": "regression"}
    pm.log_pyfunc(
        built, "mistasked", pm.LogisticScorer(), pm.PROBABILITY_OUTPUTS, run_params=regression
    )
    return built


def own_predict(store: pm.PyfuncStore, name: str, frame: pd.DataFrame) -> Any:
    """The model's answer through MLflow's own pyfunc API."""
    return load_registered(store.uri, store.uri, name, "1").pyfunc.predict(frame)  # type: ignore[union-attr]


def record_property(document: Any, name: str) -> Any:
    """The JSON Schema of the record field ``name`` somewhere in the OpenAPI document."""
    if isinstance(document, dict):
        if name in document.get("properties", {}):
            return document["properties"][name]
        found = (record_property(value, name) for value in document.values())
    elif isinstance(document, list):
        found = (record_property(value, name) for value in document)
    else:
        return None
    return next((f for f in found if f is not None), None)


def serving_env(store: pm.PyfuncStore, name: str) -> dict[str, str]:
    return {**store.env, "DRIFTLINE_MODEL_NAME": name}


@pytest.fixture(scope="module")
def scorer(store: pm.PyfuncStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(
        serving_env(store, "scorer"), tmp_path_factory.mktemp("scorer"), workers=1, version="1"
    ) as server:
        yield server


def test_a_pyfunc_scorer_answers_its_own_probabilities_and_logs_them(
    store: pm.PyfuncStore, scorer: LiveServer
) -> None:
    records = pm.customer_records(25)
    expected = own_predict(store, "scorer", pm.customers(25))
    response = requests.post(f"{scorer.url}/predict", json={"records": records}, timeout=30)
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    feedback = requests.post(
        f"{scorer.url}/feedback",
        json={"prediction_id": answers[0]["prediction_id"], "label": "leaves"},
        timeout=10,
    )
    assert feedback.json()["status"] == "recorded", feedback.text
    document = requests.get(f"{scorer.url}/openapi.json", timeout=10).json()
    for answer, (_, own) in zip(answers, expected.iterrows(), strict=True):
        assert answer["probabilities"] == {"stays": own["stays"], "leaves": own["leaves"]}
        assert answer["predicted_class"] == ("leaves" if own["leaves"] > own["stays"] else "stays")
    assert {a["predicted_class"] for a in answers} == set(pm.CLASSES)
    assert record_property(document, "age") == {"type": "integer"}  # no null: a long column
    assert record_property(document, "income") == {"type": ["number", "null"]}
    ids = [a["prediction_id"] for a in answers]
    with opened_store(scorer.prediction_db_url) as log:
        eventually(lambda: len(get_predictions(log, ids)) == len(ids), 30, "ingestion")
        stored = get_predictions(log, ids)
    assert [stored[i].predicted_class for i in ids] == [a["predicted_class"] for a in answers]
    assert [stored[i].probabilities for i in ids] == [a["probabilities"] for a in answers]


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"age": "old"}, 400, "wrong_type", "age"),
        ({"age": 30.5}, 400, "wrong_type", "age"),
        ({"age": None}, 400, "missing_value", "age"),  # a long column holds no missing value
        ({"plan": 3}, 400, "wrong_type", "plan"),
        ({"income": None}, 500, "model_error", None),  # the model's own NaN, not logged
        ({"extra": 1}, 400, "unknown_field", "extra"),
    ],
)
def test_the_signature_validates_requests(
    scorer: LiveServer, change: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    record = {**pm.customer_records(1)[0], **change}
    response = requests.post(f"{scorer.url}/predict", json={"record": record}, timeout=10)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error.get("field")) == (code, field)
    if field is not None:
        assert repr(field) in error["message"]


def test_a_missing_column_is_named(scorer: LiveServer) -> None:
    record = pm.customer_records(1)[0]
    del record["income"]
    response = requests.post(f"{scorer.url}/predict", json={"record": record}, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "income"


@contextmanager
def app_client(store: pm.PyfuncStore, name: str, tmp_path: Path) -> Iterator[FlaskClient]:
    app = create_app(
        {
            "model_name": name, "tracking_uri": store.uri, "registry_uri": store.uri,
            "log": log_settings(f"sqlite:///{tmp_path / 'predictions.db'}", tmp_path),
            "version": "1", "admin_token": ADMIN_TOKEN,
        }
    )  # fmt: skip
    yield app.test_client()
    runtime_of(app).shutdown()


def test_a_pyfunc_regressor_answers_its_own_values(store: pm.PyfuncStore, tmp_path: Path) -> None:
    records = pm.customer_records(20, seed=3)
    expected = np.asarray(own_predict(store, "price", pm.customers(20, seed=3)), dtype=np.float64)
    with app_client(store, "price", tmp_path) as client:
        response = client.post("/predict", json={"records": records})
        assert response.status_code == 200, response.text
        answers = response.get_json()["predictions"]
        label = client.post(
            "/feedback", json={"prediction_id": answers[0]["prediction_id"], "label": 512.5}
        )
        assert label.get_json()["status"] == "recorded", label.text
    assert [a["prediction"] for a in answers] == expected.ravel().tolist()


@pytest.fixture
def bare_client(store: pm.PyfuncStore, tmp_path: Path) -> Iterator[FlaskClient]:
    with app_client(store, "bare", tmp_path) as client:
        yield client


def test_a_version_without_signature_takes_its_profiles_columns(
    store: pm.PyfuncStore, bare_client: FlaskClient
) -> None:
    frame = pm.customers(30, seed=5)
    records = pm.customer_records(30, seed=5)
    response = bare_client.post("/predict", json={"records": records})
    assert response.status_code == 200, response.text
    labels = np.asarray(own_predict(store, "bare", frame)).tolist()
    answers = response.get_json()["predictions"]
    assert [a["predicted_class"] for a in answers] == labels
    # Only its label: certain of it (docs/serving.md, What can be served).
    assert [a["probabilities"][a["predicted_class"]] for a in answers] == [1.0] * 30
    assert {sum(a["probabilities"].values()) for a in answers} == {1.0}
    del records[0]["plan"]
    missing = bare_client.post("/predict", json={"record": records[0]})
    assert missing.status_code == 400
    assert missing.get_json()["error"]["field"] == "plan"
    # The profile says "numeric": an age with a fraction is a number like any other.
    fraction = bare_client.post("/predict", json={"record": {**records[1], "age": 30.5}})
    assert fraction.status_code == 200, fraction.text


def _config(store: pm.PyfuncStore, name: str, tmp_path: Path) -> ServingConfig:
    return ServingConfig(
        model_name=name,
        tracking_uri=store.uri,
        registry_uri=store.uri,
        log=log_settings(f"sqlite:///{tmp_path / 'p.db'}", tmp_path),
    )


@pytest.mark.parametrize(
    ("name", "error", "says"),
    [
        ("nothing", SignatureError, "without an input signature and has no reference profile"),
        ("unprofiled", ModelTaskError, "answers only its label"),
        ("mistasked", ModelTaskError, "regression model but its outputs are one probability"),
    ],
)
def test_a_version_serving_cannot_read_is_refused_saying_why(
    store: pm.PyfuncStore, tmp_path: Path, name: str, error: type[Exception], says: str
) -> None:
    config = _config(store, name, tmp_path)
    with pytest.raises(error, match=says) as refused:
        load_version(client_for(config), config, "1")
    if name != "mistasked":  # a recorded task the outputs contradict: no profile helps
        assert f"driftline profile --name {name} --version 1" in str(refused.value)


def test_mlflows_own_schema_check_would_refuse_a_float_age(store: pm.PyfuncStore) -> None:
    """Why the frame is built in signature types (serving/pyfunc_predictors.py)."""
    frame = pm.customers(3).astype({"age": np.float64})
    with pytest.raises(mlflow.exceptions.MlflowException, match="age"):
        own_predict(store, "scorer", frame)
