"""A regression model from a user's CSV, as a new user meets it: train, serve, label, watch.

The CSV is written here; `driftline train` infers the task from the target, the
real server (gunicorn) answers numbers and takes numeric labels, and
`driftline exporter once` reports error figures equal to scikit-learn's on the
same rows. (From there the alert, the webhook, retraining and promotion are the
inflation story's, tests/stack/test_end_to_end.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

from tests.serving.live_server import live_server
from tests.support.driftline_command import run_driftline
from tests.support.model_store import environment_for
from training import house_prices

pytestmark = pytest.mark.slow


def test_a_price_model_from_a_csv_is_served_labelled_and_its_error_measured(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "houses.csv"
    house_prices.generate(3000, seed=11).to_csv(csv, index=False)
    env = {**environment_for(tmp_path / "home"), "DRIFTLINE_MODEL_NAME": "houses"}

    trained = run_driftline(
        env, "train", "--data", str(csv), "--target", "price", "--promote", timeout=600
    )
    assert trained.returncode == 0, trained.stderr
    assert "task: regression (inferred" in trained.stdout + trained.stderr

    live = house_prices.records(300, seed=12, scenario="inflation", t=1.0)
    predicted: list[float] = []
    with live_server(env, tmp_path) as server:
        for record, _ in live:
            answer = requests.post(f"{server.url}/predict", json={"record": record}, timeout=10)
            assert answer.status_code == 200, answer.text
            [prediction] = answer.json()["predictions"]
            predicted.append(prediction["prediction"])
            record["_id"] = prediction["prediction_id"]
        labels = [{"prediction_id": r.pop("_id"), "label": price} for r, price in live]
        recorded = requests.post(f"{server.url}/feedback", json={"labels": labels}, timeout=30)
        assert recorded.status_code == 200, recorded.text
        assert {r["status"] for r in recorded.json()["results"]} == {"recorded"}
        once = run_driftline(
            {**env, "DRIFTLINE_PREDICTION_DB": server.prediction_db_url},
            "exporter", "once", "--name", "houses", "--json",
        )  # fmt: skip
    assert once.returncode == 0, once.stderr
    [version] = json.loads(once.stdout)["versions"]
    assert version["task"] == "regression"
    truth = [price for _, price in live]
    errors = version["regression_errors"]
    assert errors["samples"] == len(truth)
    assert errors["mean_absolute_error"] == pytest.approx(
        mean_absolute_error(truth, predicted), rel=1e-12
    )
    assert errors["root_mean_squared_error"] == pytest.approx(
        root_mean_squared_error(truth, predicted), rel=1e-12
    )
    assert errors["r2"] == pytest.approx(r2_score(truth, predicted), rel=1e-12)
    # A year of inflation: the model's error is well above what it had on its holdout.
    assert errors["mean_absolute_error"] > 1.25 * version["holdout_mean_absolute_error"]
