"""The issue's done-when for a model that is not scikit-learn: a pyfunc logged with plain
MLflow and a signature, adopted with `driftline profile` (a subprocess, as a user runs it),
served under gunicorn, given traffic and labels, and read back from the exporter with
exact figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
import requests

from cli.main import main
from driftline import version_facts
from driftline.config import Settings
from driftline.mlflow_setup import connect
from driftline.registry_contract import PROFILE_ARTIFACT_PATH
from exporter.stats.psi import numeric_psi
from reference.profile import NumericReference, loads
from tests.serving import pyfunc_models as pm
from tests.serving.live_server import live_server
from tests.support.driftline_command import run_driftline
from tests.support.eventually import eventually
from tests.support.log_rows import stored

pytestmark = pytest.mark.slow

NAME = "scorer"
TARGET = "churned"
TRAFFIC = 200


def labelled(n: int, seed: int) -> pd.DataFrame:
    """``n`` customers and whether each left, drawn from the scorer's own probability."""
    frame = pm.customers(n, seed)
    draws = np.random.default_rng(seed + 100).uniform(size=n)
    frame[TARGET] = np.where(draws < pm.leave_probability(frame), "leaves", "stays")
    return frame


def test_a_pyfunc_model_is_adopted_served_and_watched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = pm.make_pyfunc_store(tmp_path / "store")
    version = pm.log_pyfunc(store, NAME, pm.LogisticScorer(), pm.PROBABILITY_OUTPUTS)
    env = {**store.env, "DRIFTLINE_MODEL_NAME": NAME}
    data = tmp_path / "scorer-training.csv"
    labelled(1500, seed=11).to_csv(data, index=False)
    adopted = run_driftline(env, "profile", "--name", NAME, "--version", version,
                            "--data", str(data), "--target", TARGET)  # fmt: skip
    assert adopted.returncode == 0, adopted.stderr
    traffic = labelled(TRAFFIC, seed=12)
    records = pm.customer_records(TRAFFIC, seed=12)
    with live_server(env, tmp_path, workers=1, threads=2, version=version) as server:
        for key, value in {**env, "DRIFTLINE_PREDICTION_DB": server.prediction_db_url}.items():
            monkeypatch.setenv(key, value)
        with requests.Session() as http:
            answers: list[dict[str, Any]] = []
            for record in records:
                response = http.post(f"{server.url}/predict", json={"record": record}, timeout=10)
                assert response.status_code == 200, response.text
                answers.append(response.json()["predictions"][0])
            for answer, label in zip(answers, traffic[TARGET], strict=True):
                sent = {"prediction_id": answer["prediction_id"], "label": label}
                response = http.post(f"{server.url}/feedback", json=sent, timeout=10)
                assert response.json()["status"] == "recorded", response.text
        eventually(lambda: stored(server.prediction_db_url, NAME, TRAFFIC, TRAFFIC), 30,
                   "every prediction and label stored")  # fmt: skip
        code = main(["exporter", "once", "--name", NAME, "--json"])
        out = capsys.readouterr()
        assert code == 0, out.err
    [figures] = json.loads(out.out)["versions"]
    predicted = [a["predicted_class"] for a in answers]
    expected_accuracy = np.mean([p == y for p, y in zip(predicted, traffic[TARGET], strict=True)])
    assert 0.0 < expected_accuracy < 1.0
    assert figures["labelled_samples"] == TRAFFIC
    assert figures["performance"]["accuracy"] == pytest.approx(expected_accuracy, abs=1e-12)
    settings = Settings.from_env(env)
    facts = version_facts.require(connect(settings), NAME, version)
    profile = loads(mlflow.artifacts.load_text(f"runs:/{facts.run_id}/{PROFILE_ARTIFACT_PATH}"))
    psi = {f["name"]: f["psi"] for f in figures["features"]}
    for name in ("age", "income"):
        ref = profile.feature(name)
        assert isinstance(ref, NumericReference)
        values = traffic[name].to_numpy(dtype=np.float64)
        want = numeric_psi(np.array(ref.bin_edges), np.array(ref.bin_fractions), values)
        assert psi[name] == pytest.approx(want, rel=1e-12, abs=1e-15), name
