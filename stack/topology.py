"""The services of a driftline stack and the command each one runs.

One list for both ways of running the stack: the native runner (stack/native.py)
starts these commands as local processes, and docker-compose.yml runs the same
commands in containers; tests/stack/test_compose.py checks that the compose file
says what this module says.
"""

from __future__ import annotations

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
TRAINER: Final = Service(
    "trainer",
    None,
    ("driftline", "bootstrap"),
    "one-shot: trains the first champion and a challenger unless the registry has them",
)
SERVING_CHAMPION: Final = Service(
    "serving-champion",
    8000,
    (
        "driftline", "serve", "--host", "{host}", "--port", "{port}",
        "--workers", "2", "--alias", "champion",
    ),
    "inference server following the `champion` alias (scales to several replicas)",
)  # fmt: skip
SERVING_CHALLENGER: Final = Service(
    "serving-challenger",
    8001,
    (
        "driftline", "serve", "--host", "{host}", "--port", "{port}",
        "--workers", "2", "--alias", "challenger",
    ),
    "inference server following the `challenger` alias, the B of the A/B split",
)  # fmt: skip
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
    "PHP webhook receiver, A/B router (POST /predict), job list and dashboard page",
)
WORKER: Final = Service(
    "worker",
    None,
    ("php", "php/bin/worker.php"),
    "PHP worker: runs queued retraining jobs (`driftline retrain`) one at a time",
)
TRAFFIC: Final = Service(
    "traffic",
    None,
    ("driftline", "traffic", "--router", "{router_url}", "--feedback", "{feedback_url}"),
    "traffic generator: requests through the PHP router, delayed labels, drift scenarios",
)
GRAFANA_PORT: Final = 3000  # compose only: no Grafana server runs natively

SERVICES: Final = (
    MLFLOW,
    TRAINER,
    SERVING_CHAMPION,
    SERVING_CHALLENGER,
    EXPORTER,
    PROMETHEUS,
    ALERTMANAGER,
    RECEIVER,
    WORKER,
    TRAFFIC,
)
BY_NAME: Final = {s.name: s for s in SERVICES}
