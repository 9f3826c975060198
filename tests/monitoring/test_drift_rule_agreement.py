"""One drift rule: on a real Prometheus with the committed rules, the drift alerts
that fire after `for:` are exactly what the exporter's verdict says, feature by feature.

Four seeded windows, each served by its own exporter and scraped by its own
Prometheus (all four at once): no drift, a 0.2 SD shift of one feature (the case
where the old per-feature alerts stayed silent while the verdict was raised), a
large shift of two features, and an unseen category.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from driftline.monitoring_render import FAST_FOR_SCALE, JOB_EXPORTER, TargetGroup
from exporter.app import build
from exporter.results import VersionResult
from exporter.server import make_server
from exporter.settings import ExporterConfig
from stack.processes import free_port
from tests.exporter.logdata import champion_model, log_traffic, open_log
from tests.monitoring.monitoring_stack import PROMETHEUS, Prometheus, prometheus, wait_until
from tests.support.model_store import TrainedStore
from training.synthetic import Drift, generate

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(PROMETHEUS is None, reason="prometheus (Debian package) missing"),
]

SCENARIOS: dict[str, tuple[Drift, ...]] = {
    "no-drift": (),
    "shift-0.2sd": (Drift("covariate", 0.2, ("monthly_charges",)),),
    "large-shift": (Drift("covariate", 1.5, ("tenure_months", "support_calls")),),
    "unseen-category": (Drift("new_category", 0.1, ("contract_type",)),),
}
WINDOW = 5_000
# Scrapes of the verdict series to wait for: at one a second that is well past
# the scaled `for:` (15m * FAST_FOR_SCALE = 5s) plus an evaluation or two.
SCRAPES_PAST_FOR = 12


@dataclass(frozen=True)
class Run:
    name: str
    verdict: VersionResult
    prometheus: Prometheus


@contextmanager
def _serving(settings_url: str, store: TrainedStore) -> Iterator[tuple[VersionResult, int]]:
    """An exporter over one prediction log: one cycle computed, then /metrics served."""
    exporter = build(replace(store.settings, prediction_db_url=settings_url), ExporterConfig())
    (verdict,) = exporter.engine.run_cycle().versions
    port = free_port()
    server = make_server("127.0.0.1", port, exporter.page, exporter.engine.latest)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield verdict, port
    finally:
        server.shutdown()
        server.server_close()


def _firing(prom: Prometheus, alertname: str, label: str) -> set[str]:
    expr = f'ALERTS{{alertname="{alertname}", alertstate="firing"}}'
    return {r["metric"][label] for r in prom.query(expr)["data"]["result"]}


@pytest.fixture(scope="module")
def runs(
    trained_store: TrainedStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Run]]:
    model = champion_model(trained_store)
    with ExitStack() as stack:
        out: list[Run] = []
        for seed, (name, drifts) in enumerate(SCENARIOS.items(), start=70):
            work: Path = tmp_path_factory.mktemp(name)
            url = f"sqlite:///{work / 'predictions.db'}"
            log_traffic(open_log(url), model, generate(WINDOW, seed=seed, drifts=list(drifts)))
            verdict, port = stack.enter_context(_serving(url, trained_store))
            prom = stack.enter_context(
                prometheus(
                    work,
                    {JOB_EXPORTER: [TargetGroup((f"127.0.0.1:{port}",))]},
                    for_scale=FAST_FOR_SCALE,
                )
            )
            out.append(Run(name, verdict, prom))
        long_enough = f"count_over_time(driftline_model_drift_detected[1m]) >= {SCRAPES_PAST_FOR}"
        for run in out:
            wait_until(
                lambda p=run.prometheus: p.query(long_enough)["data"]["result"],  # type: ignore[misc]
                60,
                f"{run.name}: the verdict series was not scraped long enough",
                run.prometheus.log,
            )
        yield out


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_feature_alerts_after_for_name_exactly_the_flagged_features(
    runs: list[Run], scenario: str
) -> None:
    run = next(r for r in runs if r.name == scenario)
    flagged = {f.name for f in run.verdict.features if f.drift}
    assert _firing(run.prometheus, "DriftlineFeatureDriftDetected", "feature") == flagged
    model_alert = _firing(run.prometheus, "DriftlineModelDriftDetected", "version")
    assert model_alert == ({run.verdict.version} if run.verdict.drift else set())
    prediction_alert = _firing(run.prometheus, "DriftlinePredictionDrift", "version")
    assert prediction_alert == ({run.verdict.version} if run.verdict.prediction_drift else set())
    pending = run.prometheus.query('ALERTS{alertstate="pending"}')["data"]["result"]
    assert pending == []


def test_the_seeded_windows_cover_silence_and_each_kind_of_flag(runs: list[Run]) -> None:
    """The agreement above is only meaningful if the windows differ as intended."""
    flagged = {r.name: {f.name for f in r.verdict.features if f.drift} for r in runs}
    assert flagged["no-drift"] == set()
    assert flagged["shift-0.2sd"] == {"monthly_charges"}
    assert {"tenure_months", "support_calls"} <= flagged["large-shift"]
    assert "contract_type" in flagged["unseen-category"]
