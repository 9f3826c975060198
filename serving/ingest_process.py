"""The ingestion service process of one gunicorn server: ``python -m serving.ingest_process``.

serving/gunicorn.conf.py starts it beside the workers (unless
DRIFTLINE_NO_INGEST_SERVICE is set) and stops it after them; it reads the same
environment as the workers. It moves the workers' journals into the prediction
log (predictionlog/ingest_service.py) and reports the commit and backlog
metrics in the server's multiprocess metrics folder, so /metrics shows them.

It stops on SIGTERM or SIGINT, and by itself if the arbiter that started it is
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
from serving.config import ConfigError, ServingConfig
from serving.metrics import ServingMetrics
from serving.write_turns import TurnTakingStore

log = logging.getLogger("serving.ingest_process")

# Weight 335 against a worker's 1024: under full load about a tenth of the CPU
# of two workers, several times what ingesting 3,000 predictions/s needs.
NICENESS = 5


def main() -> int:
    logging.basicConfig(
        level=os.environ.get("DRIFTLINE_SERVE_LOGLEVEL", "info").upper(),
        format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
    )
    try:
        config = ServingConfig.from_env()
    except ConfigError as exc:
        print(f"driftline ingestion service: {exc}", file=sys.stderr)
        return 2
    os.nice(NICENESS)
    parent = os.getppid()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    metrics = ServingMetrics()
    store = TurnTakingStore.open_for(config.prediction_db_url)
    journal_dir = config.journal_dir
    ingester = JournalIngester(
        store,
        journal_dir,
        **metrics.ingestion_listeners(config.instrument),
        parse_in_database=False,  # alone in its process: half the CPU, no GIL to share
    )
    lock = ServiceLock(journal_dir)
    try:
        IngestService(ingester, lock, config.ingest_interval_seconds).run(
            stop, orphaned=lambda: os.getppid() != parent
        )
    finally:
        lock.close()
        ingester.close()
        store.close()
        if metrics.multiprocess:
            from prometheus_client import multiprocess

            # Its backlog gauge is a live-mode one: gone with the process.
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
    return 0


if __name__ == "__main__":
    sys.exit(main())
