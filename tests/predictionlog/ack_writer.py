"""A process that journals predictions as a serving worker does and records each acknowledged id.

Run by the multi-process and SIGKILL tests: an id is appended to the ack file
only after ``JournalWriter.append`` returned, so every id in the file must reach
the database (at once, or through the next ingestion after a crash).

    python -m tests.predictionlog.ack_writer DB_URL ACK_FILE THREADS ROWS_PER_THREAD SYNCHRONOUS

ROWS_PER_THREAD 0 means "until killed". SYNCHRONOUS FULL fsyncs every append.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
from pathlib import Path

from predictionlog.journal import JournalWriter, default_journal_dir
from predictionlog.journal_ingest import JournalIngester
from predictionlog.store import PredictionStore
from tests.predictionlog.sample_records import make_record
from tests.support.log_rows import journal_lines

# Shorter than serving's default, so the database fills while the writer runs.
INGEST_INTERVAL_SECONDS = 0.05


def journal_dir(db_url: str) -> Path:
    return default_journal_dir(db_url, Path("unused-for-sqlite"))


def write_rows(
    db_url: str, ack_file: Path, threads: int, rows_per_thread: int, synchronous: str
) -> None:
    store = PredictionStore.open(db_url, synchronous=synchronous)  # type: ignore[arg-type]
    journal = JournalWriter(journal_dir(db_url), sync=synchronous == "FULL")
    ingester = JournalIngester(store, journal_dir(db_url))
    ingester.start(INGEST_INTERVAL_SECONDS)
    fd = os.open(ack_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    failures: list[BaseException] = []

    def append_and_ack() -> None:
        try:
            counter = itertools.count() if rows_per_thread == 0 else range(rows_per_thread)
            for _ in counter:
                record = make_record()
                journal.append_lines(journal_lines([record]))
                # One small O_APPEND write per id: whole lines even when killed mid-way.
                os.write(fd, f"{record.prediction_id}\n".encode())
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=append_and_ack) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    # As a serving worker exits: close the journal, then ingest what is left.
    journal.close()
    ingester.stop()
    ingester.ingest()
    ingester.close()
    store.close()
    os.close(fd)
    if failures:
        raise failures[0]


def main(argv: list[str]) -> int:
    db_url, ack_file, threads, rows, synchronous = argv
    write_rows(db_url, Path(ack_file), int(threads), int(rows), synchronous)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
