"""Several processes journaling into one SQLite file, and a writer killed with SIGKILL."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from predictionlog.journal import JournalClosedError, JournalWriter
from predictionlog.journal_ingest import JournalIngester
from predictionlog.store import PredictionStore
from tests.conftest import REPO_ROOT
from tests.predictionlog.ack_writer import journal_dir, write_rows
from tests.predictionlog.conftest import sqlite_url
from tests.predictionlog.sample_records import make_record
from tests.support.log_rows import (
    count_predictions,
    get_predictions,
    insert_predictions,
    journal_lines,
)


def _acknowledged(ack_file: Path) -> list[str]:
    if not ack_file.exists():
        return []
    return [line for line in ack_file.read_text().splitlines() if len(line) == 36]


def _stored(db_url: str, ids: list[str]) -> set[str]:
    store = PredictionStore.open(db_url)
    try:
        return set(get_predictions(store, ids))
    finally:
        store.close()


def test_two_processes_writing_one_file_lose_nothing(tmp_path: Path) -> None:
    db_url = sqlite_url(tmp_path / "predictions.db")
    # No tables yet: the children also race to switch to WAL and create them.
    spawn = multiprocessing.get_context("spawn")
    acks = [tmp_path / f"acks-{i}.txt" for i in range(2)]
    children = [
        spawn.Process(target=write_rows, args=(db_url, ack, 4, 400, "FULL")) for ack in acks
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=300)
        assert child.exitcode == 0

    ids = _acknowledged(acks[0]) + _acknowledged(acks[1])
    assert len(ids) == len(set(ids)) == 2 * 4 * 400
    assert _stored(db_url, ids) == set(ids)
    store = PredictionStore.open(db_url)
    assert count_predictions(store) == len(ids)
    store.close()


@pytest.mark.parametrize("synchronous", ["FULL", "NORMAL"])
def test_acknowledged_rows_survive_sigkill(tmp_path: Path, synchronous: str) -> None:
    db_url = sqlite_url(tmp_path / "predictions.db")
    ack_file = tmp_path / "acks.txt"
    log = (tmp_path / "child.log").open("wb")
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.predictionlog.ack_writer", db_url, str(ack_file), "4", "0",
         synchronous],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while len(_acknowledged(ack_file)) < 1000:
            assert child.poll() is None, (tmp_path / "child.log").read_text()
            assert time.monotonic() < deadline, "the writer acknowledged too little"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
        log.close()

    assert child.returncode == -signal.SIGKILL
    ids = _acknowledged(ack_file)
    assert len(ids) >= 1000
    # What the killed writer had not ingested yet is in its journal: the next
    # ingestion (a sibling worker's, or the restarted server's) moves it.
    store = PredictionStore.open(db_url)
    ingester = JournalIngester(store, journal_dir(db_url))
    try:
        ingester.ingest()
        assert list(journal_dir(db_url).glob("*.journal")) == []  # the dead writer's file is gone
    finally:
        ingester.close()
        store.close()
    assert _stored(db_url, ids) == set(ids)


def _use_inherited(
    store: PredictionStore, journal: JournalWriter, record_id: str, inherited: object
) -> None:
    """In a forked child: the store works on a connection of its own, the journal refuses."""
    with store.engine.connect() as conn:
        if conn.connection.dbapi_connection is inherited:
            os._exit(4)
    insert_predictions(store, [make_record(prediction_id=record_id)])
    try:
        journal.append_lines(journal_lines([make_record()]))
    except JournalClosedError:
        os._exit(0)
    os._exit(3)


def test_a_forked_child_opens_its_own_connections(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "predictions.db")
    store = PredictionStore.open(url)
    journal = JournalWriter(journal_dir(url))
    ingester = JournalIngester(store, journal_dir(url))
    try:
        journal.append_lines(journal_lines([make_record()]))
        ingester.ingest()
        with store.engine.connect() as conn:  # the pooled connection the child inherits
            inherited = conn.connection.dbapi_connection
        child_record = make_record()
        child = multiprocessing.get_context("fork").Process(
            target=_use_inherited, args=(store, journal, child_record.prediction_id, inherited)
        )
        child.start()
        child.join(timeout=60)
        assert child.exitcode == 0

        journal.append_lines(
            journal_lines([make_record()])
        )  # the parent's journal and connection still work
        ingester.ingest()
        assert count_predictions(store) == 3
        assert set(get_predictions(store, [child_record.prediction_id])) == {
            child_record.prediction_id
        }
    finally:
        journal.close()
        ingester.close()
        store.close()
