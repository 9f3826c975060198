"""Stores on both backends (a SQLite file in tmp_path, a throwaway PostgreSQL server); a journal."""

from __future__ import annotations

from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    if not binaries_installed():
        pytest.skip(MISSING_REASON)
    with throwaway_postgres(tmp_path_factory.mktemp("pg")) as server:
        yield server


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty prediction log on each backend."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "predictions.db")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    database = server.create_database()
    try:
        yield server.url(database)
    finally:
        server.drop_database(database)


@pytest.fixture
def store(store_url: str) -> Iterator[PredictionStore]:
    opened = PredictionStore.open(store_url)
    try:
        yield opened
    finally:
        opened.close()


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
