"""Stores on both backends (a SQLite file in tmp_path, a throwaway PostgreSQL server); a journal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from predictionlog.journal import JournalWriter
from predictionlog.store import PredictionStore
from tests.predictionlog.postgres_server import (
    MISSING_REASON,
    PostgresServer,
    binaries_installed,
    throwaway_postgres,
)
from tests.support.log_rows import opened_store


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    if not binaries_installed():
        pytest.skip(MISSING_REASON)
    with throwaway_postgres(tmp_path_factory.mktemp("pg")) as server:
        yield server


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@contextmanager
def empty_database(backend: str, request: pytest.FixtureRequest, path: Path) -> Iterator[str]:
    """The URL of a new, empty database: a SQLite file at ``path``, or one on the
    session's PostgreSQL server, dropped afterwards."""
    if backend == "sqlite":
        yield sqlite_url(path)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    database = server.create_database()
    try:
        yield server.url(database)
    finally:
        server.drop_database(database)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty prediction log on each backend."""
    with empty_database(request.param, request, tmp_path / "predictions.db") as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[PredictionStore]:
    with opened_store(store_url) as opened:
        yield opened


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    return tmp_path / "journal"


@pytest.fixture
def writer(journal_dir: Path) -> Iterator[JournalWriter]:
    opened = JournalWriter(journal_dir)
    try:
        yield opened
    finally:
        opened.close()
