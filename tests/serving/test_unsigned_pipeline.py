"""A scikit-learn pipeline a team logged with plain MLflow and no signature: served with
validation from its reference profile's columns, through the fast path."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from driftline.registry_contract import PROFILE_ARTIFACT_PATH
from reference.profile import build_profile, dumps
from serving.app import create_app, runtime_of
from tests.serving import pyfunc_models as pm
from tests.serving.conftest import ADMIN_TOKEN
from tests.support.log_rows import log_settings


def _pipeline(frame: pd.DataFrame) -> Pipeline:
    model = Pipeline(
        [
            # OneHotEncoder's default sparse output: the fast path reads it too.
            ("columns", ColumnTransformer([
                ("numbers", StandardScaler(), ["age", "income"]),
                ("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"]),
            ])),
            ("classifier", LogisticRegression(max_iter=500)),
        ]
    )  # fmt: skip
    labels = np.where(pm.leave_probability(frame) >= 0.5, "leaves", "stays")
    return model.fit(frame, labels)


def test_a_pipeline_without_signature_is_served_from_its_profile(tmp_path: Path) -> None:
    store = pm.make_pyfunc_store(tmp_path / "store")
    frame = pm.customers(300, seed=2)
    model = _pipeline(frame)
    mlflow.set_tracking_uri(store.uri)
    mlflow.set_registry_uri(store.uri)
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(model, name="model", registered_model_name="plain",
                                 pip_requirements=["scikit-learn"])  # fmt: skip
    profile = build_profile(
        model_name="plain", features=frame, numeric=["age", "income"], categorical=["plan"],
        target="churned", classes=model.classes_, holdout_predictions=model.predict(frame),
        created_at=0.0,
    )  # fmt: skip
    MlflowClient(store.uri, store.uri).log_text(
        run.info.run_id, dumps(profile), PROFILE_ARTIFACT_PATH
    )
    app = create_app(
        {
            "model_name": "plain", "tracking_uri": store.uri, "registry_uri": store.uri,
            "log": log_settings(f"sqlite:///{tmp_path / 'predictions.db'}", tmp_path),
            "version": "1", "admin_token": ADMIN_TOKEN,
        }
    )  # fmt: skip
    try:
        http = app.test_client()
        records = pm.customer_records(20, seed=4)
        response = http.post("/predict", json={"records": records})
        assert response.status_code == 200, response.text
        expected = model.predict_proba(pm.customers(20, seed=4).astype({"age": np.float64}))
        got = [
            [a["probabilities"][c] for c in model.classes_]
            for a in response.get_json()["predictions"]
        ]
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
        missing = http.post("/predict", json={"record": {"age": 30, "income": 1.0}})
        assert missing.status_code == 400
        assert missing.get_json()["error"]["field"] == "plan"
        ready = http.get("/ready").get_json()
        assert (ready["task"], ready["fast_path"]) == ("classification", True)
    finally:
        runtime_of(app).shutdown()
