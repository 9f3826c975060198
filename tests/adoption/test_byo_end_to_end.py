"""A team's own model from registration to rollback on real servers: logged with plain
MLflow, adopted with `driftline profile` (a subprocess, as a user runs it), served under
gunicorn, watched by the exporter (exact figures), retrained and rolled back. The other
commands run in-process through the real `driftline` parser: a subprocess each would
spend most of the test importing MLflow."""

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
from driftline import registry, version_facts
from driftline.mlflow_setup import connect
from driftline.registry_contract import PROFILE_ARTIFACT_PATH
from driftline.retrain_contract import FIGURE_CHALLENGER_ESTIMATOR
from exporter.stats.psi import numeric_psi
from predictionlog.store import PredictionStore
from reference.profile import NumericReference, loads
from tests.adoption.byo import CATEGORICAL, NAME, NUMERIC, ByoStore, make_byo_store, training_frame
from tests.serving.live_server import live_server
from tests.support.driftline_command import run_driftline
from tests.support.eventually import eventually
from training.estimators import CLONED_ESTIMATOR
from training.synthetic import TARGET

pytestmark = pytest.mark.slow

TRAFFIC = 300


def _predict(url: str, frame: pd.DataFrame) -> list[dict[str, Any]]:
    answers = []
    with requests.Session() as http:
        for record in frame[[*NUMERIC, *CATEGORICAL]].to_dict(orient="records"):
            response = http.post(f"{url}/predict", json={"record": record}, timeout=10)
            assert response.status_code == 200, response.text
            answers.append(response.json()["predictions"][0])
    return answers


def _stored(db_url: str, predictions: int, labels: int) -> bool:
    store = PredictionStore.open(db_url)
    try:
        labelled = store.labelled_predictions(NAME, since=0.0)
        with store.engine.connect() as conn:
            logged = conn.exec_driver_sql("SELECT COUNT(*) FROM predictions").scalar_one()
    finally:
        store.close()
    return bool(logged == predictions and len(labelled) == labels)


def _driftline(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_team_model_is_adopted_served_watched_retrained_and_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    byo: ByoStore = make_byo_store(tmp_path / "store")
    with live_server(byo.env, tmp_path, workers=1, threads=2) as server:
        env = {**byo.env, "DRIFTLINE_PREDICTION_DB": server.prediction_db_url}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        traffic = training_frame(TRAFFIC, seed=7)
        early = _predict(server.url, traffic.head(5))
        eventually(lambda: _stored(server.prediction_db_url, 5, 0), 30, "5 predictions stored")
        # Predictions but no profile: the exporter says what is missing and how to add it.
        code, out, err = _driftline(capsys, "exporter", "once", "--name", NAME)
        assert code == 1
        assert "no reference profile" in err
        assert f"driftline profile --name {NAME} --version 1 " in err
        assert "no predictions logged" not in out

        adopted = run_driftline(env, "profile", "--name", NAME, "--version", "1",
                                "--data", str(byo.data), "--target", TARGET)  # fmt: skip
        assert adopted.returncode == 0, adopted.stderr

        answers = early + _predict(server.url, traffic.iloc[5:])
        with requests.Session() as http:
            for answer, label in zip(answers, traffic[TARGET], strict=True):
                sent = {"prediction_id": answer["prediction_id"], "label": int(label)}
                response = http.post(f"{server.url}/feedback", json=sent, timeout=10)
                assert response.json()["status"] == "recorded", response.text
        eventually(lambda: _stored(server.prediction_db_url, TRAFFIC, TRAFFIC), 30,
                   "every prediction and label stored")  # fmt: skip

        code, out, err = _driftline(capsys, "exporter", "once", "--name", NAME, "--json")
        assert code == 0, err
        [figures] = json.loads(out)["versions"]
        predicted = [str(a["predicted_class"]) for a in answers]
        expected_accuracy = np.mean([p == str(y) for p, y in zip(predicted, traffic[TARGET],
                                                                  strict=True)])  # fmt: skip
        assert figures["labelled_samples"] == TRAFFIC
        assert figures["performance"]["accuracy"] == pytest.approx(expected_accuracy, abs=1e-12)
        facts = version_facts.require(connect(byo.settings), NAME, "1")
        profile = loads(mlflow.artifacts.load_text(f"runs:/{facts.run_id}/{PROFILE_ARTIFACT_PATH}"))
        psi = {f["name"]: f["psi"] for f in figures["features"]}
        for name in NUMERIC:
            ref = profile.feature(name)
            assert isinstance(ref, NumericReference)
            values = traffic[name].to_numpy(dtype=np.float64)
            want = numeric_psi(np.array(ref.bin_edges), np.array(ref.bin_fractions), values)
            assert psi[name] == pytest.approx(want, rel=1e-12, abs=1e-15), name

        # A margin of -1 promotes whatever the challenger scores: what is tested here is
        # that an adopted champion retrains (its clone), is judged and can be rolled back.
        code, out, err = _driftline(capsys, "retrain", "--name", NAME, "--job-id", "1",
                                    "--min-recent-rows", "100", "--margin", "-1")  # fmt: skip
        assert code == 0, err
        outcome = json.loads(out.strip().splitlines()[-1])
        assert outcome["status"] == "promoted", outcome
        assert (outcome["champion_before"], outcome["champion_after"]) == ("1", "2")
        described = "clone of champion v1 (sklearn.pipeline.Pipeline)"
        assert outcome["figures"][FIGURE_CHALLENGER_ESTIMATOR] == described
        assert described in outcome["message"]
        client = connect(byo.settings)
        challenger = version_facts.require(client, NAME, "2")
        assert (challenger.origin, challenger.estimator) == ("trained", CLONED_ESTIMATOR)
        assert (challenger.numeric, challenger.categorical) == (NUMERIC, CATEGORICAL)

        code, out, err = _driftline(capsys, "rollback", "--name", NAME)
        assert code == 0, err
        assert out.strip() == f"champion of {NAME}: 2 -> 1"
        assert registry.champion_version(client, NAME) == "1"
