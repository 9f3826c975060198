"""Reload signal and registry polling, without gunicorn."""

from __future__ import annotations

from pathlib import Path

from driftline import registry
from driftline.mlflow_setup import connect
from serving.app import create_app, runtime_of
from serving.reload_signal import ReloadSignal
from tests.serving.conftest import app_config
from tests.serving.records import one_record
from tests.support.eventually import eventually
from tests.support.model_store import make_trained_store
from training.dataset import load
from training.train import TrainOptions, fit_and_log


def test_reload_signal_reaches_every_watcher_once(tmp_path: Path) -> None:
    sender, first, second = (ReloadSignal(tmp_path) for _ in range(3))
    assert not first.received() and not second.received()
    sender.send()
    assert first.received() and second.received()
    assert not first.received(), "one signal is seen once"
    sender.send()
    sender.send()  # two sends within the clock's granularity still move the stamp
    assert first.received()


def test_no_run_dir_means_no_signal_file() -> None:
    signal = ReloadSignal(None)
    signal.send()
    assert not signal.received()


def test_polling_swaps_in_the_new_champion(tmp_path: Path) -> None:
    store = make_trained_store(tmp_path / "store")
    app = create_app(app_config(store, tmp_path, reload_interval_seconds=0.3))
    runtime = runtime_of(app)
    client = app.test_client()
    try:
        assert client.post("/predict", json={"record": one_record()}).get_json()["model"] == {
            "name": "churn", "version": "1"
        }  # fmt: skip
        result, _ = fit_and_log(store.settings, load(None, None, rows=2000, seed=9),
                                TrainOptions(seed=9))  # fmt: skip
        registry.promote(connect(store.settings), "churn", result.version)
        eventually(lambda: runtime.model is not None and runtime.model.version == "2", 30,
                   "the poller to load version 2")  # fmt: skip
        answer = client.post("/predict", json={"record": one_record()}).get_json()
        assert answer["model"]["version"] == "2"
        text = client.get("/metrics").get_data(as_text=True)
        assert (
            'driftline_model_info{model="churn",run_id="' + result.run_id + '",version="2"} 1.0'
            in text
        )
        old = store.champion.run_id
        assert 'driftline_model_info{model="churn",run_id="' + old + '",version="1"} 0.0' in text
        assert 'driftline_model_reloads_total{model="churn",outcome="swapped"} 2.0' in text
        assert client.get("/ready").get_json()["version"] == "2"
    finally:
        runtime.shutdown()
