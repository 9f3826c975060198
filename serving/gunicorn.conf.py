"""gunicorn settings of the driftline inference server (``gunicorn -c serving/gunicorn.conf.py``).

Environment: DRIFTLINE_SERVE_BIND (127.0.0.1:8000), DRIFTLINE_SERVE_WORKERS (2),
DRIFTLINE_SERVE_THREADS (4), DRIFTLINE_RUN_DIR (default <DRIFTLINE_HOME>/run/serve-<port>),
DRIFTLINE_NO_INGEST_SERVICE (set: the workers ingest their journals themselves).

The run directory belongs to this one server: it holds the Prometheus
multiprocess files (``prometheus/``, always set here, never inherited, because
it is wiped at start-up), the reload signal and the retention lock. Two servers
side by side (A/B) must use two ports and so get two run directories.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from driftline.config import Settings, env_flag

bind = os.environ.get("DRIFTLINE_SERVE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("DRIFTLINE_SERVE_WORKERS", "2"))
# gthread: a few request threads per worker (so a prediction waiting for the journal's
# fdatasync in FULL mode does not hold the worker), in the form that spreads a keep-alive
# client's connections over the workers instead of piling them in one (balanced_worker.py).
worker_class = "serving.balanced_worker.BalancedThreadWorker"
threads = int(os.environ.get("DRIFTLINE_SERVE_THREADS", "4"))
wsgi_app = "serving.wsgi:app"
# Enough for a request waiting on a commit; in-flight requests finish on SIGTERM/SIGHUP.
timeout = 60
graceful_timeout = 30
keepalive = 5
loglevel = os.environ.get("DRIFTLINE_SERVE_LOGLEVEL", "info")
# gunicorn >= 25 opens a control socket at one per-user path by default; two
# servers side by side (A/B) would fight over it. (Older gunicorn ignores this.)
control_socket_disable = True

# One request is one row, and a tree ensemble (the challenger is a
# HistGradientBoostingClassifier) otherwise predicts it with an OpenMP thread per
# core: ~7 ms of CPU per answer instead of ~1.4, starving the other workers.
# Set here, in the arbiter, before any worker imports numpy or scikit-learn.
os.environ.setdefault("OMP_NUM_THREADS", "1")

_port = bind.rsplit(":", 1)[-1] if ":" in bind else "unix"
run_dir = Path(
    os.environ.get("DRIFTLINE_RUN_DIR") or Settings.from_env().home / "run" / f"serve-{_port}"
)
metrics_dir = run_dir / "prometheus"
# Workers inherit these: prometheus_client reads the variable when it is imported.
os.environ["DRIFTLINE_RUN_DIR"] = str(run_dir)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
# Exists even when on_starting does not run (gunicorn --check-config imports the app).
metrics_dir.mkdir(parents=True, exist_ok=True)


# The arbiter attribute holding the ingestion service (predictionlog/ingest_process.py): a
# reload (SIGHUP) runs this file again, so a module global would forget it.
_SERVICE_ATTRIBUTE = "driftline_ingest_service"


def on_starting(server: Any) -> None:
    """In the arbiter, before any worker forks: start with empty multiprocess files."""
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True, exist_ok=True)


def when_ready(server: Any) -> None:
    """In the arbiter, listening and about to fork workers: start the ingestion service."""
    if env_flag(os.environ, "DRIFTLINE_NO_INGEST_SERVICE"):
        return
    service = subprocess.Popen([sys.executable, "-m", "predictionlog.ingest_process"])
    setattr(server, _SERVICE_ATTRIBUTE, service)
    server.log.info("ingestion service started (pid %d)", service.pid)


def on_exit(server: Any) -> None:
    """In the arbiter, after the workers have stopped: stop the service after a last round."""
    service: subprocess.Popen[bytes] | None = getattr(server, _SERVICE_ATTRIBUTE, None)
    if service is None:
        return
    service.terminate()
    try:
        service.wait(graceful_timeout)
    except subprocess.TimeoutExpired:
        server.log.warning("ingestion service (pid %d) did not stop; killed", service.pid)
        service.kill()
        service.wait()


def post_worker_init(worker: Any) -> None:
    """In each worker after fork: load the model, open the log, start the threads."""
    from serving.app import runtime_of

    runtime_of(worker.wsgi).start()
    # mlflow, pandas and sklearn leave hundreds of thousands of long-lived objects;
    # a full collection walking them stalls every request thread for tens of ms.
    # Freezing moves them out of the collector's sight (requests' garbage still goes).
    gc.collect()
    gc.freeze()


def worker_exit(server: Any, worker: Any) -> None:
    """In the worker after its last request: close its journal and ingest what is left."""
    from serving.app import runtime_of

    wsgi = getattr(worker, "wsgi", None)
    if wsgi is not None:
        runtime_of(wsgi).shutdown()


def child_exit(server: Any, worker: Any) -> None:
    """In the arbiter: drop the dead worker's live-mode gauge files."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
