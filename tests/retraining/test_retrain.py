"""Retraining against a real MLflow store and a real prediction log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mlflow

from driftline import registry
from driftline.mlflow_setup import connect
from driftline.registry_contract import PROMOTION_DECISION_TAG, RUN_TAG_JOB_ID
from driftline.retrain_contract import OUTCOME_SCHEMA, STATUSES
from retraining.run import RetrainRequest, retrain
from tests.support.labelled_traffic import log_labelled_traffic
from tests.support.model_store import TrainedStore, environment_for, make_trained_store
from training.synthetic import TARGET, Drift, generate


def _log_recent(store: TrainedStore, rows: int, drifts: list[Drift], seed: int) -> None:
    model = mlflow.sklearn.load_model(f"models:/churn/{store.champion.version}")
    log_labelled_traffic(
        store.settings.prediction_db_url,
        model,
        model_name="churn",
        version=store.champion.version,
        frame=generate(rows, seed=seed, drifts=drifts),
        target=TARGET,
    )


def test_concept_drift_retrain_wins_and_moves_champion(tmp_path: Path) -> None:
    store = make_trained_store(tmp_path, rows=3000)
    _log_recent(store, 1500, [Drift("concept", 1.0)], seed=11)
    outcome = retrain(store.settings, RetrainRequest(job_id="7", margin=0.01))
    assert outcome["schema"] == OUTCOME_SCHEMA
    assert outcome["status"] == "promoted", outcome
    assert outcome["champion_before"] == "1"
    assert outcome["challenger_version"] == outcome["champion_after"] == "2"
    figures = outcome["figures"]
    assert float(figures["challenger_score"]) >= float(figures["champion_score"]) + 0.01
    assert figures["holdout_rows"] == 450
    client = connect(store.settings)
    assert registry.champion_version(client, "churn") == "2"
    run = client.get_run(str(client.get_model_version("churn", "2").run_id))
    assert run.data.tags[RUN_TAG_JOB_ID] == "7"
    assert "recent_accuracy" in run.data.metrics


def test_no_gain_is_rejected_and_nothing_served_changes(tmp_path: Path) -> None:
    store = make_trained_store(tmp_path, rows=3000)
    _log_recent(store, 800, [], seed=12)
    outcome = retrain(store.settings, RetrainRequest(job_id="8", margin=0.05))
    assert outcome["status"] == "rejected", outcome
    assert outcome["champion_after"] == outcome["champion_before"] == "1"
    client = connect(store.settings)
    assert registry.champion_version(client, "churn") == "1"
    challenger = client.get_model_version("churn", str(outcome["challenger_version"]))
    assert challenger.tags[PROMOTION_DECISION_TAG] == "rejected"


def test_too_few_labels_is_a_rejection_without_a_challenger(
    trained_store: TrainedStore, tmp_path: Path
) -> None:
    env = {**trained_store.env, "DRIFTLINE_PREDICTION_DB": f"sqlite:///{tmp_path / 'p.db'}"}
    from driftline.config import Settings

    outcome = retrain(Settings.from_env(env), RetrainRequest())
    assert outcome["status"] == "rejected"
    assert outcome["challenger_version"] is None
    assert "0 labelled recent predictions" in outcome["message"]


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "retrain", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_prints_the_outcome_line_last_with_contract_exit_codes(
    trained_store: TrainedStore, tmp_path: Path
) -> None:
    empty = environment_for(tmp_path / "empty")
    failed = _cli(empty, "--job-id", "9", "--reason", '{"alerts": ["ModelAccuracyLow"]}')
    assert failed.returncode == 1, failed.stderr
    line = json.loads(failed.stdout.strip().splitlines()[-1])
    assert line["status"] == "failed" and line["job_id"] == "9"
    assert "no champion" in line["message"]

    no_traffic = {**trained_store.env, "DRIFTLINE_PREDICTION_DB": f"sqlite:///{tmp_path / 'p.db'}"}
    decided = _cli(no_traffic, "--job-id", "10", "--min-recent-rows", "100")
    assert decided.returncode == 0, decided.stderr
    line = json.loads(decided.stdout.strip().splitlines()[-1])
    assert line["status"] in STATUSES and line["status"] == "rejected"


def test_cli_rejects_bad_numbers(tmp_path: Path) -> None:
    result = _cli(environment_for(tmp_path), "--margin", "lots")
    assert result.returncode == 2
    assert "invalid float value" in result.stderr


def test_cli_name_picks_the_model_and_the_old_model_spelling_only_adds_a_warning(
    trained_store: TrainedStore, tmp_path: Path
) -> None:
    # The environment names another model: the outcome's model comes from the flag.
    env = {**trained_store.env, "DRIFTLINE_PREDICTION_DB": f"sqlite:///{tmp_path / 'p.db'}",
           "DRIFTLINE_MODEL_NAME": "not-registered"}  # fmt: skip
    new = _cli(env, "--name", "churn", "--job-id", "11", "--min-recent-rows", "100")
    old = _cli(env, "--model", "churn", "--job-id", "11", "--min-recent-rows", "100")
    assert new.returncode == old.returncode == 0, old.stderr
    line = json.loads(new.stdout.strip().splitlines()[-1])
    assert (line["model"], line["status"], line["champion_before"]) == ("churn", "rejected", "1")
    assert old.stdout == new.stdout
    warning = "driftline retrain: --model is deprecated, use --name"
    assert warning in old.stderr.splitlines() and warning not in new.stderr
