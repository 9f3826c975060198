"""Engine behaviour: incremental reads, windows by count and time, outages and recovery."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from driftline.config import Settings
from exporter.engine import Engine as DriftEngine
from exporter.profiles import MlflowProfileSource, ProfileCache
from exporter.records import LoggedPrediction, LogPosition
from exporter.settings import ExporterConfig
from exporter.store_reader import PredictionLogReader
from exporter.window import VersionWindow
from exporter.window_counts import from_window
from tests.exporter.conftest import make_engine
from tests.exporter.logdata import log_labels, log_traffic
from tests.exporter.test_figures_against_independent_computation import check_features
from tests.support.model_store import make_trained_store
from training.synthetic import Drift, generate


class CountingReader(PredictionLogReader):
    """The real reader, counting the prediction rows it hands out."""

    rows_read = 0

    def predictions_from(
        self, start: LogPosition, limit: int, model: str | None = None
    ) -> list[LoggedPrediction]:
        rows = super().predictions_from(start, limit, model)
        self.rows_read += len(rows)
        return rows

    def recent(self, *args: Any, **kwargs: Any) -> list[LoggedPrediction]:
        rows = super().recent(*args, **kwargs)
        self.rows_read += len(rows)
        return rows


def counting_engine(
    settings: Settings, config: ExporterConfig, **kw: Any
) -> tuple[DriftEngine, CountingReader]:
    reader = CountingReader(settings.prediction_db_url)
    profiles = ProfileCache(MlflowProfileSource(settings.tracking_uri, settings.registry_uri))
    return DriftEngine(reader, profiles, config, **kw), reader


def test_reads_only_new_rows_and_keeps_the_newest_n(
    model: Any, log_db: Engine, log_settings: Settings
) -> None:
    config = ExporterConfig(window_size=1000, label_window_size=1000, read_batch=300)
    engine, reader = counting_engine(log_settings, config)
    first = log_traffic(log_db, model, generate(1500, seed=1))
    engine.run_cycle()
    assert reader.rows_read == 1000  # backfill: only the newest window of the version
    second = log_traffic(
        log_db, model, generate(700, seed=2, drifts=[Drift("covariate", 0.5, ("age",))])
    )
    result = engine.run_cycle().versions[0]
    assert reader.rows_read == 1700  # the 700 new rows, in batches of 300
    newest = [*first.frame.iloc[-300:].to_dict("records"), *second.frame.to_dict("records")]
    profile = next(iter(engine.windows.values())).prepared.profile
    check_features(result, pd.DataFrame(newest), profile)
    assert engine.run_cycle().versions[0] == result  # nothing new: same figures
    assert reader.rows_read == 1700


def test_time_window_uses_prediction_time(
    model: Any, log_db: Engine, log_settings: Settings
) -> None:
    now = [1_700_001_000.0]
    config = ExporterConfig(
        window_size=10_000,
        window_seconds=600,
        min_samples=10,
        label_window_size=10_000,
        label_window_seconds=600,
    )
    engine = make_engine(log_settings, config, clock=lambda: now[0])
    old = log_traffic(log_db, model, generate(400, seed=3), created_at=now[0] - 900)
    new = log_traffic(log_db, model, generate(300, seed=4), created_at=now[0] - 60)
    result = engine.run_cycle().versions[0]
    assert result.window_samples == 300  # backfill skipped the rows older than 600 s
    # late labels for old predictions do not enter the labelled window
    log_labels(log_db, old.ids[:10], old.truth[:10])
    log_labels(log_db, new.ids[:100], new.truth[:100])
    result = engine.run_cycle().versions[0]
    assert result.labelled_samples == 100
    now[0] += 600  # everything ages out: the version disappears
    assert engine.run_cycle().versions == ()


def test_each_model_and_version_has_its_own_window(
    model: Any, log_db: Engine, log_settings: Settings
) -> None:
    log_traffic(log_db, model, generate(500, seed=5), version="1")
    engine = make_engine(log_settings, ExporterConfig(min_samples=10))
    engine.run_cycle()
    # version 2 is not registered: its rows wait and the registry error is counted
    log_traffic(log_db, model, generate(200, seed=6), version="2")
    results = engine.run_cycle()
    assert [(v.model, v.version, v.window_samples) for v in results.versions] == [
        ("churn", "1", 500)
    ]
    assert results.errors["registry"] == 1
    assert results.last_success_at is not None and results.last_run_at is not None


def test_store_outage_keeps_last_results_and_recovers(
    model: Any, log_db: Engine, log_settings: Settings, tmp_path: Path
) -> None:
    log_traffic(log_db, model, generate(500, seed=7))
    clock = [1_700_002_000.0]
    engine = make_engine(log_settings, ExporterConfig(min_samples=10), clock=lambda: clock[0])
    good = engine.run_cycle()
    db = Path(log_settings.prediction_db_url.removeprefix("sqlite:///"))
    log_db.dispose()
    shutil.move(db, tmp_path / "away.db")
    db.write_bytes(b"this is not a database" * 100)
    engine.reader.engine.dispose()
    clock[0] += 30
    down = engine.run_cycle()
    assert down.errors["store"] == 1
    assert down.versions == good.versions
    assert down.last_success_at == good.last_success_at
    assert down.last_run_at == clock[0]
    db.unlink()
    shutil.move(tmp_path / "away.db", db)
    clock[0] += 30
    up = engine.run_cycle()
    assert up.errors["store"] == 1 and up.last_success_at == clock[0]


def test_registry_outage_keeps_rows_waiting_then_recovers(model: Any, tmp_path: Path) -> None:
    store = make_trained_store(tmp_path / "store", rows=1500)
    settings = replace(store.settings, prediction_db_url=f"sqlite:///{tmp_path / 'predictions.db'}")
    from tests.exporter.logdata import open_log

    db = open_log(settings.prediction_db_url)
    log_traffic(db, model, generate(400, seed=9))
    artifacts = store.settings.home / "mlartifacts"
    shutil.move(artifacts, tmp_path / "artifacts-away")
    engine = make_engine(settings, ExporterConfig(min_samples=10))
    down = engine.run_cycle()
    assert down.errors["registry"] == 1 and down.versions == ()
    log_traffic(db, model, generate(100, seed=10))
    assert engine.run_cycle().errors["registry"] == 2
    shutil.move(tmp_path / "artifacts-away", artifacts)
    up = engine.run_cycle()
    assert up.errors["registry"] == 2
    assert [v.window_samples for v in up.versions] == [500]
    fetched = len(engine.profiles._cache)
    engine.run_cycle()
    assert len(engine.profiles._cache) == fetched == 1


def test_ring_buffer_dedupes_evicts_and_labels(log_settings: Settings) -> None:
    source = MlflowProfileSource(log_settings.tracking_uri, log_settings.registry_uri)
    window = VersionWindow(source.fetch("churn", "1"), capacity=3)
    row = LoggedPrediction(
        seq=1,
        prediction_id="a",
        created_at=1.0,
        model="churn",
        version="1",
        features={},
        predicted_class="1",
        probabilities={"1": 0.9},
    )
    assert window.add([row, row]) == 1
    assert window.add([row]) == 0
    for i in range(4):
        window.add([replace(row, prediction_id=f"b{i}", seq=2 + i, created_at=2.0 + i)])
    assert len(window) == 3 and "a" not in window and "b0" not in window
    assert not window.label("a", "1", 5.0)
    assert window.label("b3", "1", 5.0) and window.last_label_at == 5.0
    assert window.select(3, None) == slice(0, 3)  # everything held: no copy
    picked = window.select(2, None)
    assert isinstance(picked, np.ndarray) and picked.size == 2
    assert VersionWindow.count(window.select(3, since=4.5)) == 1  # b3 only (created at 5.0)
    assert VersionWindow.count(window.select(3, None, labelled=True)) == 1
    # every value missing: all features count zero samples, none is lost
    data = window.window(window.select(3, None))
    counts = from_window(window.prepared, data)
    assert all(c.samples == 0 for c in counts.numeric)
    assert all(int(c.sum()) == 0 for c in counts.categorical)


@pytest.mark.parametrize("bad", ["abc", "-1", "0"])
def test_bad_settings_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"DRIFTLINE_EXPORTER_WINDOW_SIZE|window_size"):
        ExporterConfig.from_env({"DRIFTLINE_EXPORTER_WINDOW_SIZE": bad})


def test_settings_from_env() -> None:
    config = ExporterConfig.from_env(
        {
            "DRIFTLINE_EXPORTER_WINDOW_SIZE": "100",
            "DRIFTLINE_EXPORTER_WINDOW_SECONDS": "3600",
            "DRIFTLINE_EXPORTER_KS_MIN": "0.1",
            "DRIFTLINE_EXPORTER_MIN_DRIFTED_FEATURES": "2",
            "DRIFTLINE_EXPORTER_LABEL_WINDOW_SECONDS": "off",
        }
    )
    assert (config.window_size, config.window_seconds, config.label_window_seconds) == (
        100,
        3600.0,
        None,
    )
    assert (config.rule.ks_min, config.rule.min_drifted_features) == (0.1, 2)


def test_log_without_tables_is_an_empty_log(log_settings: Settings, tmp_path: Path) -> None:
    settings = replace(log_settings, prediction_db_url=f"sqlite:///{tmp_path / 'empty.db'}")
    results = make_engine(settings).run_cycle()
    assert results.versions == ()
    assert results.errors == {"registry": 0, "store": 0, "compute": 0}
    assert results.last_success_at is not None


def test_unparseable_rows_count_as_missing(log_db: Engine, log_settings: Settings) -> None:
    from sqlalchemy import insert

    from predictionlog.schema import predictions

    rows = [
        {
            "prediction_id": f"p{i}",
            "created_at": 1.0,
            "model_name": "churn",
            "model_version": "1",
            "features": features,
            "predicted_class": "0",
            "probabilities": "not json",
        }
        for i, features in enumerate(['{"age": "old", "region": ["x"]}', "[1, 2]", "{oops"])
    ]
    with log_db.begin() as conn:
        conn.execute(insert(predictions), rows)
    results = make_engine(log_settings, ExporterConfig(min_samples=1)).run_cycle()
    (version,) = results.versions
    by_name = {f.name: f for f in version.features}
    assert by_name["age"].samples == 0 and by_name["age"].missing_ratio == 1.0
    assert by_name["region"].samples == 1 and by_name["region"].unseen_ratio == 1.0
    assert results.errors["store"] == 0
