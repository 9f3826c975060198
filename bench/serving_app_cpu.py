"""CPU per request of the apps bench/serving_limit.py compares, without gunicorn or HTTP.

Run from the repository root:

    .venv/bin/python bench/serving_app_cpu.py [--rounds 40]

serving_limit.py measures the servers' CPU per request over HTTP: gunicorn's
share (parsing, the thread pool hand-off, writing the answer) plus the app's.
This takes gunicorn away: one process holds the bare endpoint
(bench/bare_endpoint.py), driftline as shipped and driftline with validation,
metrics and logging switched off (create_app's arguments), and sends the same
200 single-record bodies through each WSGI callable (request_path_cost.py's
``send_bodies``), in turn and in alternating order, reading the thread's CPU clock.
The difference between a server's CPU per request over HTTP and its app's here
is what gunicorn and the HTTP exchange cost it. Figures only; no pass/fail.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import serving_workload
from request_path_cost import OFF, in_process_environment, send_bodies
from serving_wrk import body_text


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="rounds of 200 requests per app")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="driftline-bench-app-cpu-"))
    try:
        return measure(work, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(work: Path, rounds: int) -> int:
    in_process_environment(work)
    import bare_endpoint

    from predictionlog.ingest_service import ServiceLock
    from serving.app import create_app, runtime_of
    from tests.support.log_rows import log_settings

    serving_workload.train_churn(os.environ)
    bodies = [body_text({"record": r}).encode() for r in serving_workload.request_records()]
    apps: dict[str, Any] = {"bare": bare_endpoint.app}
    locks = []
    for name, switches in (("driftline", {}), ("driftline-off", OFF)):
        (work / name).mkdir()
        log = log_settings(f"sqlite:///{work / name / 'predictions.db'}", work)
        app = create_app({"log": log, "run_dir": work / name}, **switches)
        # This process stands in for the ingestion service: the apps only append.
        lock = ServiceLock(log.journal_dir)
        if not lock.acquire():
            raise RuntimeError("could not take the ingestion-service lock")
        locks.append(lock)
        apps[name] = app
        if runtime_of(app).model is None:
            raise RuntimeError(f"{name}: no model loaded")
    cpu: dict[str, list[float]] = {name: [] for name in apps}
    for index in range(rounds):
        for name, app in apps.items() if index % 2 == 0 else reversed(apps.items()):
            started = time.thread_time()
            send_bodies(app, bodies)
            cpu[name].append((time.thread_time() - started) / len(bodies))
    med = statistics.median
    bare = med(cpu["bare"])
    print(f"\nCPU of the request thread per single-record POST /predict, in process, "
          f"median of {rounds} rounds of {len(bodies)}")  # fmt: skip
    for name, values in cpu.items():
        print(f"{name:14s} {med(values) * 1e6:7.1f} us   {med(values) / bare:5.2f}x bare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
