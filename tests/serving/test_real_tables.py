"""Real-shaped tables through the real server (gunicorn), as a new user meets them.

Loans with a ``loan_id`` and an ``applied_at``: trained without them, served with them
in every record (stored, not passed to the model), 5,000 predictions from the
training distribution and no drift verdict. Payments with booleans: ``true`` as a
feature and as a label, as PHP's ``json_encode`` sends it, recorded and counted in
the accuracy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, select

from predictionlog.schema import predictions
from tests.serving.live_server import live_server
from tests.support.driftline_command import run_driftline
from tests.support.model_store import environment_for
from tests.training.tables import loans, payments

pytestmark = pytest.mark.slow


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
            for r in frame.to_dict(orient="records")]  # fmt: skip


def _trained(tmp_path: Path, name: str, data: Path, target: str) -> tuple[dict[str, str], str]:
    """The environment of a fresh store where `driftline train` made a champion; its stdout."""
    env = {**environment_for(tmp_path / "home"), "DRIFTLINE_MODEL_NAME": name}
    trained = run_driftline(
        env, "train", "--data", str(data), "--target", target, "--promote", timeout=600
    )
    assert trained.returncode == 0, trained.stderr
    return env, trained.stdout


def _once(env: dict[str, str], db_url: str, name: str) -> dict[str, Any]:
    once = run_driftline(
        {**env, "DRIFTLINE_PREDICTION_DB": db_url}, "exporter", "once", "--name", name, "--json"
    )
    assert once.returncode == 0, once.stderr
    [version] = json.loads(once.stdout)["versions"]
    return dict(version)


def test_loans_with_ids_and_timestamps_raise_no_drift(tmp_path: Path) -> None:
    csv = tmp_path / "loans.csv"
    loans(8000, seed=0).to_csv(csv, index=False)
    env, said = _trained(tmp_path, "loans", csv, "defaulted")
    assert "column loan_id: identifier, not a model feature" in said
    assert "column applied_at: time column, not a model feature" in said

    # New loans from the training distribution, ids and timestamps the model never saw.
    new = loans(5000, seed=1, start="2026-01-01")
    new["loan_id"] = [f"L{900000 + i}" for i in range(len(new))]
    records = _records(new.drop(columns=["defaulted"]))
    with live_server(env, tmp_path) as server:
        openapi = requests.get(f"{server.url}/openapi.json", timeout=10).json()
        for start in range(0, len(records), 250):
            batch = {"records": records[start : start + 250]}
            answer = requests.post(f"{server.url}/predict", json=batch, timeout=30)
            assert answer.status_code == 200, answer.text
        version = _once(env, server.prediction_db_url, "loans")
        with create_engine(server.prediction_db_url).connect() as db:
            stored = json.loads(db.execute(select(predictions.c.features).limit(1)).scalar_one())
    record_schema = openapi["paths"]["/predict"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]["oneOf"][0]["properties"]["record"]
    assert "loan_id" not in record_schema["required"]
    assert stored["loan_id"].startswith("L9") and "applied_at" in stored
    assert version["window_samples"] == 5000
    names = {f["name"] for f in version["features"]}
    assert "loan_id" not in names and "applied_at" not in names
    assert version["drift"] is False, [f for f in version["features"] if f["drift"]]


def test_payments_with_booleans_take_php_true_as_feature_and_label(tmp_path: Path) -> None:
    path = tmp_path / "payments.parquet"
    payments(4000, seed=0).to_parquet(path, index=False)
    env, _ = _trained(tmp_path, "payments", path, "fraud")

    live = payments(400, seed=1)
    with live_server(env, tmp_path) as server:
        ids, truth, predicted = [], [], []
        for i, row in enumerate(_records(live)):
            fraud = row.pop("fraud")
            if i % 2:
                row["is_weekend"] = int(row["is_weekend"])  # 0/1, as a client without booleans
            answer = requests.post(f"{server.url}/predict", json={"record": row}, timeout=10)
            assert answer.status_code == 200, answer.text
            [prediction] = answer.json()["predictions"]
            assert type(prediction["predicted_class"]) is bool
            ids.append(prediction["prediction_id"])
            truth.append(fraud)
            predicted.append(prediction["predicted_class"])
        # PHP's json_encode(true) / json_encode(false), and the other spellings.
        spellings: list[Any] = [True, 1, "true", "True"]
        labels = [
            {"prediction_id": pid, "label": spellings[i % 4] if t else [False, 0, "false"][i % 3]}
            for i, (pid, t) in enumerate(zip(ids, truth, strict=True))
        ]
        recorded = requests.post(f"{server.url}/feedback", json={"labels": labels}, timeout=30)
        assert recorded.status_code == 200, recorded.text
        assert {r["status"] for r in recorded.json()["results"]} == {"recorded"}
        single = requests.post(
            f"{server.url}/feedback", json={"prediction_id": ids[0], "label": truth[0]}, timeout=10
        )
        assert single.status_code == 200 and single.json()["status"] == "duplicate", single.text
        refused = requests.post(
            f"{server.url}/predict",
            json={"record": {"payment_id": "x", "amount": 1.0, "is_weekend": "yes", "hour": 3}},
            timeout=10,
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["field"] == "is_weekend"
        version = _once(env, server.prediction_db_url, "payments")
    performance = version["performance"]
    assert performance["samples"] == len(truth)
    accuracy = sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(truth)
    assert performance["accuracy"] == pytest.approx(accuracy, rel=1e-12)
