"""Rollback (`php php/bin/rollback.php`) and the dashboard against a real MLflow server."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from driftline import registry_contract
from stack.native import MLFLOW_ENV
from stack.processes import free_port
from tests.conftest import REPO_ROOT
from tests.php.conftest import PHP_DIR, alert, notification
from tests.support.processes import running

pytestmark = pytest.mark.slow

MLFLOW = REPO_ROOT / ".venv" / "bin" / "mlflow"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def mlflow_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real `mlflow server` for the module; each test uses its own model name."""
    root = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    argv = [
        str(MLFLOW), "server",
        "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
        "--default-artifact-root", (root / "art").as_uri(),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    # The stack's MLflow settings: without them its job runner outlives SIGTERM (stack/native.py).
    env = {**os.environ, **MLFLOW_ENV}
    with running(argv, ready_url=f"{url}/health", log=root / "mlflow.log", env=env, timeout=180):
        yield url


@dataclass(frozen=True)
class Registry:
    url: str
    model: str
    experiment: str

    def client(self) -> Any:
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.url, registry_uri=self.url)

    def champion(self) -> str:
        return str(self.client().get_model_version_by_alias(self.model, "champion").version)

    def history(self) -> list[str]:
        tags = self.client().get_registered_model(self.model).tags
        return list(json.loads(tags[registry_contract.CHAMPION_HISTORY_TAG]))


def _registry(
    mlflow_url: str, accuracies: list[float], champion: str, history: list[str]
) -> Registry:
    """A registered model with one version per run, the champion alias and its history tag."""
    registry = Registry(mlflow_url, f"churn-{uuid.uuid4().hex[:8]}", f"exp-{uuid.uuid4().hex[:8]}")
    client = registry.client()
    experiment = client.create_experiment(registry.experiment)
    client.create_registered_model(registry.model)
    for i, accuracy in enumerate(accuracies):
        run = client.create_run(experiment, run_name=f"train-{i + 1}")
        client.log_metric(run.info.run_id, "accuracy", accuracy)
        client.set_terminated(run.info.run_id)
        client.create_model_version(
            registry.model, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
        )
    client.set_registered_model_alias(registry.model, "champion", champion)
    client.set_registered_model_tag(
        registry.model, registry_contract.CHAMPION_HISTORY_TAG, json.dumps(history)
    )
    return registry


def _rollback(url: str, model: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "MLFLOW_TRACKING_URI": url, "DRIFTLINE_MODEL_NAME": model}
    return subprocess.run(
        ["php", str(PHP_DIR / "bin" / "rollback.php"), *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_rollback_moves_champion_to_the_previous_one(mlflow_url: str) -> None:
    registry = _registry(mlflow_url, [0.80, 0.82, 0.85], champion="3", history=["1", "2", "3"])

    result = _rollback(registry.url, registry.model)

    assert result.returncode == 0, result.stderr
    assert "from version 3 to version 2" in result.stdout
    assert (registry.champion(), registry.history()) == ("2", ["1", "2"])
    again = _rollback(registry.url, registry.model)
    assert again.returncode == 0, again.stderr
    assert (registry.champion(), registry.history()) == ("1", ["1"])


def test_rollback_to_a_named_version_pushes_it_on_the_history(mlflow_url: str) -> None:
    registry = _registry(mlflow_url, [0.80, 0.82, 0.85], champion="3", history=["2", "3"])

    result = _rollback(registry.url, registry.model, "1")

    assert result.returncode == 0, result.stderr
    assert (registry.champion(), registry.history()) == ("1", ["2", "3", "1"])


def test_rollback_refuses_an_unknown_version_and_changes_nothing(mlflow_url: str) -> None:
    registry = _registry(mlflow_url, [0.80, 0.82], champion="2", history=["1", "2"])

    unknown = _rollback(registry.url, registry.model, "9")
    not_a_number = _rollback(registry.url, registry.model, "latest")

    assert unknown.returncode == 2 and "has no version 9" in unknown.stderr
    assert not_a_number.returncode == 2 and "not a model version number" in not_a_number.stderr
    assert (registry.champion(), registry.history()) == ("2", ["1", "2"])


def test_rollback_refuses_without_a_previous_champion(mlflow_url: str) -> None:
    registry = _registry(mlflow_url, [0.80], champion="1", history=["1"])

    result = _rollback(registry.url, registry.model)

    assert result.returncode == 2
    assert "no previous champion" in result.stderr
    assert registry.champion() == "1"


def test_rollback_reports_an_unreachable_mlflow(mlflow_url: str) -> None:
    result = _rollback(f"http://127.0.0.1:{free_port()}", "churn")

    assert result.returncode == 1
    assert "unreachable" in result.stderr


def _chromium(url: str, tmp_path: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    argv = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={tmp_path / f'chromium-{uuid.uuid4().hex[:6]}'}",
        "--window-size=1200,900", *mode, url,
    ]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")
def test_dashboard_shows_runs_registry_and_jobs_in_a_real_browser(
    mlflow_url: str, start_receiver: Any, tmp_path: Path
) -> None:
    registry = _registry(mlflow_url, [0.81, 0.84, 0.79], champion="2", history=["1", "2"])
    client = registry.client()
    client.set_registered_model_alias(registry.model, "challenger", "3")
    other = _registry(mlflow_url, [0.7], champion="1", history=["1"])
    experiment = client.get_experiment_by_name(registry.experiment).experiment_id
    hostile = client.create_run(experiment, run_name='<img src=x onerror="alert(1)">')
    client.set_terminated(hostile.info.run_id)
    receiver = start_receiver(
        MLFLOW_TRACKING_URI=registry.url,
        DRIFTLINE_MODEL_NAME=registry.model,
        DRIFTLINE_EXPERIMENT=registry.experiment,
    )
    receiver.post_alerts(notification(alert(model=registry.model)))

    page = receiver.get("/")
    dom = _chromium(f"{receiver.url}/", tmp_path, "--dump-dom")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "php-dashboard.png"
    shot.unlink(missing_ok=True)
    _chromium(f"{receiver.url}/", tmp_path, f"--screenshot={shot}")

    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.body.decode()
    assert html.count('role="progressbar"') == 3
    for accuracy in ("0.8100", "0.8400", "0.7900"):
        assert f'aria-valuenow="{accuracy}"' in html
    assert '<span class="alias champion">champion</span>' in html
    assert '<span class="alias challenger">challenger</span>' in html
    assert "<img" not in html and "&lt;img src=x" in html
    assert 'id="job-counts">queued: 1' in html
    assert 'id="jobs"' in html and "DriftlineFeatureDrift" in html
    # Every registered model is listed, the default one (DRIFTLINE_MODEL_NAME) first.
    rows = re.findall(r'<tr><td><a href="#versions-([^"]+)">', html)
    assert rows[0] == registry.model and other.model in rows
    assert (
        f'<code>{registry.model}</code></a></td><td>2</td><td>3</td><td>3</td></tr>' in html
    )  # fmt: skip
    assert f'<table id="versions-{other.model}">' in html
    # The browser parsed the same page: the bars and tables are in its DOM.
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count('role="progressbar"') == 3 and 'id="versions"' in dom.stdout
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_dashboard_still_renders_when_mlflow_is_unreachable(start_receiver: Any) -> None:
    receiver = start_receiver(MLFLOW_TRACKING_URI=f"http://127.0.0.1:{free_port()}")
    receiver.post_alerts(notification(alert()))

    page = receiver.get("/")

    assert page.status == 200
    html = page.body.decode()
    assert "MLflow unavailable." in html and "unreachable" in html
    assert 'id="job-counts">queued: 1' in html
