"""First start of a stack: make sure the registry has a champion and a challenger.

Idempotent, so the compose trainer and the native runner can run it on every
start: it trains only what is missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from driftline import registry
from driftline.config import Settings
from driftline.mlflow_setup import connect
from driftline.registry_contract import CHALLENGER_ALIAS
from driftline.tasks import Task
from training.dataset import SyntheticName, load
from training.train import TrainOptions, fit_and_log

# The figure each task's start-up line shows.
HEADLINE_METRIC: dict[Task, str] = {"classification": "accuracy", "regression": "mae"}


def wait_for_tracking(client: MlflowClient, timeout: float) -> None:
    """Block until the tracking store answers (a server may still be starting)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.search_experiments(max_results=1)
            return
        except (MlflowException, OSError) as exc:
            if time.monotonic() > deadline:
                raise TimeoutError(f"MLflow tracking store did not answer: {exc}") from exc
            time.sleep(1.0)


def bootstrap(
    settings: Settings,
    *,
    rows: int = 20_000,
    challenger_kind: str = "gbm",
    wait_seconds: float = 120.0,
    say: Callable[[str], None] = print,
    synthetic_set: SyntheticName = "churn",
) -> None:
    """Train what ``settings.model_name`` lacks on the synthetic set ``synthetic_set``.

    The champion is the task's default estimator, the challenger ``challenger_kind``
    (``gbm`` is an estimator of both tasks).
    """
    client = connect(settings)
    wait_for_tracking(client, wait_seconds)
    name = settings.model_name
    if registry.champion_version(client, name) is None:
        result, _ = fit_and_log(
            settings,
            load(None, None, rows=rows, seed=0, synthetic_set=synthetic_set),
            TrainOptions(seed=0, promote=True),
        )
        say(f"champion: trained {name} v{result.version} {_headline(result.task, result.metrics)}")
    else:
        say(f"champion: {name} v{registry.champion_version(client, name)} already registered")
    challenger = registry.alias_version(client, name, CHALLENGER_ALIAS)
    if challenger is None:
        result, _ = fit_and_log(
            settings,
            load(None, None, rows=rows, seed=1, synthetic_set=synthetic_set),
            TrainOptions(model_kind=challenger_kind, seed=1),
        )
        registry.set_challenger(client, name, result.version)
        say(
            f"challenger: trained {name} v{result.version} ({challenger_kind}) "
            f"{_headline(result.task, result.metrics)}"
        )
    else:
        say(f"challenger: {name} v{challenger} already registered")


def _headline(task: Task, metrics: dict[str, float]) -> str:
    metric = HEADLINE_METRIC[task]
    return f"{metric}={metrics[metric]:.4f}"
