"""JournalWriter: one locked file per process, whole lines, rotation, sync, close, fork."""

from __future__ import annotations

import errno
import fcntl
import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest

from predictionlog.journal import (
    SUFFIX,
    JournalClosedError,
    JournalWriter,
    default_journal_dir,
)
from predictionlog.journal_format import HEADER, decode_entry, encode_entry
from predictionlog.row_codec import encode_prediction
from tests.predictionlog.conftest import sqlite_url
from tests.predictionlog.sample_records import make_record
from tests.support.log_rows import journal_lines


def _content(path: Path) -> bytes:
    """What a journal file holds: without the NUL tail of a file still being filled."""
    data = path.read_bytes()
    written = data.rstrip(b"\0")
    assert b"\0" not in written
    return written


def _lines(path: Path) -> list[str]:
    """The entries of a journal file, after checking its header and final newline."""
    data = _content(path)
    assert data.startswith(HEADER)
    body = data[len(HEADER) :]
    assert body == b"" or body.endswith(b"\n")
    return body.decode().splitlines()


def _ids(paths: list[Path]) -> list[str]:
    return [decode_entry(line)["prediction_id"] for path in paths for line in _lines(path)]


def _is_locked(path: Path) -> bool:
    """Whether someone holds the file's flock (tried from a new open file description)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also releases the lock if we got it
    return False


def _journals(directory: Path) -> list[Path]:
    return sorted(directory.glob("*" + SUFFIX))


def test_a_new_writer_makes_its_directory_and_one_file_with_the_header(
    journal_dir: Path, writer: JournalWriter
) -> None:
    assert _journals(journal_dir) == [writer.path]
    assert _content(writer.path) == HEADER
    assert not list(journal_dir.glob("*.creating"))


def test_each_record_is_one_line_that_decodes_to_the_stored_row(writer: JournalWriter) -> None:
    records = [make_record() for _ in range(3)]
    writer.append_lines(journal_lines(records[:1]))
    writer.append_lines(journal_lines(records[1:]))
    assert [decode_entry(line) for line in _lines(writer.path)] == [
        encode_prediction(r) for r in records
    ]


def test_appending_nothing_writes_nothing(writer: JournalWriter) -> None:
    writer.append_lines(b"")
    assert _content(writer.path) == HEADER


def test_a_batch_with_one_unstorable_record_writes_none_of_it(writer: JournalWriter) -> None:
    with pytest.raises(ValueError):
        writer.append_lines(journal_lines([make_record(), make_record(model_name="")]))
    assert _content(writer.path) == HEADER


def test_two_writers_in_one_directory_use_separate_files(journal_dir: Path) -> None:
    first, second = JournalWriter(journal_dir), JournalWriter(journal_dir)
    try:
        assert first.path != second.path
        assert _journals(journal_dir) == sorted([first.path, second.path])
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("sync", [False, True])
def test_concurrent_appends_never_interleave_lines(journal_dir: Path, sync: bool) -> None:
    threads, per_thread = 8, 150
    writer = JournalWriter(journal_dir, sync=sync)
    expected: list[list[str]] = [[] for _ in range(threads)]
    failures: list[BaseException] = []
    start = threading.Barrier(threads)

    def append_many(index: int) -> None:
        try:
            start.wait()
            for n in range(per_thread):
                # Batches of one to three records of up to 3 kB: lines of very different sizes.
                batch = [
                    make_record(features={"blob": "x" * (n * 37 % 3000), "n": n})
                    for _ in range(1 + n % 3)
                ]
                writer.append_lines(journal_lines(batch))
                expected[index].extend(r.prediction_id for r in batch)
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=append_many, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    writer.close()

    assert not failures
    ids = _ids(_journals(journal_dir))  # every line decodes
    assert sorted(ids) == sorted(i for per in expected for i in per)
    # Each thread's records appear in the order it appended them.
    position = {prediction_id: n for n, prediction_id in enumerate(ids)}
    for per in expected:
        positions = [position[i] for i in per]
        assert positions == sorted(positions)


def test_the_owner_holds_the_flock_of_its_file_until_close(journal_dir: Path) -> None:
    writer = JournalWriter(journal_dir)
    assert _is_locked(writer.path)
    writer.close()
    assert not _is_locked(writer.path)
    assert writer.path.exists()  # ingestion, not the writer, deletes it


def test_a_full_file_is_rotated_to_a_new_locked_file_and_the_old_one_is_released(
    journal_dir: Path,
) -> None:
    records = [make_record(created_at=1_700_000_000.5) for _ in range(6)]
    line = len(encode_entry(records[0]))  # all the same length
    max_bytes = len(HEADER) + 2 * line  # two records per file
    writer = JournalWriter(journal_dir, max_file_bytes=max_bytes)
    try:
        seen = [writer.path]
        for record in records:
            writer.append_lines(journal_lines([record]))
            if writer.path != seen[-1]:
                seen.append(writer.path)
        assert len(seen) == 3  # two full files and the current one, full too
        assert _journals(journal_dir) == sorted(seen)
        assert [_is_locked(p) for p in seen] == [False, False, True]
        assert _ids(seen) == [r.prediction_id for r in records]
        assert [os.path.getsize(p) for p in seen] == [max_bytes] * 3
        assert not list(journal_dir.glob("*.creating"))
    finally:
        writer.close()
    assert not _is_locked(seen[-1])


def test_a_batch_that_does_not_fit_starts_a_file_big_enough_for_it(journal_dir: Path) -> None:
    writer = JournalWriter(journal_dir, max_file_bytes=len(HEADER) + 1)
    try:
        first = writer.path
        record = make_record()
        writer.append_lines(journal_lines([record]))
        assert writer.path != first
        assert first.read_bytes() == HEADER  # closed and cut to what it holds
        assert _ids([writer.path]) == [record.prediction_id]
        assert os.path.getsize(writer.path) == len(HEADER) + len(encode_entry(record))
    finally:
        writer.close()


def test_a_live_file_is_made_at_full_size_and_cut_to_its_lines_when_closed(
    journal_dir: Path,
) -> None:
    writer = JournalWriter(journal_dir, max_file_bytes=4096)
    record = make_record()
    writer.append_lines(journal_lines([record]))
    assert os.path.getsize(writer.path) == 4096  # the tail reads as NUL
    writer.close()
    assert writer.path.read_bytes() == HEADER + encode_entry(record)


def test_a_full_disk_when_a_file_is_needed_fails_the_append_and_keeps_the_old_file(
    journal_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = make_record()
    writer = JournalWriter(journal_dir, max_file_bytes=len(HEADER) + len(encode_entry(record)))
    try:
        writer.append_lines(journal_lines([record]))
        first = writer.path

        def disk_full(fd: int, offset: int, length: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        with monkeypatch.context() as patch:
            patch.setattr(os, "posix_fallocate", disk_full)
            with pytest.raises(OSError, match="No space"):
                writer.append_lines(journal_lines([make_record()]))
        assert writer.path == first and _is_locked(first)
        assert not list(journal_dir.glob("*.creating"))
        later = make_record()
        writer.append_lines(journal_lines([later]))  # space is back
        ids = _ids(_journals(journal_dir))
        assert sorted(ids) == sorted([record.prediction_id, later.prediction_id])
    finally:
        writer.close()


def test_sync_mode_writes_and_syncs(journal_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fdatasync = os.fdatasync

    def counting_fdatasync(fd: int) -> None:
        synced.append(fd)
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", counting_fdatasync)
    writer = JournalWriter(journal_dir, sync=True)
    try:
        before = len(synced)
        record = make_record()
        writer.append_lines(journal_lines([record]))
        assert len(synced) == before + 1
        assert _ids([writer.path]) == [record.prediction_id]
    finally:
        writer.close()


def test_an_append_whose_fdatasync_failed_is_not_acknowledged_even_if_a_later_one_succeeds(
    journal_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = JournalWriter(journal_dir, sync=True)
    real_fdatasync = os.fdatasync
    failures = [OSError(errno.EIO, "writeback failed")]

    def failing_once(fd: int) -> None:
        if failures:
            raise failures.pop()
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", failing_once)
    try:
        with pytest.raises(OSError, match="writeback failed"):
            writer.append_lines(journal_lines([make_record()]))
        # Linux reports a writeback error once, so this sync succeeds: the next
        # append is acknowledged, the failed one stays refused.
        writer.append_lines(journal_lines([make_record()]))
        assert writer._failed_through == 1 and writer._synced_through == 2
    finally:
        writer.close()


def test_sync_mode_shares_one_fdatasync_between_concurrent_appenders(
    journal_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = 8
    writer = JournalWriter(journal_dir, sync=True)
    real_fdatasync = os.fdatasync
    in_sync = threading.Event()
    release = threading.Event()
    calls = 0

    def slow_fdatasync(fd: int) -> None:
        nonlocal calls
        calls += 1
        in_sync.set()
        release.wait(10)  # hold the first sync while the others append
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", slow_fdatasync)
    done: list[str] = []

    def append_one() -> None:
        writer.append_lines(journal_lines([make_record()]))
        done.append("ok")

    leader = threading.Thread(target=append_one)
    leader.start()
    assert in_sync.wait(10)
    followers = [threading.Thread(target=append_one) for _ in range(threads - 1)]
    for t in followers:
        t.start()
    # Every follower writes its line while the first sync runs: they wait for the
    # sync, not for the write lock.
    deadline = time.monotonic() + 10
    while len(_lines(writer.path)) < threads and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(_lines(writer.path)) == threads
    assert done == []
    release.set()
    leader.join(10)
    for t in followers:
        t.join(10)
    try:
        assert done == ["ok"] * threads
        # One sync for the leader, one more covering all the followers.
        assert calls == 2
    finally:
        writer.close()


def test_sync_mode_with_rotation_under_concurrent_appenders(journal_dir: Path) -> None:
    threads, per_thread = 6, 60
    writer = JournalWriter(journal_dir, sync=True, max_file_bytes=4000)
    expected: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def append_many() -> None:
        try:
            for _ in range(per_thread):
                record = make_record()
                writer.append_lines(journal_lines([record]))
                with lock:
                    expected.append(record.prediction_id)
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=append_many) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(60)
    writer.close()
    assert not failures
    paths = _journals(journal_dir)
    assert len(paths) > 2
    assert sorted(_ids(paths)) == sorted(expected)
    assert not any(_is_locked(p) for p in paths)


def test_close_is_idempotent_and_append_after_close_is_refused(journal_dir: Path) -> None:
    writer = JournalWriter(journal_dir)
    writer.append_lines(journal_lines([make_record()]))
    writer.close()
    writer.close()
    with pytest.raises(JournalClosedError):
        writer.append_lines(journal_lines([make_record()]))
    assert len(_lines(writer.path)) == 1


def test_append_of_nothing_after_close_does_not_raise(journal_dir: Path) -> None:
    writer = JournalWriter(journal_dir)
    writer.close()
    writer.append_lines(b"")  # nothing to write, nothing to refuse


def _append_in_child(writer: JournalWriter) -> None:
    try:
        writer.append_lines(journal_lines([make_record()]))
    except JournalClosedError:
        writer.close()  # a no-op in the child: the parent's file stays open
        os._exit(0)
    os._exit(3)


def test_a_forked_child_is_refused_and_the_parent_keeps_writing(journal_dir: Path) -> None:
    writer = JournalWriter(journal_dir)
    try:
        writer.append_lines(journal_lines([make_record()]))
        child = multiprocessing.get_context("fork").Process(target=_append_in_child, args=(writer,))
        child.start()
        child.join(timeout=60)
        assert child.exitcode == 0
        writer.append_lines(journal_lines([make_record()]))
        assert len(_lines(writer.path)) == 2
        assert _is_locked(writer.path)
    finally:
        writer.close()


def test_default_dir_of_a_sqlite_file_is_beside_it(tmp_path: Path) -> None:
    db = tmp_path / "data" / "predictions.db"
    home = tmp_path / "home"
    expected = db.resolve().with_name("predictions.db.journal")
    assert default_journal_dir(sqlite_url(db), home) == expected
    assert default_journal_dir(f"sqlite:///file:{db}?mode=rwc&uri=true", home) == expected


def test_default_dir_of_a_relative_sqlite_path_is_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    found = default_journal_dir("sqlite:///predictions.db", tmp_path / "home")
    assert found == (tmp_path / "predictions.db.journal").resolve()
    assert found.is_absolute()


def test_default_dir_of_an_in_memory_sqlite_is_under_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert default_journal_dir("sqlite://", home).parent == home / "prediction-journal"
    assert default_journal_dir("sqlite:///:memory:", home).parent == home / "prediction-journal"


def test_default_dir_of_a_database_server_is_under_home_stable_and_per_database(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    url = "postgresql+psycopg://driftline:secret@db.example:5432/predictions"
    found = default_journal_dir(url, home)
    assert found.parent == home / "prediction-journal"
    assert found == default_journal_dir(url, home)  # the same in every process
    assert "secret" not in str(found)
    # A changed password is still the same database.
    assert default_journal_dir(url.replace("secret", "rotated"), home) == found
    others = {
        default_journal_dir(url.replace("/predictions", "/other"), home),
        default_journal_dir(url.replace("db.example", "db2.example"), home),
        default_journal_dir(url.replace("5432", "5433"), home),
        default_journal_dir(url.replace("driftline:", "someone:"), home),
    }
    assert found not in others
    assert len(others) == 4
