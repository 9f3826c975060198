"""SQLite set-up: WAL, busy_timeout, synchronous from the environment; backends refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from predictionlog.engine import SYNCHRONOUS_ENV, create_log_engine, sqlite_synchronous_from_env
from predictionlog.store import PredictionStore
from tests.predictionlog.conftest import sqlite_url


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, "NORMAL"), ({SYNCHRONOUS_ENV: ""}, "NORMAL"), ({SYNCHRONOUS_ENV: "normal"}, "NORMAL"),
     ({SYNCHRONOUS_ENV: " FULL "}, "FULL"), ({SYNCHRONOUS_ENV: "full"}, "FULL")],
)  # fmt: skip
def test_synchronous_comes_from_the_environment(environ: dict[str, str], expected: str) -> None:
    assert sqlite_synchronous_from_env(environ) == expected


def test_an_unknown_synchronous_value_is_named() -> None:
    with pytest.raises(ValueError, match=f"{SYNCHRONOUS_ENV} must be FULL or NORMAL, got 'OFF'"):
        sqlite_synchronous_from_env({SYNCHRONOUS_ENV: "off"})


@pytest.mark.parametrize(("synchronous", "pragma_value"), [("FULL", 2), ("NORMAL", 1)])
def test_every_connection_gets_wal_busy_timeout_and_synchronous(
    tmp_path: Path, synchronous: str, pragma_value: int
) -> None:
    store = PredictionStore.open(
        sqlite_url(tmp_path / "nested" / "p.db"),
        synchronous=synchronous,  # type: ignore[arg-type]
        busy_timeout_ms=1234,
    )
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == pragma_value
    finally:
        store.close()


def test_open_reads_synchronous_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SYNCHRONOUS_ENV, "FULL")
    store = PredictionStore.open(sqlite_url(tmp_path / "p.db"))
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    finally:
        store.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [("sqlite://", "in-memory"), ("sqlite:///:memory:", "in-memory"),
     ("mysql://u@localhost/db", "SQLite or PostgreSQL")],
)  # fmt: skip
def test_unsuitable_databases_are_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_log_engine(url)
