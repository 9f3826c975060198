"""The engine with count windows (``count_interval_seconds``) publishes the figures the
row windows publish, on a real MLflow store and a real SQLite prediction log."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine

from driftline.config import Settings
from exporter.interval_window import IntervalWindow
from exporter.settings import ExporterConfig
from tests.exporter.conftest import make_engine
from tests.exporter.logdata import log_labels, log_traffic
from training.synthetic import Drift, generate

NOW = 1_700_001_000.0  # a multiple of the interval, so both windows start at the same edge


def test_count_windows_publish_the_row_windows_figures(
    model: Any, log_db: Engine, log_settings: Settings
) -> None:
    now = [NOW]
    rows = ExporterConfig(
        window_size=10_000,
        window_seconds=600,
        min_samples=10,
        min_labelled=10,
        label_window_size=10_000,
        label_window_seconds=900,
    )
    counts = replace(rows, count_interval_seconds=60)
    by_rows = make_engine(log_settings, rows, clock=lambda: now[0])
    by_counts = make_engine(log_settings, counts, clock=lambda: now[0])
    old = log_traffic(log_db, model, generate(400, seed=3, missing_rate=0.1), created_at=NOW - 800)
    moved = [Drift("covariate", 1.0, ("age",))]
    new = log_traffic(log_db, model, generate(300, seed=4, drifts=moved), created_at=NOW - 60)
    for engine in (by_rows, by_counts):
        engine.run_cycle()
    assert isinstance(next(iter(by_counts.windows.values())), IntervalWindow)
    log_labels(log_db, old.ids[:50], old.truth[:50])  # late labels, into their own interval
    log_labels(log_db, new.ids[:100], new.truth[:100])
    more = log_traffic(log_db, model, generate(200, seed=5), created_at=NOW + 30)
    log_labels(log_db, more.ids[:40], more.truth[:40])
    now[0] += 60
    want = by_rows.run_cycle().versions
    got = by_counts.run_cycle().versions
    assert got == want
    (version,) = got
    assert (version.window_samples, version.labelled_samples) == (500, 190)
    assert version.performance is not None and version.drift is not None
    now[0] += 900  # everything ages out: the version disappears from both
    assert by_counts.run_cycle().versions == by_rows.run_cycle().versions == ()


def test_count_windows_need_both_time_windows() -> None:
    with pytest.raises(ValueError, match="count_interval_seconds needs"):
        ExporterConfig(window_seconds=600, count_interval_seconds=60)
    config = ExporterConfig.from_env(
        {
            "DRIFTLINE_EXPORTER_WINDOW_SECONDS": "86400",
            "DRIFTLINE_EXPORTER_LABEL_WINDOW_SECONDS": "86400",
            "DRIFTLINE_EXPORTER_COUNT_INTERVAL_SECONDS": "300",
        }
    )
    assert config.count_interval_seconds == 300.0 and config.longest_span == 86400.0
