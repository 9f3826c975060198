"""A process that logs predictions and writes each acknowledged id to a file.

Run by the multi-process and SIGKILL tests: an id is appended to the ack file
only after its future resolved, so every id in the file must be in the database.

    python -m tests.predictionlog.ack_writer DB_URL ACK_FILE THREADS ROWS_PER_THREAD SYNCHRONOUS

ROWS_PER_THREAD 0 means "until killed".
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
from pathlib import Path

from predictionlog.group_commit import GroupCommitWriter
from predictionlog.store import PredictionStore
from tests.predictionlog.sample_records import make_record


def write_rows(
    db_url: str, ack_file: Path, threads: int, rows_per_thread: int, synchronous: str
) -> None:
    store = PredictionStore.open(db_url, synchronous=synchronous)  # type: ignore[arg-type]
    writer = GroupCommitWriter(store)
    fd = os.open(ack_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    failures: list[BaseException] = []

    def submit_and_ack() -> None:
        try:
            counter = itertools.count() if rows_per_thread == 0 else range(rows_per_thread)
            for _ in counter:
                record = make_record()
                writer.submit([record]).result(timeout=60)
                # One small O_APPEND write per id: whole lines even when killed mid-way.
                os.write(fd, f"{record.prediction_id}\n".encode())
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=submit_and_ack) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    writer.close()
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
