"""Moving journal lines (journal.py) into the prediction log's database.

Each round reads every journal file in the folder from where the last round
stopped, inserts its complete lines in transactions of at most ``chunk_bytes``
of journal, and records in the same transaction how far the file is done
(table ``journal_progress``), so a line is never inserted twice and never
skipped. A file whose owner has closed it or died (its ``flock`` is free) is
deleted once everything in it is in the database.

One ingestion runs at a time per folder: an ``flock`` on ``.ingest.lock``
(between processes) and a threading lock (within one) keep them apart. Under
gunicorn an ingestion service process runs the rounds (ingest_service.py);
every serving worker also runs a background loop that takes the rounds over
whenever no service is running, and skips a round when another is busy. A
label whose prediction is not in the database yet asks for a round at once
(``ingest``) and waits for it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final, Protocol

from sqlalchemy.exc import DBAPIError

from predictionlog.journal import SUFFIX
from predictionlog.journal_format import (
    HEADER,
    MALFORMED_JSON,
    JournalFormatError,
    decode_entry,
    lines_as_json,
)
from predictionlog.row_codec import EncodedPrediction
from predictionlog.store import PredictionStore

log = logging.getLogger(__name__)

# Journal bytes per transaction (about 1,500 predictions of 20 features).
DEFAULT_CHUNK_BYTES: Final = 2**20
DEFAULT_INTERVAL_SECONDS: Final = 0.2
LOCK_FILE: Final = ".ingest.lock"

BatchListener = Callable[[int, float], None]
BacklogListener = Callable[[int], None]


class ServiceProbe(Protocol):
    """Tells a worker's background loop that an ingestion service runs the rounds."""

    def held_elsewhere(self) -> bool: ...


def used_length(fd: int) -> int:
    """How much of a journal file holds lines: its size, or where its NUL tail starts.

    A live file is made at full size and filled from the front (journal.py), so
    the unused tail reads as NUL bytes, which no line contains. A binary search
    finds where the tail starts in ~24 reads. A line being copied in that moment
    may show NULs of its own; readers therefore also stop at the first NUL they
    meet (``_ingest_lines``), so this is only where to stop reading.
    """
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) != b"\0":
        return size
    low, high = 0, size - 1  # the first NUL of the tail lies in [low, high]
    while low < high:
        middle = (low + high) // 2
        if os.pread(fd, 1, middle) == b"\0":
            high = middle
        else:
            low = middle + 1
    return low


class JournalIngester:
    """Ingests the journals in ``directory`` into ``store``. Thread-safe."""

    def __init__(
        self,
        store: PredictionStore,
        directory: Path,
        *,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        on_batch: BatchListener | None = None,
        on_backlog: BacklogListener | None = None,
        parse_in_database: bool = True,
    ) -> None:
        """``on_batch(rows, seconds)`` is called after every committed transaction
        (the serving metrics' batch size and commit duration), ``on_backlog(bytes)``
        after every round with what it left in the journals (a line still being
        written, or all of it when the database failed); their errors are logged.

        ``parse_in_database``: on SQLite, insert a block of lines with one statement
        that parses them in SQLite, releasing the GIL once per block; right inside
        a serving worker. Off, lines are parsed here and inserted row by row, which
        costs about half the CPU but releases the GIL once per row; right in a
        process of its own (the ingestion service)."""
        self._store = store
        self.directory = directory
        self._chunk_bytes = chunk_bytes
        self._on_batch = on_batch
        self._on_backlog = on_backlog
        self._parse_in_database = parse_in_database
        directory.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        self._lock_pid = os.getpid()
        self._thread_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._foreign: set[str] = set()

    # --- one round ---------------------------------------------------------------------

    def ingest(self) -> int:
        """Ingest everything journaled so far, waiting for a round in progress; rows inserted."""
        with self._thread_lock:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                return self._round()
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def try_ingest(self) -> int | None:
        """Like ``ingest``, but None at once if another round is in progress."""
        if not self._thread_lock.acquire(blocking=False):
            return None
        try:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            try:
                return self._round()
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def _round(self) -> int:
        paths = sorted(self.directory.glob("*" + SUFFIX))
        inserted = waiting = 0
        try:
            progress = self._store.journal_progress() if paths else {}
            for path in paths:
                rows, left = self._ingest_file(path, progress.get(path.name, 0))
                inserted += rows
                waiting += left
        except BaseException:
            # The database (or a file) failed mid-round: measure what waits afresh.
            self._report_backlog(lambda: self._backlog(paths))
            raise
        self._report_backlog(lambda: waiting)
        return inserted

    def _report_backlog(self, measure: Callable[[], int]) -> None:
        if self._on_backlog is None:
            return
        try:
            self._on_backlog(measure())
        except Exception:
            log.exception("reporting the journal backlog failed")

    def _backlog(self, paths: list[Path]) -> int:
        """Bytes the journals hold beyond what the database recorded as ingested."""
        try:
            progress = self._store.journal_progress() if paths else {}
        except Exception:  # the database is away: every journaled byte is waiting
            progress = {}
        backlog = 0
        for path in paths:
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # ingested and deleted in this round
            try:
                used = used_length(fd)
            finally:
                os.close(fd)
            backlog += max(0, used - max(progress.get(path.name, 0), len(HEADER)))
        return backlog

    def _ingest_file(self, path: Path, done: int) -> tuple[int, int]:
        """Rows inserted from ``path``, and the bytes it still holds beyond them."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return 0, 0
        try:
            # Lock first, read after: once we hold it nobody can append any more.
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                closed = True
            except BlockingIOError:
                closed = False
            if done == 0:
                head = os.pread(fd, len(HEADER), 0)
                if head != HEADER:
                    if not HEADER.startswith(head):
                        self._report_foreign(path)
                    elif closed:  # its owner died while creating it
                        self._delete(path, fd, 0)
                        return 0, 0
                    return 0, max(0, used_length(fd) - len(HEADER))  # else still being created
                done = len(HEADER)
            inserted, done = self._ingest_lines(fd, path.name, done)
            if closed:
                self._delete(path, fd, done)
                return inserted, 0
            return inserted, max(0, used_length(fd) - done)
        finally:
            os.close(fd)

    def _report_foreign(self, path: Path) -> None:
        if path.name not in self._foreign:  # once, not every round
            self._foreign.add(path.name)
            log.error("%s is not a prediction journal of this version; left alone", path)

    def _ingest_lines(self, fd: int, name: str, done: int) -> tuple[int, int]:
        inserted = 0
        # Up to what is written now: a busy writer cannot keep one round going forever.
        used = used_length(fd)
        while used > done:
            chunk = os.pread(fd, min(self._chunk_bytes, used - done), done)
            # A NUL is where the written part ends, or a line still being copied.
            nul = chunk.find(b"\0")
            if nul >= 0:
                chunk = chunk[:nul]
            end = chunk.rfind(b"\n") + 1
            if end == 0:
                if nul >= 0 or len(chunk) < self._chunk_bytes:
                    break  # a line still being written
                # One line over the chunk size: read up to its end.
                whole = self._read_line(fd, done, used)
                if whole is None:
                    break
                chunk, end = whole, len(whole)
            started = time.perf_counter()
            rows = self._insert(chunk[:end], name, done)
            self._observe(rows, time.perf_counter() - started)
            inserted += rows
            done += end
            if nul >= 0:
                break
        return inserted, done

    @staticmethod
    def _read_line(fd: int, offset: int, used: int) -> bytes | None:
        data = os.pread(fd, used - offset, offset).split(b"\0", 1)[0]
        end = data.find(b"\n") + 1
        return data[:end] if end else None

    def _insert(self, block: bytes, name: str, offset: int) -> int:
        """Insert the complete lines ``block`` read at ``offset``; rows inserted or skipped."""
        end = offset + len(block)
        if self._parse_in_database and self._store.ingests_json:
            # The fast way: SQLite parses the block itself, in one statement.
            try:
                self._store.ingest_journal_json(lines_as_json(block), name, end)
                return block.count(b"\n")
            except UnicodeDecodeError:
                pass
            except DBAPIError as exc:
                if MALFORMED_JSON not in str(exc):
                    raise
            # A damaged line: check them one by one, skipping what cannot be read.
        rows = self._decode(block, name, offset)
        self._store.ingest_journal(rows, name, end)
        return len(rows)

    @staticmethod
    def _decode(block: bytes, name: str, offset: int) -> list[EncodedPrediction]:
        rows: list[EncodedPrediction] = []
        # block ends with a newline; split on it alone (JSON escapes every other line break).
        for line in block[:-1].decode("utf-8", errors="replace").split("\n"):
            try:
                rows.append(decode_entry(line))
            except JournalFormatError as exc:
                # Skipped, not retried: the same bytes would fail again.
                log.error("journal %s near byte %d: unreadable line skipped: %s", name, offset, exc)
        return rows

    def _delete(self, path: Path, fd: int, done: int) -> None:
        left = used_length(fd) - done
        if left and done:
            # Only a power loss leaves a line without its newline; it was never acknowledged.
            log.warning("journal %s ends in %d bytes of an incomplete line; dropped", path, left)
        # Progress first: if we stop between the two, the file is read again from the
        # start and its ids, already stored, are skipped.
        self._store.forget_journal(path.name)
        path.unlink(missing_ok=True)

    def _observe(self, rows: int, seconds: float) -> None:
        if self._on_batch is None or not rows:
            return
        try:
            self._on_batch(rows, seconds)
        except Exception:
            log.exception("on_batch callback failed")

    # --- in the background ----------------------------------------------------------------

    def start(
        self, interval: float = DEFAULT_INTERVAL_SECONDS, *, service: ServiceProbe | None = None
    ) -> None:
        """Run a round every ``interval`` seconds on a daemon thread until ``stop``;
        skip it while ``service`` says an ingestion service runs the rounds."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run,
            args=(interval, service),
            name="prediction-journal-ingest",
            daemon=True,
        )
        self._thread.start()

    def _run(self, interval: float, service: ServiceProbe | None) -> None:
        deferring = False
        while not self._stop.wait(interval):
            try:
                if service is not None and service.held_elsewhere():
                    if not deferring:
                        log.info("an ingestion service runs the rounds of %s", self.directory)
                    deferring = True
                    continue
                if deferring:
                    log.warning("no ingestion service runs; ingesting %s here", self.directory)
                    deferring = False
                self.try_ingest()
            except Exception as exc:  # the lines stay in the journal; the next round retries
                log.warning("ingesting the prediction journal failed: %s", exc)

    def stop(self) -> None:
        """Stop the background thread (a round in progress finishes first)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(30)

    def close(self) -> None:
        self.stop()
        if self._lock_fd >= 0 and self._lock_pid == os.getpid():
            os.close(self._lock_fd)
        self._lock_fd = -1
