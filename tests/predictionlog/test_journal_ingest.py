"""JournalIngester: every journaled line reaches the database exactly once, and
journal files are deleted only when their owner is gone and they are done."""

from __future__ import annotations

import errno
import fcntl
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from predictionlog.journal import SUFFIX, JournalWriter
from predictionlog.journal_format import HEADER, decode_entry, encode_entry, lines_as_json
from predictionlog.journal_ingest import LOCK_FILE, JournalIngester, used_length
from predictionlog.records import PredictionRecord
from predictionlog.store import PredictionStore
from tests.predictionlog.conftest import sqlite_url
from tests.predictionlog.sample_records import make_record
from tests.support.log_rows import count_predictions, get_predictions, journal_lines

INGEST_LOG = "predictionlog.journal_ingest"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "predictions.db")


@pytest.fixture
def store(db_url: str) -> Iterator[PredictionStore]:
    opened = PredictionStore.open(db_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(params=[True, False], ids=["parsed-by-sqlite", "parsed-here"])
def ingester(
    request: pytest.FixtureRequest, store: PredictionStore, journal_dir: Path
) -> Iterator[JournalIngester]:
    opened = JournalIngester(store, journal_dir, parse_in_database=request.param)
    try:
        yield opened
    finally:
        opened.close()


def _append(writer: JournalWriter, count: int) -> list[PredictionRecord]:
    records = [make_record() for _ in range(count)]
    writer.append_lines(journal_lines(records))
    return records


def _journals(directory: Path) -> list[Path]:
    return sorted(directory.glob("*" + SUFFIX))


def _append_raw(path: Path, data: bytes) -> None:
    """Bytes straight into a journal file where its writer would copy them next (its
    NUL tail, or the end), as a copy still in progress would leave them."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.pwrite(fd, data, used_length(fd))
    finally:
        os.close(fd)


def _written(path: Path) -> int:
    """Bytes of a journal file in use (a live file has a NUL tail)."""
    return len(path.read_bytes().rstrip(b"\0"))


def _die(writer: JournalWriter) -> None:
    """What a killed writer leaves: its file as it is (not truncated), its lock released."""
    writer._map.close()
    os.close(writer._fd)
    writer._fd = -1


def _assert_stored(store: PredictionStore, records: list[PredictionRecord]) -> None:
    stored = get_predictions(store, [r.prediction_id for r in records])
    assert stored == {r.prediction_id: r for r in records}


# --- one round ------------------------------------------------------------------------------


def test_rows_appear_after_a_round_as_they_were_journaled(
    store: PredictionStore, ingester: JournalIngester, writer: JournalWriter
) -> None:
    records = _append(writer, 5)
    assert count_predictions(store) == 0  # journaled, not yet in the database
    assert ingester.ingest() == 5
    _assert_stored(store, records)


def test_a_round_with_no_journals_does_nothing(
    store: PredictionStore, ingester: JournalIngester
) -> None:
    assert ingester.ingest() == 0
    assert ingester.try_ingest() == 0
    assert count_predictions(store) == 0


def test_repeated_rounds_insert_each_row_once(
    store: PredictionStore, ingester: JournalIngester, writer: JournalWriter
) -> None:
    first = _append(writer, 3)
    assert ingester.ingest() == 3
    assert ingester.ingest() == 0  # nothing new: nothing read again
    second = _append(writer, 2)
    assert ingester.ingest() == 2
    assert ingester.ingest() == 0
    assert count_predictions(store) == 5
    _assert_stored(store, first + second)


def test_progress_records_the_ingested_bytes_of_a_live_file(
    store: PredictionStore, ingester: JournalIngester, writer: JournalWriter
) -> None:
    _append(writer, 3)
    ingester.ingest()
    assert store.journal_progress() == {
        writer.path.name: len(writer.path.read_bytes().rstrip(b"\0"))
    }


def test_a_live_writers_file_is_kept_and_deleted_once_the_writer_closes(
    store: PredictionStore, ingester: JournalIngester, journal_dir: Path
) -> None:
    writer = JournalWriter(journal_dir)
    records = _append(writer, 3)
    ingester.ingest()
    assert writer.path.exists()
    assert writer.path.name in store.journal_progress()

    records += _append(writer, 2)  # written after that round, before close
    writer.close()
    assert ingester.ingest() == 2
    assert not writer.path.exists()
    assert store.journal_progress() == {}
    assert _journals(journal_dir) == []
    _assert_stored(store, records)


def test_a_closed_file_is_ingested_and_deleted_in_one_round(
    store: PredictionStore, ingester: JournalIngester, journal_dir: Path
) -> None:
    writer = JournalWriter(journal_dir)
    records = _append(writer, 4)
    writer.close()
    assert ingester.ingest() == 4
    assert _journals(journal_dir) == []
    assert store.journal_progress() == {}
    _assert_stored(store, records)


def test_rotated_files_are_ingested_and_deleted_while_the_current_one_is_kept(
    store: PredictionStore, ingester: JournalIngester, journal_dir: Path
) -> None:
    writer = JournalWriter(journal_dir, max_file_bytes=500)
    try:
        records = [r for _ in range(10) for r in _append(writer, 1)]
        assert len(_journals(journal_dir)) > 2
        assert ingester.ingest() == 10
        assert _journals(journal_dir) == [writer.path]
        assert set(store.journal_progress()) == {writer.path.name}
        _assert_stored(store, records)
    finally:
        writer.close()


def test_a_partial_line_waits_until_it_is_complete(
    store: PredictionStore, ingester: JournalIngester, writer: JournalWriter
) -> None:
    done = _append(writer, 1)
    ingester.ingest()
    pending = make_record()
    line = encode_entry(pending)
    _append_raw(writer.path, line[:50])
    assert ingester.ingest() == 0
    assert (
        store.journal_progress()[writer.path.name]
        == len(writer.path.read_bytes().rstrip(b"\0")) - 50
    )
    _append_raw(writer.path, line[50:-1])  # everything but the newline
    assert ingester.ingest() == 0
    _append_raw(writer.path, b"\n")
    assert ingester.ingest() == 1
    _assert_stored(store, [*done, pending])


def test_a_dead_writers_incomplete_last_line_is_dropped_with_its_file(
    store: PredictionStore,
    ingester: JournalIngester,
    journal_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Only a power loss (or a write cut short, never acknowledged) leaves one.
    writer = JournalWriter(journal_dir)
    records = _append(writer, 2)
    _append_raw(writer.path, encode_entry(make_record())[:60])
    _die(writer)
    with caplog.at_level(logging.WARNING, INGEST_LOG):
        assert ingester.ingest() == 2
    assert "incomplete line" in caplog.text
    assert _journals(journal_dir) == []
    assert count_predictions(store) == 2
    _assert_stored(store, records)


def test_a_round_again_after_progress_was_forgotten_inserts_no_duplicate(
    store: PredictionStore, ingester: JournalIngester, writer: JournalWriter
) -> None:
    # A crash between forget_journal and the unlink: the file is read from the start again.
    records = _append(writer, 4)
    ingester.ingest()
    store.forget_journal(writer.path.name)
    assert ingester.ingest() == 4  # read again ...
    assert count_predictions(store) == 4  # ... but nothing inserted twice
    _assert_stored(store, records)
    records += _append(writer, 1)
    assert ingester.ingest() == 1  # and progress is right again
    assert count_predictions(store) == 5


def test_a_closed_file_that_survived_its_deletion_is_ingested_once_and_deleted(
    store: PredictionStore, ingester: JournalIngester, journal_dir: Path
) -> None:
    writer = JournalWriter(journal_dir)
    records = _append(writer, 3)
    writer.close()
    content = writer.path.read_bytes()
    ingester.ingest()
    assert not writer.path.exists()
    writer.path.write_bytes(content)  # as if the process stopped before the unlink
    assert ingester.ingest() == 3
    assert count_predictions(store) == 3
    assert not writer.path.exists()
    _assert_stored(store, records)


def test_a_file_with_a_foreign_header_is_left_alone_and_reported_once(
    store: PredictionStore,
    ingester: JournalIngester,
    journal_dir: Path,
    writer: JournalWriter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    foreign = journal_dir / f"foreign{SUFFIX}"
    content = b"driftline-prediction-journal 2\n" + encode_entry(make_record())
    foreign.write_bytes(content)
    records = _append(writer, 2)
    with caplog.at_level(logging.ERROR, INGEST_LOG):
        assert ingester.ingest() == 2  # the other journals still go in
        assert ingester.ingest() == 0
    assert foreign.read_bytes() == content
    assert [r.getMessage() for r in caplog.records].count(
        f"{foreign} is not a prediction journal of this version; left alone"
    ) == 1
    assert foreign.name not in store.journal_progress()
    _assert_stored(store, records)
    assert count_predictions(store) == 2


def test_a_file_whose_creator_died_before_the_header_was_complete_is_deleted(
    store: PredictionStore, ingester: JournalIngester, journal_dir: Path
) -> None:
    journal_dir.mkdir(parents=True, exist_ok=True)
    stub = journal_dir / f"stub{SUFFIX}"
    stub.write_bytes(HEADER[:7])  # nobody holds its lock
    assert ingester.ingest() == 0
    assert not stub.exists()


def test_a_file_still_being_created_is_ignored(
    store: PredictionStore, ingester: JournalIngester, journal_dir: Path
) -> None:
    journal_dir.mkdir(parents=True, exist_ok=True)
    creating = journal_dir / "abc.creating"
    creating.write_bytes(HEADER + encode_entry(make_record()))
    assert ingester.ingest() == 0
    assert creating.exists()
    assert count_predictions(store) == 0


def test_an_unreadable_line_is_skipped_and_the_rest_ingested(
    store: PredictionStore,
    ingester: JournalIngester,
    writer: JournalWriter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = _append(writer, 1)
    after = [make_record(), make_record()]
    _append_raw(
        writer.path,
        b"not\ta\tprediction\n" + b"\xff\xfe binary junk\n" + b"".join(map(encode_entry, after)),
    )
    with caplog.at_level(logging.ERROR, INGEST_LOG):
        assert ingester.ingest() == 3
    assert caplog.text.count("unreadable line skipped") == 2
    _assert_stored(store, before + after)
    assert ingester.ingest() == 0  # skipped for good, not retried every round


# --- chunks and batches ---------------------------------------------------------------------


def test_small_chunks_still_ingest_everything_including_a_line_longer_than_a_chunk(
    store: PredictionStore, journal_dir: Path
) -> None:
    batches: list[int] = []
    ingester = JournalIngester(
        store, journal_dir, chunk_bytes=200, on_batch=lambda rows, _: batches.append(rows)
    )
    writer = JournalWriter(journal_dir)
    try:
        long = make_record(features={"blob": "x" * 5000})
        first = _append(writer, 5)
        writer.append_lines(journal_lines([long]))  # in the middle: the lines after it must follow
        records = [*first, long, *_append(writer, 5)]
        assert len(encode_entry(long)) > 5000
        assert ingester.ingest() == 11
        assert len(batches) >= 6  # many small transactions
        _assert_stored(store, records)
        # A long line at the end, still incomplete, waits too.
        tail = make_record(features={"blob": "y" * 1000})
        _append_raw(writer.path, encode_entry(tail)[:-1])
        assert ingester.ingest() == 0
        _append_raw(writer.path, b"\n")
        assert ingester.ingest() == 1
        _assert_stored(store, [*records, tail])
    finally:
        writer.close()
        ingester.close()


def test_on_batch_gets_the_row_count_and_duration_of_each_transaction(
    store: PredictionStore, journal_dir: Path, writer: JournalWriter
) -> None:
    batches: list[tuple[int, float]] = []
    ingester = JournalIngester(
        store, journal_dir, on_batch=lambda rows, seconds: batches.append((rows, seconds))
    )
    try:
        _append(writer, 7)
        ingester.ingest()
        assert [rows for rows, _ in batches] == [7]
        assert all(seconds >= 0 for _, seconds in batches)
        ingester.ingest()  # no rows, no batch reported
        assert len(batches) == 1
    finally:
        ingester.close()


def test_a_failing_on_batch_callback_does_not_stop_ingestion(
    store: PredictionStore,
    journal_dir: Path,
    writer: JournalWriter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(rows: int, seconds: float) -> None:
        raise RuntimeError("metrics are down")

    ingester = JournalIngester(store, journal_dir, chunk_bytes=300, on_batch=broken)
    try:
        records = _append(writer, 6)
        with caplog.at_level(logging.ERROR, INGEST_LOG):
            assert ingester.ingest() == 6
        assert "on_batch callback failed" in caplog.text
        _assert_stored(store, records)
    finally:
        ingester.close()


# --- one round at a time --------------------------------------------------------------------


def test_try_ingest_returns_none_while_another_process_holds_the_folder_lock(
    store: PredictionStore, ingester: JournalIngester, writer: JournalWriter
) -> None:
    records = _append(writer, 3)
    # A new open file description conflicts like another process's would.
    fd = os.open(ingester.directory / LOCK_FILE, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert ingester.try_ingest() is None
        assert count_predictions(store) == 0
    finally:
        os.close(fd)
    assert ingester.try_ingest() == 3
    _assert_stored(store, records)


def test_ingest_waits_for_the_folder_lock(
    store: PredictionStore, ingester: JournalIngester, writer: JournalWriter
) -> None:
    _append(writer, 2)
    fd = os.open(ingester.directory / LOCK_FILE, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    result: list[int] = []
    waiting = threading.Thread(target=lambda: result.append(ingester.ingest()))
    waiting.start()
    time.sleep(0.2)
    assert result == []
    os.close(fd)
    waiting.join(10)
    assert result == [2]


def test_try_ingest_returns_none_while_another_thread_runs_a_round(
    store: PredictionStore, journal_dir: Path, writer: JournalWriter
) -> None:
    in_round, release = threading.Event(), threading.Event()

    def block(rows: int, seconds: float) -> None:
        in_round.set()
        release.wait(10)

    ingester = JournalIngester(store, journal_dir, on_batch=block)
    try:
        _append(writer, 2)
        busy = threading.Thread(target=ingester.ingest)
        busy.start()
        assert in_round.wait(10)
        assert ingester.try_ingest() is None
        release.set()
        busy.join(10)
        assert count_predictions(store) == 2
    finally:
        release.set()
        ingester.close()


def test_the_background_thread_ingests_until_stopped(
    store: PredictionStore, ingester: JournalIngester, writer: JournalWriter
) -> None:
    ingester.start(0.01)
    ingester.start(0.01)  # a second start is a no-op
    records = _append(writer, 3)
    deadline = time.monotonic() + 10
    while count_predictions(store) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    _assert_stored(store, records)
    ingester.stop()
    _append(writer, 1)
    time.sleep(0.1)
    assert count_predictions(store) == 3


ROWS_PER_APPENDER = 500


def _append_paced(writer: JournalWriter, acked: list[str], failures: list[BaseException]) -> None:
    """Append ROWS_PER_APPENDER records in small batches, slowly enough that
    ingestion rounds run while it writes."""
    try:
        for _ in range(ROWS_PER_APPENDER // 5):
            records = [make_record() for _ in range(5)]
            writer.append_lines(journal_lines(records))
            acked.extend(r.prediction_id for r in records)
            time.sleep(0.003)
    except BaseException as exc:
        failures.append(exc)


def _run_appenders(journal_dir: Path, acked: list[str], failures: list[BaseException]) -> None:
    """Two writers (small files, so rotation and deletion happen meanwhile), two threads each."""
    writers = [JournalWriter(journal_dir, max_file_bytes=20_000) for _ in range(2)]
    appenders = [
        threading.Thread(target=_append_paced, args=(w, acked, failures))
        for w in writers
        for _ in range(2)
    ]
    for t in appenders:
        t.start()
    for t in appenders:
        t.join(60)
    for w in writers:
        w.close()


def _assert_all_ingested_once(
    store: PredictionStore, journal_dir: Path, acked: list[str], ingested: int
) -> None:
    assert len(acked) == 4 * ROWS_PER_APPENDER
    assert ingested == len(acked)  # no line was read twice
    assert count_predictions(store) == len(acked)
    assert set(get_predictions(store, acked)) == set(acked)
    assert _journals(journal_dir) == []
    assert store.journal_progress() == {}


def test_two_ingesters_in_threads_ingest_every_row_exactly_once(
    store: PredictionStore, journal_dir: Path
) -> None:
    ingesters = [JournalIngester(store, journal_dir, chunk_bytes=2000) for _ in range(2)]
    stop = threading.Event()
    acked: list[str] = []
    failures: list[BaseException] = []
    ingested = [0, 0]

    def ingest_until_stopped(index: int) -> None:
        try:
            while not stop.is_set():
                # One blocks, one skips when busy, as the label path and the thread do.
                got = ingesters[index].ingest() if index else ingesters[index].try_ingest()
                ingested[index] += got or 0
                time.sleep(0.002)
        except BaseException as exc:
            failures.append(exc)

    loops = [threading.Thread(target=ingest_until_stopped, args=(i,)) for i in range(2)]
    for t in loops:
        t.start()
    try:
        _run_appenders(journal_dir, acked, failures)
        during = count_predictions(store)
    finally:
        stop.set()
        for t in loops:
            t.join(30)
    total = sum(ingested) + ingesters[0].ingest()
    for ingester in ingesters:
        ingester.close()

    assert not failures
    assert during > 0  # the rounds ran while the writers appended
    assert all(n > 0 for n in ingested), ingested
    _assert_all_ingested_once(store, journal_dir, acked, total)


def _ingest_until_stopped(
    db_url: str, journal_dir: Path, ready_file: Path, stop_file: Path, out: Path
) -> None:
    """In a spawned process: ingest until ``stop_file`` exists, then write the row total."""
    store = PredictionStore.open(db_url)
    ingester = JournalIngester(store, journal_dir, chunk_bytes=2000)
    ready_file.touch()
    total = 0
    while not stop_file.exists():
        total += ingester.try_ingest() or 0
        time.sleep(0.002)
    total += ingester.ingest()
    ingester.close()
    store.close()
    out.write_text(str(total))


def test_two_ingesting_processes_ingest_every_row_exactly_once(
    store: PredictionStore, db_url: str, journal_dir: Path, tmp_path: Path
) -> None:
    stop_file = tmp_path / "stop"
    ready = [tmp_path / f"ready-{i}" for i in range(2)]
    outputs = [tmp_path / f"ingested-{i}" for i in range(2)]
    spawn = multiprocessing.get_context("spawn")
    children = [
        spawn.Process(
            target=_ingest_until_stopped,
            args=(db_url, journal_dir, ready[i], stop_file, outputs[i]),
        )
        for i in range(2)
    ]
    acked: list[str] = []
    failures: list[BaseException] = []
    try:
        for child in children:
            child.start()
        deadline = time.monotonic() + 60
        while not all(r.exists() for r in ready):
            assert all(c.is_alive() for c in children), "an ingesting process died"
            assert time.monotonic() < deadline, "the ingesting processes did not start"
            time.sleep(0.02)
        _run_appenders(journal_dir, acked, failures)
        during = count_predictions(store)
        stop_file.touch()
        for child in children:
            child.join(60)
            assert child.exitcode == 0
    finally:
        stop_file.touch()
        for child in children:
            if child.is_alive():
                child.kill()
                child.join(10)

    assert not failures
    assert during > 0  # the rounds ran while the writers appended
    totals = [int(out.read_text()) for out in outputs]
    assert all(t > 0 for t in totals), totals  # both took part
    _assert_all_ingested_once(store, journal_dir, acked, sum(totals))


# --- a killed writer ------------------------------------------------------------------------


def _append_and_ack(journal_dir: Path, ack_file: Path, sync: bool) -> None:
    """In a spawned process: append from 4 threads, each id acknowledged to ``ack_file``
    after ``append`` returned, until killed."""
    writer = JournalWriter(journal_dir, sync=sync, max_file_bytes=50_000)
    fd = os.open(ack_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def loop() -> None:
        while True:
            record = make_record()
            writer.append_lines(journal_lines([record]))
            # One small O_APPEND write per id: whole lines even when killed mid-way.
            os.write(fd, f"{record.prediction_id}\n".encode())

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _acknowledged(ack_file: Path) -> list[str]:
    if not ack_file.exists():
        return []
    return [line for line in ack_file.read_text().splitlines() if len(line) == 36]


@pytest.mark.parametrize("sync", [False, True])
def test_every_acknowledged_row_of_a_sigkilled_writer_is_ingested(
    store: PredictionStore, ingester: JournalIngester, journal_dir: Path, tmp_path: Path, sync: bool
) -> None:
    ack_file = tmp_path / "acks.txt"
    child = multiprocessing.get_context("spawn").Process(
        target=_append_and_ack, args=(journal_dir, ack_file, sync)
    )
    child.start()
    try:
        deadline = time.monotonic() + 60
        while len(_acknowledged(ack_file)) < 2000:
            assert child.is_alive(), f"the writer exited with {child.exitcode}"
            assert time.monotonic() < deadline, "the writer acknowledged too little"
            time.sleep(0.02)
        os.kill(child.pid or 0, signal.SIGKILL)
        child.join(30)
    finally:
        if child.is_alive():
            child.kill()
            child.join(10)
    assert child.exitcode == -signal.SIGKILL

    ids = _acknowledged(ack_file)
    ingester.ingest()
    assert set(get_predictions(store, ids)) == set(ids)
    # The dead owner's lock is free: everything is in and every file is gone.
    assert _journals(journal_dir) == []
    assert store.journal_progress() == {}
    assert count_predictions(store) >= len(ids)


def test_what_was_acknowledged_before_and_after_a_full_disk_is_ingested(
    store: PredictionStore,
    ingester: JournalIngester,
    journal_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The disk is full when the writer needs a new file: that append fails (never
    # acknowledged), the old file stays in use, and once space is back all is well.
    writer = JournalWriter(journal_dir, max_file_bytes=2048)
    real_fallocate = os.posix_fallocate
    acknowledged: list[PredictionRecord] = []
    failed: list[PredictionRecord] = []

    def disk_full(fd: int, offset: int, length: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    try:
        while len(failed) < 1:
            record = make_record()
            monkeypatch.setattr(os, "posix_fallocate", disk_full)
            try:
                writer.append_lines(journal_lines([record]))
            except OSError:
                failed.append(record)
            else:
                acknowledged.append(record)
        monkeypatch.setattr(os, "posix_fallocate", real_fallocate)
        acknowledged += _append(writer, 3)
    finally:
        writer.close()
    ingester.ingest()
    _assert_stored(store, acknowledged)
    assert get_predictions(store, [failed[0].prediction_id]) == {}
    assert _journals(journal_dir) == []


def test_each_round_reports_the_bytes_it_left_in_the_journals(tmp_path: Path) -> None:
    store = PredictionStore.open(sqlite_url(tmp_path / "predictions.db"))
    folder = tmp_path / "journal"
    backlogs: list[int] = []
    ingester = JournalIngester(store, folder, on_backlog=backlogs.append)
    writer = JournalWriter(folder)
    try:
        writer.append_lines(journal_lines([make_record() for _ in range(3)]))
        ingester.ingest()
        assert backlogs[-1] == 0
        _append_raw(writer.path, b'"half a line')  # as a writer in the middle of its copy
        ingester.ingest()
        assert backlogs[-1] == len(b'"half a line')
    finally:
        writer.close()
        ingester.close()
        store.close()


def test_sqlite_parsing_a_block_stores_what_checking_line_by_line_stores(tmp_path: Path) -> None:
    records = [make_record() for _ in range(20)]
    block = b"".join(encode_entry(r) for r in records)
    fast = PredictionStore.open(sqlite_url(tmp_path / "fast.db"))
    slow = PredictionStore.open(sqlite_url(tmp_path / "slow.db"))
    try:
        assert fast.ingests_json
        fast.ingest_journal_json(lines_as_json(block), "a.journal", len(block))
        slow.ingest_journal([decode_entry(line) for line in block.decode().splitlines()],
                            "a.journal", len(block))  # fmt: skip
        columns = "prediction_id, created_at, model_name, model_version, features, " \
                  "predicted_class, probabilities"  # fmt: skip
        with fast.engine.connect() as f, slow.engine.connect() as s:
            query = text(f"SELECT {columns} FROM predictions ORDER BY seq")
            assert f.execute(query).all() == s.execute(query).all()
        assert fast.journal_progress() == slow.journal_progress() == {"a.journal": len(block)}
    finally:
        fast.close()
        slow.close()


def test_a_line_of_valid_json_but_the_wrong_shape_is_skipped_and_the_rest_ingested(
    store: PredictionStore,
    ingester: JournalIngester,
    writer: JournalWriter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = [make_record(), make_record()]
    wrong = b'"0190a1b2-0000-7000-8000-000000000000"\t1.0\t2\t"1"\t"0"\t{}\t{}\n'  # name: a number
    _append_raw(writer.path, encode_entry(good[0]) + wrong + encode_entry(good[1]))
    with caplog.at_level(logging.ERROR, INGEST_LOG):
        assert ingester.ingest() == 2
    assert "unreadable line skipped" in caplog.text
    _assert_stored(store, good)
    assert count_predictions(store) == 2


def test_a_failed_round_reports_everything_it_could_not_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PredictionStore.open(sqlite_url(tmp_path / "predictions.db"))
    folder = tmp_path / "journal"
    backlogs: list[int] = []
    ingester = JournalIngester(store, folder, on_backlog=backlogs.append)
    writer = JournalWriter(folder)
    records = [make_record() for _ in range(3)]
    try:
        writer.append_lines(journal_lines(records))

        def database_away(*args: object) -> None:
            raise RuntimeError("the database is away")

        monkeypatch.setattr(store, "ingest_journal_json", database_away)
        with pytest.raises(RuntimeError, match="away"):
            ingester.ingest()
        assert backlogs == [sum(len(encode_entry(r)) for r in records)]
    finally:
        writer.close()
        ingester.close()
        store.close()
