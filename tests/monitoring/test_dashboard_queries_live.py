"""Every dashboard query parses and returns data from a real Prometheus.

Two sources of scraped metrics:
- a catalog exposition (tests/monitoring/catalog_exposition.py) that serves every
  catalog metric with plausible values, for a classifier (churn) and a
  regression model (houses): always runs, checks names and labels, and that the
  rows of one task stay empty for a model of the other;
- the real stack: `driftline serve` (gunicorn, champion and a pinned
  challenger) and `driftline exporter serve` on a real MLflow store, with
  prediction and feedback traffic: skips while serving.app or exporter.app is
  not importable.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from driftline.monitoring_render import (
    JOB_EXPORTER,
    JOB_RECEIVER,
    JOB_SERVING,
    TargetGroup,
)
from stack.processes import free_port
from tests.monitoring.catalog_exposition import ExpositionState, serving_exposition
from tests.monitoring.dashboard_queries import failing_queries
from tests.monitoring.monitoring_stack import ALERTMANAGER, PROMETHEUS, prometheus
from tests.support.processes import running

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        PROMETHEUS is None or ALERTMANAGER is None, reason="prometheus Debian packages missing"
    ),
]

# Series that need two scrapes and a rule evaluation before they exist.
RECORDED_READY = (
    "model_version:driftline_predictions:share_rate5m",
    "model_version_endpoint:driftline_http_request_duration_seconds:histogram_quantile_rate5m",
    "model_version:driftline_model_accuracy_ratio:max",
)
# The A/B dashboard compares classifiers (accuracy, positive-class share).
REGRESSION_DASHBOARDS = ("model-health.json", "drift.json")


def test_dashboard_queries_return_data_from_catalog_exposition(tmp_path: Path) -> None:
    champion = ExpositionState(versions=("3",))
    challenger = ExpositionState(versions=("4",))
    watched = ExpositionState(versions=("3", "4"))
    houses = ExpositionState(model="houses", versions=("1",), task="regression")
    with ExitStack() as stack:
        replica_a = stack.enter_context(serving_exposition("serving", champion))
        replica_b = stack.enter_context(serving_exposition("serving", champion))
        replica_c = stack.enter_context(serving_exposition("serving", challenger))
        replica_h = stack.enter_context(serving_exposition("serving", houses))
        exporter = stack.enter_context(serving_exposition("exporter", watched))
        exporter_h = stack.enter_context(serving_exposition("exporter", houses))
        receiver = stack.enter_context(serving_exposition("receiver", watched))
        targets = {
            JOB_SERVING: [
                TargetGroup((replica_a, replica_b), {"model": "churn", "deployment": "champion"}),
                TargetGroup((replica_c,), {"model": "churn", "deployment": "challenger"}),
                TargetGroup((replica_h,), {"model": "houses", "deployment": "champion"}),
            ],
            JOB_EXPORTER: [TargetGroup((exporter, exporter_h))],
            JOB_RECEIVER: [TargetGroup((receiver,))],
        }
        prom = stack.enter_context(prometheus(tmp_path, targets))
        for expr in RECORDED_READY:
            prom.wait_for(expr)
        # Every version of both models through the rules before querying (two scrapes
        # each for the rates): both churn versions in the A/B split, and houses.
        prom.wait_for('count(model_version:driftline_predictions:share_rate5m{model="churn"}) == 2')
        prom.wait_for('model_version:driftline_predictions:share_rate5m{model="houses"}')
        prom.wait_for('model_version:driftline_model_mean_absolute_error:max{model="houses"}')

        # Both models in one Prometheus: the `model` variable lists each, and every query
        # filled with one model answers that model's series only (checked in failing_queries).
        models = prom.get("/api/v1/label/model/values?match[]=driftline_model_info")["data"]
        assert sorted(models) == ["churn", "houses"]
        assert failing_queries(prom, "churn", ["3", "4"]) == []
        assert failing_queries(prom, "churn", []) == []  # the "All" choice
        # A regression model fills the error row and leaves the accuracy row empty.
        assert failing_queries(prom, "houses", ["1"], "regression", REGRESSION_DASHBOARDS) == []
        assert failing_queries(prom, "houses", [], "regression", REGRESSION_DASHBOARDS) == []
        # A version nobody serves leaves the panels empty: the check can fail.
        assert failing_queries(prom, "churn", ["999"]) != []
        # So can the task check: a classifier read as a regression model fails both rows.
        swapped = "\n".join(failing_queries(prom, "churn", ["3", "4"], "regression"))
        assert "Estimated and realized accuracy" in swapped and "MAE relative to holdout" in swapped


# --- real serving + exporter stack ---------------------------------------------------


def _real_stack_missing() -> str | None:
    for module in ("serving.app", "exporter.app"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not importable yet"
    return None


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return dict(json.load(resp))


def _driftline(*args: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from cli.main import main; sys.exit(main())",
        *args,
    ]


@pytest.fixture
def two_version_store(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh MLflow store: version 1 champion, version 2 registered as a challenger."""
    from driftline.config import Settings
    from tests.support.model_store import make_trained_store
    from training.dataset import load
    from training.train import TrainOptions, fit_and_log

    store = make_trained_store(tmp_path / "home", rows=2000, seed=0)
    fit_and_log(
        Settings.from_env(store.env),
        load(None, None, rows=2000, seed=1),
        TrainOptions(seed=1, promote=False),
    )
    yield {**os.environ, **store.env}


@pytest.mark.skipif(_real_stack_missing() is not None, reason=str(_real_stack_missing()))
def test_dashboard_queries_return_data_from_real_serving_and_exporter(
    tmp_path: Path, two_version_store: dict[str, str]
) -> None:
    from tests.serving.records import records

    env = {
        **two_version_store,
        "DRIFTLINE_EXPORTER_INTERVAL_SECONDS": "1",
        "DRIFTLINE_EXPORTER_MIN_SAMPLES": "50",
        "DRIFTLINE_EXPORTER_MIN_LABELLED": "20",
    }
    champion_port, challenger_port, exporter_port = free_port(), free_port(), free_port()
    with ExitStack() as stack:
        for port, extra in ((champion_port, []), (challenger_port, ["--version", "2"])):
            stack.enter_context(
                running(
                    _driftline(
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--workers",
                        "2",
                        *extra,
                    ),
                    ready_url=f"http://127.0.0.1:{port}/ready",
                    log=tmp_path / f"serve-{port}.log",
                    env=env,
                    timeout=120,
                )
            )
        stack.enter_context(
            running(
                _driftline(
                    "exporter", "serve", "--host", "127.0.0.1", "--port", str(exporter_port)
                ),
                ready_url=f"http://127.0.0.1:{exporter_port}/metrics",
                log=tmp_path / "exporter.log",
                env=env,
                timeout=120,
            )
        )

        # Traffic: 300 records to each version, labels for 200 of them.
        batch = records(300, seed=7)
        for port in (champion_port, challenger_port):
            ids = []
            for start in range(0, len(batch), 50):
                answer = _post(
                    f"http://127.0.0.1:{port}/predict", {"records": batch[start : start + 50]}
                )
                ids += [p["prediction_id"] for p in answer["predictions"]]
            labels = [{"prediction_id": i, "label": n % 2} for n, i in enumerate(ids[:200])]
            _post(f"http://127.0.0.1:{port}/feedback", {"labels": labels})

        targets = {
            JOB_SERVING: [
                TargetGroup(
                    (f"127.0.0.1:{champion_port}",), {"model": "churn", "deployment": "champion"}
                ),
                TargetGroup(
                    (f"127.0.0.1:{challenger_port}",),
                    {"model": "churn", "deployment": "challenger"},
                ),
            ],
            JOB_EXPORTER: [TargetGroup((f"127.0.0.1:{exporter_port}",))],
        }
        prom = stack.enter_context(prometheus(tmp_path, targets))
        for expr in RECORDED_READY:
            prom.wait_for(expr, timeout=90)
        prom.wait_for("count(model_version:driftline_model_accuracy_ratio:max) == 2", timeout=90)
        prom.wait_for("count(driftline_feature_psi) > 0", timeout=90)

        assert failing_queries(prom, "churn", ["1", "2"]) == []
