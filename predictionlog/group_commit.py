"""Group commit: many request threads' predictions made durable by one transaction.

A request thread calls ``submit`` and waits on the returned future. One
background thread per process takes everything submitted so far (up to
``max_batch`` rows, waiting at most ``max_delay_seconds`` for more once the
first submission is in) and inserts it in one transaction. Every future of the
batch completes after that commit, so an acknowledgement always means "on
disk". One fsync then covers many requests, and threads do not queue for the
SQLite write lock one by one.

If a batch fails for a reason other than lock contention (which the store
retries), each submission is committed on its own, so one bad submission (a
duplicate id, say) fails only its own future.

Create the writer in each worker process after it is forked: a thread does not
survive ``fork``.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from predictionlog.records import PredictionRecord
from predictionlog.store import EncodedPrediction, PredictionStore, encode_prediction

log = logging.getLogger(__name__)

CommitListener = Callable[[int, float], None]


class WriterClosedError(RuntimeError):
    """The writer stopped before these predictions could be written."""


@dataclass
class _Submission:
    rows: list[EncodedPrediction]
    future: Future[None]


class GroupCommitWriter:
    """One background thread per process; batches concurrent submissions into one transaction."""

    def __init__(
        self,
        store: PredictionStore,
        max_batch: int = 256,
        max_delay_seconds: float = 0.002,
        *,
        on_commit: CommitListener | None = None,
    ) -> None:
        """``on_commit(batch_size, seconds)`` is called after every successful commit
        (for the histograms ``driftline_prediction_log_batch_size`` and
        ``driftline_prediction_log_commit_duration_seconds``); its errors are logged.
        """
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        if max_delay_seconds < 0:
            raise ValueError(f"max_delay_seconds must not be negative, got {max_delay_seconds}")
        self._store = store
        self._max_batch = max_batch
        self._max_delay = max_delay_seconds
        # Smoothed duration of recent commits; see _gathering_delay.
        self._commit_seconds = max_delay_seconds
        self._on_commit = on_commit
        self._cond = threading.Condition()
        self._pending: deque[_Submission] = deque()
        self._pending_rows = 0
        self._closing = False
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="prediction-log-writer", daemon=True)
        self._thread.start()
        # A process that exits without calling close() still drains (atexit
        # runs before daemon threads are stopped).
        atexit.register(self.close)

    def submit(self, rows: Sequence[PredictionRecord]) -> Future[None]:
        """Queue ``rows``; the future completes once the transaction holding them committed.

        Raises ValueError at once for a row that cannot be stored, and
        WriterClosedError after ``close``. The future fails with the database
        error if the rows could not be committed.
        """
        if os.getpid() != self._pid:
            # The writer thread stayed in the parent: the future would never complete.
            raise WriterClosedError(
                f"this GroupCommitWriter was created in process {self._pid} before a fork; "
                "create one in each worker process"
            )
        encoded = [encode_prediction(r) for r in rows]
        future: Future[None] = Future()
        if not encoded:
            future.set_result(None)
            return future
        with self._cond:
            if self._closing:
                raise WriterClosedError("the prediction log writer is closed")
            was_empty = not self._pending
            self._pending.append(_Submission(encoded, future))
            self._pending_rows += len(encoded)
            # Wake the writer only when it has something new to decide.
            if was_empty or self._pending_rows >= self._max_batch:
                self._cond.notify()
        return future

    def close(self, timeout: float = 10.0) -> None:
        """Stop taking submissions, commit everything already queued, stop the thread.

        Submissions still queued when ``timeout`` runs out fail with WriterClosedError.
        """
        atexit.unregister(self.close)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)
        if self._thread.is_alive():
            with self._cond:
                abandoned = list(self._pending)
                self._pending.clear()
                self._pending_rows = 0
            for submission in abandoned:
                if submission.future.set_running_or_notify_cancel():
                    submission.future.set_exception(
                        WriterClosedError(f"prediction log writer did not drain in {timeout}s")
                    )
            log.error(
                "prediction log writer still busy after %.1fs; %d submissions failed",
                timeout,
                len(abandoned),
            )

    # --- the writer thread ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._commit(batch)

    def _next_batch(self) -> list[_Submission] | None:
        with self._cond:
            while not self._pending and not self._closing:
                self._cond.wait()
            if not self._pending:
                return None  # closing and drained
            deadline = time.monotonic() + self._gathering_delay()
            while self._pending_rows < self._max_batch and not self._closing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            batch: list[_Submission] = []
            rows = 0
            # Whole submissions only; one larger than max_batch goes alone.
            while self._pending and (
                not batch or rows + len(self._pending[0].rows) <= self._max_batch
            ):
                submission = self._pending.popleft()
                self._pending_rows -= len(submission.rows)
                # A future cancelled while queued was never acknowledged: skip it.
                if submission.future.set_running_or_notify_cancel():
                    batch.append(submission)
                    rows += len(submission.rows)
            return batch

    def _gathering_delay(self) -> float:
        """How long to wait for more submissions once the first one is in.

        At most ``max_delay_seconds``, and no longer than a commit has lately
        taken: waiting longer than a commit costs every submitter more latency
        than sharing the commit saves (with synchronous=NORMAL a commit takes a
        fraction of a millisecond, with FULL an fsync of several).
        """
        return min(self._max_delay, self._commit_seconds)

    def _commit(self, batch: list[_Submission]) -> None:
        if not batch:
            return
        try:
            self._insert(batch)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
                return
            log.warning(
                "group commit of %d submissions failed (%s); committing them one by one",
                len(batch),
                exc,
            )
            for submission in batch:
                try:
                    self._insert([submission])
                except Exception as single_exc:
                    submission.future.set_exception(single_exc)
                else:
                    submission.future.set_result(None)
            return
        for submission in batch:
            submission.future.set_result(None)

    def _insert(self, batch: list[_Submission]) -> None:
        rows = [row for submission in batch for row in submission.rows]
        started = time.perf_counter()
        self._store.insert_encoded(rows)
        seconds = time.perf_counter() - started
        self._commit_seconds = 0.8 * self._commit_seconds + 0.2 * seconds
        if self._on_commit is not None:
            try:
                self._on_commit(len(rows), seconds)
            except Exception:
                log.exception("on_commit callback failed")
