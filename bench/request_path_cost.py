"""What validation, metrics and the prediction log cost the request thread, inside one process.

Run from the repository root:

    .venv/bin/python bench/request_path_cost.py [--rounds 40]

bench/serving_throughput.py measures the whole server over HTTP, where the
shared machine's drift moves single rounds by tens of percent: it cannot
resolve a change of a few microseconds per request. This benchmark takes
HTTP, gunicorn and the load generator away. One process holds five apps on
the trained churn classifier, each with its own prediction log, in
prometheus_client's multiprocess mode as under gunicorn:

- ``on``: as shipped (validation, metrics, prediction log);
- ``off``: validation, metrics and logging switched off through create_app's
  arguments (the baseline);
- ``no-validation``, ``no-metrics``, ``no-logging``: one of them off each;

and beside them two on a regression model of the same features (a Ridge;
bench/serving_workload.py), ``regression-on`` and ``regression-off``, so the
request path of both tasks is measured in the same rounds on the same bodies.

Each round sends the same 200 single-record bodies through every app's WSGI
callable, in turn and in alternating order, and reads the thread's own CPU
clock around them. It prints each app's median CPU per request and its cost
against the ``off`` app of its task as the median of per-round pairs. The apps' ingestion loops
stand back (this process holds each journal's ingestion-service lock, as the
service does under gunicorn); afterwards the ``on`` app's journal is ingested
once, and the CPU that takes per prediction is what the ingestion service
spends beside the workers. Figures only; no pass/fail.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import serving_workload
from serving_workload import STATE_PREFIXES
from serving_wrk import body_text

REPO = Path(__file__).resolve().parent.parent
OFF: Final = {"validate": False, "instrument": False, "log_predictions": False}
# Each app: the task of the model it serves, and create_app's switches.
VARIANTS: dict[str, tuple[str, dict[str, bool]]] = {
    "on": ("classification", {}),
    "off": ("classification", OFF),
    "no-validation": ("classification", {"validate": False}),
    "no-metrics": ("classification", {"instrument": False}),
    "no-logging": ("classification", {"log_predictions": False}),
    "regression-on": ("regression", {}),
    "regression-off": ("regression", OFF),
}
# The baseline each app's cost is measured against: the switched-off app of its task.
BASELINE: Final = {"classification": "off", "regression": "regression-off"}


def _environ(body: bytes) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/predict",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
    }


def send_bodies(app: Any, bodies: Iterable[bytes]) -> None:
    status: list[str] = []

    def start_response(line: str, headers: Any, exc_info: Any = None) -> None:
        status.append(line)

    for body in bodies:
        b"".join(app.wsgi_app(_environ(body), start_response))
        if not status[-1].startswith("200"):
            raise RuntimeError(f"/predict answered {status[-1]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="rounds of 200 requests per app")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="driftline-bench-request-path-"))
    try:
        return measure(work, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def in_process_environment(work: Path) -> None:
    """This process as a gunicorn worker would see it: a fresh store under ``work``,
    Prometheus in multiprocess mode, the repository importable."""
    for name in list(os.environ):
        if name.startswith(STATE_PREFIXES):
            del os.environ[name]
    os.environ.update(serving_workload.store_env(work / "home"))
    # Set before prometheus_client is imported: it picks the mode then.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(work / "prometheus")
    (work / "prometheus").mkdir()
    sys.path.insert(0, str(REPO))


def measure(work: Path, rounds: int) -> int:
    in_process_environment(work)
    from predictionlog.ingest_service import ServiceLock
    from predictionlog.journal_ingest import JournalIngester
    from predictionlog.store import PredictionStore
    from serving.app import create_app, runtime_of
    from tests.support.log_rows import log_settings

    serving_workload.train_churn(os.environ)
    # The regression model goes into the same store, under its own name.
    serving_workload.train_regression(os.environ)
    # The bodies wrk sends in serving_throughput.py.
    bodies = [body_text({"record": r}).encode() for r in serving_workload.request_records()]
    apps = {}
    locks = []
    for name, (task, switches) in VARIANTS.items():
        (work / name).mkdir()
        log = log_settings(f"sqlite:///{work / name / 'predictions.db'}", work)
        config = {"log": log, "run_dir": work / name,
                  "model_name": serving_workload.MODEL_NAMES[task]}  # fmt: skip
        app = create_app(config, **switches)
        served = runtime_of(app).model
        if served is None or served.task != task:
            raise RuntimeError(f"{name}: the {task} model is not served")
        lock = ServiceLock(log.journal_dir)
        if not lock.acquire():
            raise RuntimeError("could not take the ingestion-service lock")
        locks.append(lock)
        apps[name] = app
        send_bodies(app, bodies)  # warm-up: caches, first metric series, first journal file

    cpu: dict[str, list[float]] = {name: [] for name in apps}
    for round_ in range(rounds):
        order = list(apps.items())
        for name, app in order if round_ % 2 else reversed(order):
            started = time.thread_time_ns()
            send_bodies(app, bodies)
            cpu[name].append((time.thread_time_ns() - started) / len(bodies) / 1e3)

    # What the ingestion service spends on the predictions the "on" app journaled,
    # parsing as it does (predictionlog/ingest_process.py).
    log = runtime_of(apps["on"]).config.log
    store = PredictionStore.open(log.db_url)
    service = JournalIngester(store, log.journal_dir, parse_in_database=False)
    started = time.thread_time_ns()
    rows = service.ingest()
    ingest_us = (time.thread_time_ns() - started) / max(rows, 1) / 1e3
    service.close()
    store.close()

    med = statistics.median
    print()
    print(
        f"POST /predict through each app's WSGI callable, one record per request, {rounds} "
        f"rounds of {len(bodies)} requests, CPU of the request thread (us per request)"
    )
    print(f"{'app':14s} {'CPU/request':>11s} {'vs off':>8s} {'paired':>7s}   (against the "
          "off app of the same task)")  # fmt: skip
    for name in apps:
        off = BASELINE[VARIANTS[name][0]]
        paired = [a / b - 1 for a, b in zip(cpu[name], cpu[off], strict=True)]
        print(f"{name:14s} {med(cpu[name]):9.1f} us {med(cpu[name]) - med(cpu[off]):+6.1f} us "
              f"{med(paired) * 100:6.1f}%")  # fmt: skip
    print(
        f"ingesting the 'on' app's journal afterwards: {rows} predictions, "
        f"{ingest_us:.1f} us of CPU each (the ingestion service's share, beside the workers)"
    )
    for app in apps.values():
        runtime_of(app).shutdown()
    for lock in locks:
        lock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
