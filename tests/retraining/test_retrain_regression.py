"""Retraining a regression champion (house prices) against a real MLflow store and log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from driftline import registry
from driftline.mlflow_setup import connect
from driftline.registry_contract import PROMOTION_DECISION_TAG
from driftline.tasks import TASK_PARAM
from retraining.data_mix import MixPolicy
from retraining.run import RetrainRequest, retrain
from tests.retraining.houses import HOUSES, log_house_traffic, make_houses_store
from tests.support.model_store import TrainedStore
from training import house_prices


def _versions(store: TrainedStore) -> list[str]:
    client = connect(store.settings)
    return sorted(str(v.version) for v in client.search_model_versions(f"name='{HOUSES}'"))


def test_a_challenger_trained_on_inflated_prices_beats_the_stale_champion(tmp_path: Path) -> None:
    store = make_houses_store(tmp_path)
    # A year of 25% inflation: the same kind of houses, prices a quarter higher.
    log_house_traffic(store, house_prices.generate(600, seed=5, scenario="inflation", t=1.0))

    outcome = retrain(store.settings, RetrainRequest(job_id="21", margin=0.05))

    assert outcome["status"] == "promoted", outcome
    assert (outcome["champion_before"], outcome["champion_after"]) == ("1", "2")
    figures = outcome["figures"]
    assert (figures["metric"], figures["better"], figures["margin_kind"]) == (
        "mae", "lower", "relative",
    )  # fmt: skip
    challenger, champion = float(figures["challenger_score"]), float(figures["champion_score"])
    assert challenger <= champion * (1 - 0.05)
    # The stale champion under-predicts by about the price rise; the challenger much less.
    assert float(figures["champion_mean_error"]) < -0.1 * champion
    assert abs(float(figures["challenger_mean_error"])) < abs(float(figures["champion_mean_error"]))
    assert figures["holdout_rows"] == 180
    assert "mae lower by" in outcome["message"]
    client = connect(store.settings)
    assert registry.champion_version(client, HOUSES) == "2"
    run = client.get_run(str(client.get_model_version(HOUSES, "2").run_id))
    assert run.data.params[TASK_PARAM] == "regression"
    assert run.data.params["model_kind"] == "ridge"  # the champion's estimator
    assert run.data.metrics["recent_mae"] == pytest.approx(challenger, rel=1e-5)


def test_a_worse_challenger_is_rejected_and_nothing_served_changes(tmp_path: Path) -> None:
    # A boosted champion against a linear challenger on the prices' non-linear formula.
    store = make_houses_store(tmp_path, estimator="gbm")
    log_house_traffic(store, house_prices.generate(600, seed=6))

    outcome = retrain(store.settings, RetrainRequest(job_id="22", model_kind="ridge"))

    assert outcome["status"] == "rejected", outcome
    figures = outcome["figures"]
    assert figures["metric"] == "mae"
    assert float(figures["challenger_score"]) > float(figures["champion_score"])
    assert "mae higher by" in outcome["message"]
    client = connect(store.settings)
    assert registry.champion_version(client, HOUSES) == "1"
    challenger = client.get_model_version(HOUSES, str(outcome["challenger_version"]))
    assert challenger.tags[PROMOTION_DECISION_TAG] == "rejected"


def test_the_task_is_the_champions_not_inferred_from_recent_labels(tmp_path: Path) -> None:
    store = make_houses_store(tmp_path, rows=800)
    frame = house_prices.generate(400, seed=7)
    # Three distinct whole prices look like classes to the inference rule.
    frame[house_prices.TARGET] = (frame[house_prices.TARGET] // 100_000 % 3 + 1) * 100_000.0
    log_house_traffic(store, frame)

    outcome = retrain(
        store.settings,
        RetrainRequest(job_id="23", margin=-1.0, policy=MixPolicy(original_share=0.0)),
    )

    assert outcome["status"] == "promoted", outcome
    assert outcome["figures"]["metric"] == "mae"
    client = connect(store.settings)
    run = client.get_run(str(client.get_model_version(HOUSES, "2").run_id))
    assert run.data.params[TASK_PARAM] == "regression"


def test_an_estimator_of_the_other_task_fails_before_training(tmp_path: Path) -> None:
    store = make_houses_store(tmp_path, rows=600)
    log_house_traffic(store, house_prices.generate(300, seed=8))

    outcome = retrain(store.settings, RetrainRequest(job_id="24", model_kind="logreg"))

    assert outcome["status"] == "failed"
    assert "estimator 'logreg' is not one for regression" in outcome["message"]
    assert _versions(store) == ["1"]


@pytest.fixture(scope="module")
def badly_labelled(tmp_path_factory: pytest.TempPathFactory) -> TrainedStore:
    store = make_houses_store(tmp_path_factory.mktemp("bad-labels"), rows=600)
    frame = house_prices.generate(300, seed=9)
    labels = [repr(float(p)) for p in frame[house_prices.TARGET]]
    labels[10], labels[20] = "expensive", "nan"
    log_house_traffic(store, frame, labels=labels)
    return store


def test_labels_that_are_not_numbers_fail_the_job_and_change_nothing(
    badly_labelled: TrainedStore,
) -> None:
    outcome = retrain(badly_labelled.settings, RetrainRequest(job_id="25"))

    assert outcome["status"] == "failed"
    assert outcome["challenger_version"] is None
    assert outcome["champion_after"] == outcome["champion_before"] == "1"
    message = outcome["message"]
    assert "2 of 300 recent labels are not finite numbers" in message
    assert "'expensive'" in message and "'nan'" in message
    assert outcome["figures"]["metric"] == "mae"
    assert _versions(badly_labelled) == ["1"]


def test_the_command_says_so_without_a_traceback(badly_labelled: TrainedStore) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", "retrain", "--name", HOUSES, "--job-id", "26"],
        env={**os.environ, **badly_labelled.env},
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 1, result.stderr
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["status"] == "failed" and "not finite numbers" in line["message"]
    assert "Traceback" not in result.stderr
