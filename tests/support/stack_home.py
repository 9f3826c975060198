"""A stack home whose MLflow store already holds every demo model's champion and challenger.

A native stack trains on its first start (`driftline bootstrap` per model, stack/native.py):
over a minute of CPU on this host, the same seeded models each time. The suite trains them
once, by the stack's own commands (its MLflow server, one trainer per model side by side),
and each stack test starts from a copy; its trainers then find both aliases registered and
leave them (bootstrap is idempotent). The artifacts go through the server's proxy
(``mlflow-artifacts:`` URIs), so a copied home is a complete, independent store.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from mlflow.tracking import MlflowClient

from driftline.config import Settings
from driftline.mlflow_setup import ensure_experiment
from stack import topology
from stack.native import MLFLOW_ENV
from stack.processes import free_port, spawn, stop_all
from tests.support.processes import running

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
# What a home holds after its trainers ran; the logs stay behind with the template.
STORE_PARTS = ("mlflow.db", "mlartifacts")
TRAINER_TIMEOUT_SECONDS = 600


def _entry_point(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def train_template(home: Path, models: tuple[str, ...] = topology.DEMO_MODELS) -> Path:
    """Run MLflow's server on ``home`` and every model's trainer against it; return ``home``."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    argv = topology.MLFLOW.command(home=home, host=HOST, port=port)
    argv[0] = _entry_point(argv[0])
    env = {
        **os.environ,
        "DRIFTLINE_HOME": str(home),
        "MLFLOW_TRACKING_URI": url,
        "MLFLOW_REGISTRY_URI": url,
        "DRIFTLINE_PREDICTION_DB": f"sqlite:///{home / 'predictions.db'}",
        **MLFLOW_ENV,  # the stack's own MLflow settings
    }
    home.mkdir(parents=True, exist_ok=True)
    with running(argv, ready_url=url + "/health", log=home / "logs" / "mlflow.log", env=env,
                 cwd=REPO_ROOT, timeout=120):  # fmt: skip
        # Created before the trainers start: two creating it at once would race.
        settings = Settings.from_env(env)
        ensure_experiment(MlflowClient(url, url), settings)
        trainers = []
        for model in models:
            argv = topology.trainer(model, models).command()
            argv[0] = _entry_point(argv[0])
            trainers.append(spawn(f"trainer-{model}", argv, cwd=REPO_ROOT,
                                  env={**env, "DRIFTLINE_MODEL_NAME": model},
                                  log=home / "logs" / f"trainer-{model}.log"))  # fmt: skip
        try:
            for trainer in trainers:
                code = trainer.proc.wait(timeout=TRAINER_TIMEOUT_SECONDS)
                assert code == 0, f"{trainer.name} failed:\n{trainer.log_tail()}"
        finally:
            stop_all(trainers)  # only those still running: after a failure, the others
    return home


def copy_home(template: Path, home: Path) -> Path:
    """``home`` with the template's MLflow store (database and artifacts); return ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    for part in STORE_PARTS:
        source = template / part
        if source.is_dir():
            shutil.copytree(source, home / part)
        else:
            shutil.copy2(source, home / part)
    return home
