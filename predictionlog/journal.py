"""The prediction journal: each process appends its predictions to a file of its own.

Acknowledging a prediction takes one copy into this process's journal file,
mapped into memory (and, in ``sync`` mode, an ``fdatasync`` shared with every
thread that wrote meanwhile). No lock is shared with other processes, no
database transaction is on the request's path, and no system call either: a
``write`` releases the GIL, and under load getting it back cost a request
thread far more CPU than the write itself (measured in process with four
threads: ~200 us per request against ~1 us for the write). Ingestion
(journal_ingest.py) moves the lines into the database in large transactions in
the background.

A file is created at its full size (``posix_fallocate``, so a full disk fails
the creation instead of a later copy) and filled from the front; its unused
tail reads as NUL bytes, which no journal line contains. When it is full the
writer starts a new one, truncates the old one to what it holds and closes it.

What an acknowledged prediction survives is what the file survives:

- ``sync=False`` (``DRIFTLINE_SQLITE_SYNCHRONOUS=NORMAL``, the default): the
  line is in the operating system's page cache (a shared mapping) when
  ``append`` returns, so it survives a killed worker, a restart and any crash
  of the process; a power loss or kernel crash can lose the last lines.
- ``sync=True`` (``FULL``): ``append`` returns after an ``fdatasync`` of the
  file, so it survives a power loss too.

The owning process holds an exclusive ``flock`` on its open file. Ingestion
deletes a fully ingested file only once it can take that lock itself: the
owner has closed it (rotation, shutdown) or died.

Create the writer in each worker process after it is forked.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import mmap
import os
import threading
import uuid
from pathlib import Path
from typing import Final

from sqlalchemy.engine import make_url

from predictionlog.journal_format import HEADER

log = logging.getLogger(__name__)

SUFFIX: Final = ".journal"
# The size of a journal file; when full, a new one is started and the old one can be
# deleted once ingested. (A batch larger than this gets a file of its own size.)
DEFAULT_MAX_FILE_BYTES: Final = 4 * 2**20


class JournalClosedError(RuntimeError):
    """The journal was closed (or opened in another process before a fork)."""


def default_journal_dir(db_url: str, home: Path) -> Path:
    """Where the journals of the log at ``db_url`` live, unless configured.

    Beside a SQLite file (``<file>.journal``), so every server writing that file
    finds them; for a database server, under ``home``, one folder per database.
    """
    url = make_url(db_url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database not in ("", ":memory:"):
        path = Path(database.removeprefix("file:").split("?")[0]).expanduser().resolve()
        return path.with_name(path.name + SUFFIX)
    where = url.render_as_string(hide_password=True)
    return home / "prediction-journal" / hashlib.sha256(where.encode()).hexdigest()[:16]


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JournalWriter:
    """Appends predictions to this process's journal file. Thread-safe."""

    def __init__(
        self, directory: Path, *, sync: bool = False, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    ) -> None:
        if max_file_bytes <= len(HEADER):
            raise ValueError(f"max_file_bytes must be over {len(HEADER)}, got {max_file_bytes}")
        self.directory = directory
        self._sync = sync
        self._max_file_bytes = max_file_bytes
        self._pid = os.getpid()
        directory.mkdir(parents=True, exist_ok=True)
        # _lock: the open file, its map and fill level, the append count. Never held
        # across a call that releases the GIL, except to start a new file.
        # _synced: the group fdatasync.
        self._lock = threading.Lock()
        self._synced = threading.Condition()
        self._written = 0  # appends so far
        self._synced_through = 0  # appends known to be on disk (sync mode)
        self._failed_through = 0  # appends whose fdatasync failed (not acknowledged)
        self._syncing = False
        self._fd, self._map, self.path = self._open_new(max_file_bytes)
        self._used = len(HEADER)

    def _open_new(self, size: int) -> tuple[int, mmap.mmap, Path]:
        """A new file of ``size`` bytes, locked, mapped and with its header, under its final name.

        Made under a name ingestion does not look at and renamed once locked:
        ingestion never meets a journal file whose owner has not locked it yet.
        """
        name = uuid.uuid4().hex
        creating = self.directory / f"{name}.creating"
        path = self.directory / f"{name}{SUFFIX}"
        fd = os.open(creating, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        mapped: mmap.mmap | None = None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.posix_fallocate(fd, 0, size)
            mapped = mmap.mmap(fd, size)
            mapped[: len(HEADER)] = HEADER
            if self._sync:
                os.fdatasync(fd)
            os.rename(creating, path)
            if self._sync:
                _sync_dir(self.directory)  # the name, too, must survive a power loss
        except BaseException:
            if mapped is not None:
                mapped.close()
            os.close(fd)
            creating.unlink(missing_ok=True)
            raise
        return fd, mapped, path

    def append_lines(self, data: bytes) -> None:
        """Write journal lines made by journal_format (``encode_entry``, ``EntryEncoder``);
        durable (as the mode says) when this returns.

        OSError if no file can take them (a full disk); JournalClosedError after close.
        """
        if not data:
            return
        with self._lock:
            self._check_open()
            start = self._used
            if start + len(data) > len(self._map):
                self._rotate(max(self._max_file_bytes, len(HEADER) + len(data)))
                start = self._used
            # A copy under the GIL: no system call, and no other thread of this
            # process sees the line half made (ingestion's view: journal_ingest.py).
            self._map[start : start + len(data)] = data
            self._used = start + len(data)
            self._written += 1
            ticket = self._written
        if self._sync:
            self._sync_through(ticket)

    def _check_open(self) -> None:
        if self._fd < 0:
            raise JournalClosedError("the prediction journal is closed")
        if os.getpid() != self._pid:
            raise JournalClosedError(
                f"this journal was opened in process {self._pid} before a fork; "
                "open one in each worker process"
            )

    def _sync_through(self, ticket: int) -> None:
        """Return once append number ``ticket`` is on disk; one thread syncs for all waiting."""
        with self._synced:
            while self._synced_through < ticket:
                if self._syncing:
                    self._synced.wait()
                    continue
                # Lead a sync: it covers every append completed so far. _rotate and
                # close wait while _syncing, so the fd stays open and current.
                self._syncing = True
                target, fd = self._written, self._fd
                self._synced.release()
                error: OSError | None = None
                try:
                    os.fdatasync(fd)
                except OSError as exc:
                    error = exc
                finally:
                    self._synced.acquire()
                    self._syncing = False
                    self._synced.notify_all()
                if error is not None:
                    self._sync_failed(target)
                    raise error
                self._synced_through = max(self._synced_through, target)
            if ticket <= self._failed_through:
                raise OSError(errno.EIO, "an fdatasync of the prediction journal failed")

    def _sync_failed(self, target: int) -> None:
        """Fail every append up to ``target``; caller holds _synced.

        Linux reports a failed writeback once: a later fdatasync can succeed
        although these appends' pages were lost, so none of them is acknowledged.
        """
        self._failed_through = max(self._failed_through, target)
        self._synced_through = max(self._synced_through, target)

    def _finish_file(self) -> None:
        """Cut the current file to what it holds, make it durable and close it (releasing
        its lock); caller holds _lock."""
        with self._synced:
            while self._syncing:
                self._synced.wait()
            try:
                self._map.close()
                os.ftruncate(self._fd, self._used)
                if self._sync:
                    os.fdatasync(self._fd)
                    self._synced_through = self._written
            except OSError:
                self._sync_failed(self._written)
                raise
            finally:
                os.close(self._fd)
                self._fd = -1

    def _rotate(self, size: int) -> None:
        # The new file first: if it cannot be made, the old one stays in use (and the
        # append that needed room fails).
        fd, mapped, path = self._open_new(size)
        try:
            self._finish_file()
        finally:
            self._fd, self._map, self.path, self._used = fd, mapped, path, len(HEADER)

    def close(self) -> None:
        """Close the file; ingestion then moves what is left and deletes it. Safe to call twice."""
        with self._lock:
            if self._fd < 0 or os.getpid() != self._pid:
                return
            self._finish_file()
