"""The ingestion service process of one server: ``python -m predictionlog.ingest_process``.

serving/gunicorn.conf.py starts it beside the workers (unless
DRIFTLINE_NO_INGEST_SERVICE is set) and stops it after them; it reads the same
environment as the workers (settings.py). It moves the workers' journals into
the prediction log (ingest_service.py) and reports the commit and backlog
metrics (log_metrics.py) in the server's multiprocess metrics folder
(PROMETHEUS_MULTIPROC_DIR), so the workers' /metrics shows them.

It stops on SIGTERM or SIGINT, and by itself if the process that started it is
gone, after a last round. If it dies, the workers run the rounds again.

It runs at a lower CPU priority (``NICENESS``): on a busy host the kernel gives
the request threads the CPU first, and ingestion, which can lag by seconds
without harm, takes what is left (the backlog gauge shows it if it falls behind).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from predictionlog.ingest_service import IngestService, ServiceLock
from predictionlog.journal_ingest import JournalIngester
from predictionlog.log_metrics import LogMetrics, ingestion_listeners
from predictionlog.settings import LogSettings
from predictionlog.store import PredictionStore

log = logging.getLogger("predictionlog.ingest_process")

# Weight 335 against a worker's 1024: under full load about a tenth of the CPU
# of two workers, several times what ingesting 3,000 predictions/s needs.
NICENESS = 5


def main() -> int:
    logging.basicConfig(
        level=os.environ.get("DRIFTLINE_SERVE_LOGLEVEL", "info").upper(),
        format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
    )
    try:
        settings = LogSettings.from_env()
    except ValueError as exc:
        print(f"driftline ingestion service: {exc}", file=sys.stderr)
        return 2
    os.nice(NICENESS)
    parent = os.getppid()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    metrics = LogMetrics(None) if multiprocess else None
    store = PredictionStore.open(settings.db_url, synchronous=settings.synchronous)
    directory = settings.journal_dir
    ingester = JournalIngester(
        store,
        directory,
        **ingestion_listeners(metrics),
        parse_in_database=False,  # alone in its process: half the CPU, no GIL to share
    )
    lock = ServiceLock(directory)
    try:
        IngestService(ingester, lock, settings.ingest_interval_seconds).run(
            stop, orphaned=lambda: os.getppid() != parent
        )
    finally:
        lock.close()
        ingester.close()
        store.close()
        if multiprocess:
            from prometheus_client import multiprocess as prometheus_multiprocess

            # Its backlog gauge is a live-mode one: gone with the process.
            prometheus_multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
    return 0


if __name__ == "__main__":
    sys.exit(main())
