"""Schema migrations (predictionlog/schema_migrations.py) on SQLite and PostgreSQL.

A database is made the way the release before versioning made it, from the DDL that
``metadata.create_all`` emitted then, frozen below: it must not follow schema.py.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, text

from predictionlog.engine import create_log_engine, enable_wal
from predictionlog.migrations.__main__ import main as migrations_main
from predictionlog.migrations.__main__ import next_revision_id
from predictionlog.retry import RetryPolicy, run_with_retry
from predictionlog.schema import metadata
from predictionlog.schema_migrations import (
    INITIAL_REVISION,
    PG_LOCK_KEY,
    VERSION_TABLE,
    alembic_config,
    current_revision,
    head_revision,
    migrate,
)
from tests.predictionlog.conftest import empty_database, sqlite_url
from tests.predictionlog.sqlite_lock import held_write_lock

TABLES = ("predictions", "labels", "journal_progress")

# What metadata.create_all emitted before versioning (revision 0001_initial), per backend.
_COMMON_DDL = """
CREATE TABLE journal_progress (
	journal VARCHAR(100) NOT NULL,
	ingested_bytes BIGINT NOT NULL,
	PRIMARY KEY (journal)
);
CREATE TABLE labels (
	seq {seq} NOT NULL,
	prediction_id VARCHAR(36) NOT NULL,
	label VARCHAR(200) NOT NULL,
	received_at FLOAT NOT NULL,
	PRIMARY KEY (seq),
	UNIQUE (prediction_id)
);
CREATE INDEX ix_labels_received_at ON labels (received_at);
CREATE TABLE predictions (
	seq {seq} NOT NULL,
	prediction_id VARCHAR(36) NOT NULL,
	created_at FLOAT NOT NULL,
	model_name VARCHAR(200) NOT NULL,
	model_version VARCHAR(50) NOT NULL,
	features TEXT NOT NULL,
	predicted_class VARCHAR(200) NOT NULL,
	probabilities TEXT NOT NULL,
	PRIMARY KEY (seq),
	UNIQUE (prediction_id)
);
CREATE INDEX ix_predictions_created_at ON predictions (created_at);
CREATE INDEX ix_predictions_model_time ON predictions (model_name, model_version, created_at);
"""
UNVERSIONED_DDL = {
    "sqlite": _COMMON_DDL.format(seq="INTEGER"),
    "postgresql": _COMMON_DDL.format(seq="BIGSERIAL"),
}

PREDICTIONS = [
    {
        "prediction_id": "0190f0e0-0000-7000-8000-000000000001",
        "created_at": 1733300000.125,
        "model_name": "churn",
        "model_version": "3",
        "features": '{"age":41,"plan":"pro","spend":null}',
        "predicted_class": "1",
        "probabilities": '{"0":0.25,"1":0.75}',
    },
    {
        "prediction_id": "0190f0e0-0000-7000-8000-000000000002",
        "created_at": 1733300001.1000001,
        "model_name": "fraud-détection ü",
        "model_version": "2024.11-rc1",
        "features": '{"amount":1e-07,"country":"DE"}',
        "predicted_class": "legit",
        "probabilities": '{"fraud":0.0001,"legit":0.9999}',
    },
    {
        "prediction_id": "0190f0e0-0000-7000-8000-000000000003",
        "created_at": 0.0,
        "model_name": "m" * 200,
        "model_version": "v" * 50,
        "features": "{}",
        "predicted_class": "c" * 200,
        "probabilities": '{"x":1.0}',
    },
]
LABELS = [
    {"prediction_id": PREDICTIONS[0]["prediction_id"], "label": "1", "received_at": 1733300100.5},
    {"prediction_id": PREDICTIONS[2]["prediction_id"], "label": "élan", "received_at": 1.25},
]
JOURNAL_PROGRESS = [
    {"journal": "worker-1234.journal", "ingested_bytes": 5_000_000_000},  # needs BIGINT
    {"journal": "worker-99.journal", "ingested_bytes": 0},
]
ORDER = {"predictions": "seq", "labels": "seq", "journal_progress": "journal"}


# --- helpers -------------------------------------------------------------------------


def _open(url: str) -> Engine:
    """An engine as the store sets it up (SQLite in WAL mode)."""
    engine = create_log_engine(url)
    run_with_retry(lambda: enable_wal(engine), RetryPolicy())
    return engine


def _create_unversioned(engine: Engine) -> None:
    """The tables as the release before versioning created them, and rows in all three."""
    with engine.begin() as conn:
        for statement in UNVERSIONED_DDL[engine.dialect.name].split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
        for table, rows in (
            ("predictions", PREDICTIONS),
            ("labels", LABELS),
            ("journal_progress", JOURNAL_PROGRESS),
        ):
            names = list(rows[0])
            conn.execute(
                text(
                    f"INSERT INTO {table} ({', '.join(names)}) "
                    f"VALUES ({', '.join(':' + name for name in names)})"
                ),
                rows,
            )


def _expected_rows() -> dict[str, list[tuple[Any, ...]]]:
    return {
        "predictions": [(seq, *row.values()) for seq, row in enumerate(PREDICTIONS, 1)],
        "labels": [(1, *LABELS[0].values()), (2, *LABELS[1].values())],
        "journal_progress": [tuple(row.values()) for row in JOURNAL_PROGRESS],
    }


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """The rows, in the columns of before versioning (later revisions may add others)."""
    columns = {
        "predictions": ["seq", *PREDICTIONS[0]],
        "labels": ["seq", *LABELS[0]],
        "journal_progress": list(JOURNAL_PROGRESS[0]),
    }
    with engine.connect() as conn:
        return {
            table: [
                tuple(row)
                for row in conn.execute(
                    text(f"SELECT {', '.join(names)} FROM {table} ORDER BY {ORDER[table]}")
                )
            ]
            for table, names in columns.items()
        }


def _versions(engine: Engine, table: str = VERSION_TABLE) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text(f"SELECT version_num FROM {table}")).scalars())


def _layout(engine: Engine) -> dict[str, Any]:
    """Everything about the log's tables that a reader or writer could notice."""
    inspector = inspect(engine)
    layout: dict[str, Any] = {}
    for table in TABLES:
        pk = inspector.get_pk_constraint(table)
        layout[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            ],
            "pk": (pk["name"], pk["constrained_columns"]),
            "unique": sorted(
                (u["name"] or "", tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (i["name"] or "", tuple(i["column_names"]), i["unique"])
                for i in inspector.get_indexes(table)
            ),
        }
    if engine.dialect.name == "sqlite":
        # SQLite keeps the DDL text itself: it must be the same but for spacing.
        with engine.connect() as conn:
            entries = conn.execute(
                text(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master "
                    "WHERE tbl_name IN ('predictions', 'labels', 'journal_progress') "
                    "ORDER BY name"
                )
            )
            layout["sqlite_master"] = [
                (kind, name, table, sql and " ".join(sql.split()))
                for kind, name, table, sql in entries
            ]
    return layout


def _differences(engine: Engine) -> list[Any]:
    """Alembic's comparison of the database with predictionlog/schema.py."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        return list(compare_metadata(context, metadata))


def _statements_during(engine: Engine, work: Callable[[], None]) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    opened = _open(store_url)
    try:
        yield opened
    finally:
        opened.dispose()


@pytest.fixture
def second_url(store_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Another empty database on the same backend as ``store_url``."""
    backend = "sqlite" if store_url.startswith("sqlite") else "postgresql"
    with empty_database(backend, request, tmp_path / "second.db") as url:
        yield url


@contextmanager
def _held_advisory_lock(url: str) -> Iterator[None]:
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (PG_LOCK_KEY,))
        yield  # closing the session releases its lock


@pytest.fixture
def hold_migration_lock(store_url: str) -> Callable[[], AbstractContextManager[None]]:
    """Holds, from another connection, the lock that ``migrate`` takes to migrate."""
    if store_url.startswith("sqlite"):
        return lambda: held_write_lock(Path(store_url.removeprefix("sqlite:///")))
    return lambda: _held_advisory_lock(store_url)


def _in_thread(work: Callable[[], None]) -> tuple[threading.Thread, threading.Event, list[Any]]:
    done = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done, errors


# --- upgrading today's databases ------------------------------------------------------


def test_database_written_before_versioning_keeps_every_row(engine: Engine) -> None:
    _create_unversioned(engine)
    assert _rows(engine) == _expected_rows()
    assert current_revision(engine) is None

    migrate(engine)

    assert current_revision(engine) == head_revision()
    assert _versions(engine) == [head_revision()]
    assert _rows(engine) == _expected_rows()
    assert _differences(engine) == []
    # seq goes on from where it was: the autoincrement survived.
    with engine.begin() as conn:
        row = {**PREDICTIONS[0], "prediction_id": "0190f0e0-0000-7000-8000-000000000004"}
        conn.execute(
            text(
                f"INSERT INTO predictions ({', '.join(row)}) "
                f"VALUES ({', '.join(':' + name for name in row)})"
            ),
            row,
        )
        seq = conn.execute(
            text("SELECT seq FROM predictions WHERE prediction_id = :id"),
            {"id": row["prediction_id"]},
        ).scalar_one()
    assert seq == len(PREDICTIONS) + 1


def test_revision_0001_creates_exactly_the_tables_of_before(
    engine: Engine, second_url: str
) -> None:
    _create_unversioned(engine)
    migrated = _open(second_url)
    try:
        with migrated.begin() as conn:
            command.upgrade(alembic_config(conn), INITIAL_REVISION)
        assert _versions(migrated) == [INITIAL_REVISION]
        assert _layout(migrated) == _layout(engine)
    finally:
        migrated.dispose()


def test_an_unversioned_database_whose_version_table_is_empty_is_stamped(engine: Engine) -> None:
    _create_unversioned(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {VERSION_TABLE} (version_num VARCHAR(32) NOT NULL)")
    migrate(engine)
    assert _versions(engine) == [head_revision()]
    assert _rows(engine) == _expected_rows()


def test_tables_of_no_known_layout_are_refused(tmp_path: Path) -> None:
    engine = _open(sqlite_url(tmp_path / "partial.db"))
    try:
        with engine.begin() as conn:
            # A development build before journal_progress existed.
            for statement in UNVERSIONED_DDL["sqlite"].split(";"):
                if statement.strip() and "journal_progress" not in statement:
                    conn.exec_driver_sql(statement)
        with pytest.raises(RuntimeError, match="not those of the release before versioning") as e:
            migrate(engine)
        assert "journal_progress(" in str(e.value)
        assert current_revision(engine) is None  # nothing written
    finally:
        engine.dispose()


# --- empty databases, repeated calls, schema.py -----------------------------------------


def test_an_empty_database_gets_the_head_and_matches_schema_py(engine: Engine) -> None:
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert _versions(engine) == [head_revision()]
    assert _differences(engine) == []
    assert set(TABLES) <= set(inspect(engine).get_table_names())


def test_migrating_an_up_to_date_database_only_reads(engine: Engine) -> None:
    migrate(engine)
    layout = _layout(engine)

    statements = _statements_during(engine, lambda: migrate(engine))

    assert statements, "migrate read nothing"
    writes = re.compile(r"\b(IMMEDIATE|CREATE|INSERT|UPDATE|DELETE|ALTER|DROP|pg_advisory)", re.I)
    assert [s for s in statements if writes.search(s)] == []
    assert _layout(engine) == layout
    assert _versions(engine) == [head_revision()]


def test_an_up_to_date_database_is_not_held_up_by_the_lock(
    engine: Engine, hold_migration_lock: Callable[[], AbstractContextManager[None]]
) -> None:
    migrate(engine)
    with hold_migration_lock():
        thread, done, errors = _in_thread(lambda: migrate(engine))
        finished = done.wait(timeout=3)
    thread.join(timeout=60)
    assert finished, "migrate waited for the lock although there was nothing to do"
    assert errors == []


def test_a_migration_waits_for_the_lock(
    engine: Engine, hold_migration_lock: Callable[[], AbstractContextManager[None]]
) -> None:
    with hold_migration_lock():
        thread, done, errors = _in_thread(lambda: migrate(engine))
        assert not done.wait(timeout=1.5), "migrate did not wait for the lock"
    thread.join(timeout=120)
    assert done.is_set()
    assert errors == []
    assert current_revision(engine) == head_revision()


@pytest.mark.parametrize("isolation", ["default", "repeatable read"])
def test_a_process_that_waited_finds_the_migration_done(
    engine: Engine, store_url: str, isolation: str, caplog: pytest.LogCaptureFixture
) -> None:
    other = _open(store_url)
    postgres = other.dialect.name == "postgresql"
    if isolation != "default":
        if not postgres:
            pytest.skip("SQLite has no isolation levels to choose")
        database = other.url.database
        with other.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(
                f"ALTER DATABASE \"{database}\" SET default_transaction_isolation = '{isolation}'"
            )
    caplog.set_level(logging.INFO, logger="predictionlog.schema_migrations")
    try:
        with other.connect() as conn:
            if postgres:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
                conn.commit()
            with conn.begin():  # SQLite: BEGIN IMMEDIATE, the write lock
                thread, done, errors = _in_thread(lambda: migrate(engine))
                assert not done.wait(timeout=1.0), "migrate did not wait for the lock"
                # Another process migrates while this one waits.
                command.upgrade(alembic_config(conn), "head")
            if postgres:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
                conn.commit()
            thread.join(timeout=120)
    finally:
        other.dispose()
    assert done.is_set() and errors == []
    assert current_revision(engine) == head_revision()
    # It found the head once it had the lock: no failed attempt, nothing migrated twice.
    assert [r.getMessage() for r in caplog.records if r.name.startswith("predictionlog")] == []


def test_a_sqlite_engine_not_made_by_create_log_engine(tmp_path: Path) -> None:
    # pysqlite's own transaction handling begins only before a write, and DDL not
    # at all: migrate takes the write lock itself, first.
    engine = create_engine(sqlite_url(tmp_path / "plain.db"))
    try:
        statements = _statements_during(engine, lambda: migrate(engine))
        locked = statements.index("BEGIN IMMEDIATE")
        assert not any(s.startswith("CREATE") for s in statements[:locked])
        assert current_revision(engine) == head_revision()
        assert _differences(engine) == []
    finally:
        engine.dispose()


# --- many processes at once -----------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _migrate_in_child(url: str, start_at: float) -> tuple[int, str | None, int, int]:
    """(pid, revision after, migrations done by this process, retries it needed)."""
    collect = _Collect()
    logger = logging.getLogger("predictionlog.schema_migrations")
    logger.setLevel(logging.INFO)
    logger.addHandler(collect)
    engine = _open(url)  # the store's start-up: WAL, then the schema
    try:
        time.sleep(max(0.0, start_at - time.time()))
        migrate(engine)
        levels = [record.levelno for record in collect.records]
        return (
            os.getpid(),
            current_revision(engine),
            levels.count(logging.INFO),
            levels.count(logging.WARNING),
        )
    finally:
        engine.dispose()


def _warm(_: int) -> int:
    time.sleep(0.2)  # keeps this worker busy so that each worker takes one
    return os.getpid()


@pytest.mark.slow
@pytest.mark.parametrize("start", ["empty", "unversioned"])
def test_processes_migrating_at_once(store_url: str, start: str) -> None:
    if start == "unversioned":
        engine = _open(store_url)
        _create_unversioned(engine)
        engine.dispose()
    processes = 4
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        pool.map(_warm, range(processes), chunksize=1)  # imports done before the start
        start_at = time.time() + 1.0
        results = pool.starmap(_migrate_in_child, [(store_url, start_at)] * processes, chunksize=1)
    pids, revisions, migrations, retries = zip(*results, strict=True)
    assert len(set(pids)) == processes
    assert list(revisions) == [head_revision()] * processes
    # One process migrated; the others waited for its lock, then found the head.
    assert sum(migrations) == 1
    assert sum(retries) == 0
    engine = _open(store_url)
    try:
        assert _versions(engine) == [head_revision()]
        assert _differences(engine) == []
        if start == "unversioned":
            assert _rows(engine) == _expected_rows()
    finally:
        engine.dispose()


# --- what migrate refuses, and what it leaves alone ------------------------------------


def test_a_revision_from_a_newer_release_is_refused(engine: Engine) -> None:
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '0099_from_the_future'"))
    with pytest.raises(RuntimeError) as raised:
        migrate(engine)
    message = str(raised.value)
    assert "0099_from_the_future" in message
    assert head_revision() in message
    assert "newer release" in message
    assert _versions(engine) == ["0099_from_the_future"]


@pytest.mark.parametrize("start", ["empty", "unversioned"])
def test_mlflow_alembic_version_is_left_alone(engine: Engine, start: str) -> None:
    assert VERSION_TABLE.lower() != "alembic_version"
    with engine.begin() as conn:
        # What MLflow's tracking store keeps in the same database.
        conn.exec_driver_sql(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"
        )
        conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('1b5f0d9ad7c1')")
        conn.exec_driver_sql("CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY)")
    if start == "unversioned":
        _create_unversioned(engine)

    migrate(engine)
    migrate(engine)

    assert _versions(engine) == [head_revision()]
    assert _versions(engine, "alembic_version") == ["1b5f0d9ad7c1"]
    assert "experiments" in inspect(engine).get_table_names()
    if start == "unversioned":
        assert _rows(engine) == _expected_rows()


# --- the revisions themselves ----------------------------------------------------------


def test_revisions_form_one_line_of_readable_ids() -> None:
    directory = ScriptDirectory.from_config(alembic_config())
    scripts = list(directory.walk_revisions())
    assert directory.get_heads() == [head_revision()]
    assert scripts[-1].revision == INITIAL_REVISION and scripts[-1].down_revision is None
    for number, script in enumerate(reversed(scripts), 1):
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+", script.revision), script.revision
        assert int(script.revision[:4]) == number  # no gaps, no two of one number
        assert len(script.revision) <= 32  # the version table's VARCHAR(32)
        assert script.path is not None and Path(script.path).stem == script.revision


def test_next_revision_id_follows_the_head() -> None:
    number = int(head_revision()[:4]) + 1
    assert next_revision_id("Numeric labels, too!") == f"{number:04d}_numeric_labels_too"
    assert len(next_revision_id("x" * 100)) == 32
    with pytest.raises(ValueError):
        next_revision_id("!!!")


def test_upgrade_and_current_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = sqlite_url(tmp_path / "cli.db")
    assert migrations_main(["current", url]) == 0
    assert capsys.readouterr().out.strip() == f"database: none; head: {head_revision()}"
    assert migrations_main(["upgrade", url]) == 0
    assert capsys.readouterr().out.strip() == (
        f"database: {head_revision()}; head: {head_revision()}"
    )


def test_env_py_refuses_to_run_without_a_connection() -> None:
    # env.py refuses to open a connection of its own (it would bypass the lock).
    with pytest.raises(RuntimeError, match="passes a connection"):
        command.upgrade(alembic_config(), "head")
