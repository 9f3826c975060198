"""The services of a driftline stack and the command each one runs.

One list for both ways of running the stack: the native runner (stack/native.py)
starts these commands as local processes, and docker-compose.yml runs the same
commands in containers; tests/stack/test_compose.py checks that the compose file
says what this module says.

A stack runs one or several models (``services(models)``). Each model has its own
trainer and its champion and challenger servers; the first model's keep the plain
names (``serving-champion``) and ports, every further model's are suffixed with its
name (``serving-champion-houses``) and listen ``MODEL_PORT_STEP`` ports higher per
model. Everything else (exporter, Prometheus, Alertmanager, receiver, router,
worker, traffic) is one service for all models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Service:
    name: str
    port: int | None  # default listening port; None for services without one
    argv: tuple[str, ...]  # with {host}, {port}, {...} placeholders filled by the runner
    purpose: str

    def command(self, **values: object) -> list[str]:
        return [part.format(**values) for part in self.argv]


MLFLOW: Final = Service(
    "mlflow",
    5000,
    (
        "mlflow", "server",
        "--backend-store-uri", "sqlite:///{home}/mlflow.db",
        "--artifacts-destination", "{home}/mlartifacts",
        "--serve-artifacts",
        "--host", "{host}", "--port", "{port}",
        "--workers", "1",
    ),
    "MLflow tracking server and model registry (SQLite backend, local artifact folder)",
)  # fmt: skip
# The models `docker compose up` runs, and `driftline demo --models` can: one per synthetic
# data set (traffic/plan.py MODELS), the first the default model of `POST /predict`.
DEMO_MODELS: Final = ("churn", "houses")
MODEL_PORT_STEP: Final = 10  # houses: 8010 and 8011


def for_model(name: str, model: str, models: Sequence[str]) -> str:
    """The service ``name`` (serving-champion, trainer) of ``model`` in a stack of ``models``."""
    return name if model == models[0] else f"{name}-{model}"


def trainer(model: str, models: Sequence[str] = DEMO_MODELS) -> Service:
    return Service(
        for_model("trainer", model, models),
        None,
        ("driftline", "bootstrap", "--name", model, "--synthetic", model),
        f"one-shot: trains the first {model} champion and a challenger unless the registry "
        "has them",
    )


def serving(model: str, alias: str, models: Sequence[str] = DEMO_MODELS) -> Service:
    """The inference server of ``model`` following ``alias`` (champion or challenger)."""
    base = 8000 if alias == "champion" else 8001
    return Service(
        for_model(f"serving-{alias}", model, models),
        base + MODEL_PORT_STEP * list(models).index(model),
        (
            "driftline", "serve", "--name", model, "--host", "{host}", "--port", "{port}",
            "--workers", "2", "--alias", alias,
        ),
        f"{model} inference server following the `{alias}` alias"
        + (" (scales to several replicas)" if alias == "champion" else ", the B of the A/B split"),
    )  # fmt: skip


TRAINER: Final = trainer(DEMO_MODELS[0])
SERVING_CHAMPION: Final = serving(DEMO_MODELS[0], "champion")
SERVING_CHALLENGER: Final = serving(DEMO_MODELS[0], "challenger")
EXPORTER: Final = Service(
    "exporter",
    9108,
    ("driftline", "exporter", "serve", "--host", "{host}", "--port", "{port}"),
    "drift exporter: accuracy, PSI and KS per model version for Prometheus",
)
PROMETHEUS: Final = Service(
    "prometheus",
    9090,
    (
        "prometheus",
        "--config.file={prometheus_config}",
        "--storage.tsdb.path={home}/prometheus",
        "--web.listen-address={host}:{port}",
        "--web.enable-lifecycle",
    ),
    "Prometheus: scrapes every service, evaluates recording and alert rules",
)
ALERTMANAGER: Final = Service(
    "alertmanager",
    9093,
    (
        "prometheus-alertmanager",
        "--config.file={alertmanager_config}",
        "--storage.path={home}/alertmanager",
        "--web.listen-address={host}:{port}",
        "--cluster.listen-address=",
    ),
    "Alertmanager: routes retrain-worthy alerts to the PHP receiver",
)
RECEIVER: Final = Service(
    "receiver",
    8080,
    ("php", "-S", "{host}:{port}", "-t", "php/public"),
    # docker-compose serves the same php/public with nginx + php-fpm instead of php -S.
    "PHP webhook receiver, job list and dashboard page (also answers POST /predict, per request)",
)
# The A/B router the traffic goes through: a long-running PHP process (docs/router.md) in
# front of every model's inference servers, with the receiver's routing classes. A worker
# has one request in flight: 8 keep a client's 8 connections busy (4 measured 0.56x of
# direct against 8's 0.64x in one bench/stack_load.py run).
ROUTER_WORKERS: Final = 8
ROUTER: Final = Service(
    "router",
    8090,
    (
        "php",
        "php/bin/router.php",
        "--host",
        "{host}",
        "--port",
        "{port}",
        "--workers",
        str(ROUTER_WORKERS),
    ),
    "PHP A/B router (POST /predict/{model}): pre-forked, keeps client and upstream connections",
)
WORKER: Final = Service(
    "worker",
    None,
    ("php", "php/bin/worker.php"),
    "PHP worker: runs queued retraining jobs (`driftline retrain`) one at a time",
)


def traffic(models: Sequence[str] = DEMO_MODELS) -> Service:
    """The traffic generator; ``{url[SERVICE]}`` placeholders take each service's base URL."""
    feedback = [
        part
        for model in models
        for part in ("--feedback", f"{model}={{url[{serving(model, 'champion', models).name}]}}")
    ]
    return Service(
        "traffic",
        None,
        ("driftline", "traffic", "--router", "{url[router]}",
         "--models", ",".join(models), *feedback),
        "traffic generator: requests through the PHP router, delayed labels, drift scenarios",
    )  # fmt: skip


GRAFANA_PORT: Final = 3000  # compose only: no Grafana server runs natively


def services(models: Sequence[str] = DEMO_MODELS) -> tuple[Service, ...]:
    """Every service of a stack of ``models``, in start order."""
    return (
        MLFLOW,
        *(trainer(m, models) for m in models),
        *(serving(m, alias, models) for m in models for alias in ("champion", "challenger")),
        EXPORTER,
        PROMETHEUS,
        ALERTMANAGER,
        RECEIVER,
        ROUTER,
        WORKER,
        traffic(models),
    )


# The compose stack: every demo model.
SERVICES: Final = services()
BY_NAME: Final = {s.name: s for s in SERVICES}
