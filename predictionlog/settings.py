"""Settings of the prediction log's write side, read from the environment into a frozen value.

Environment:

- ``DRIFTLINE_PREDICTION_DB``: the database (SQLAlchemy URL); default
  ``sqlite:///<DRIFTLINE_HOME>/predictions.db`` (driftline/config.py).
- ``DRIFTLINE_PREDICTION_JOURNAL``: the journal folder; default beside a SQLite
  file, or under ``DRIFTLINE_HOME`` for a database server (journal.py).
- ``DRIFTLINE_SQLITE_SYNCHRONOUS``: NORMAL (default) or FULL, for SQLite's commits
  and the journal's appends alike (engine.py, journal.py).
- ``DRIFTLINE_INGEST_INTERVAL``: seconds between two background ingestion rounds.
- ``DRIFTLINE_RETENTION_SECONDS``, ``DRIFTLINE_RETENTION_INTERVAL_SECONDS``: retention.py.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from driftline.config import Settings
from predictionlog.engine import DEFAULT_SYNCHRONOUS, SqliteSynchronous, sqlite_synchronous_from_env
from predictionlog.journal import default_journal_dir
from predictionlog.journal_ingest import DEFAULT_INTERVAL_SECONDS as DEFAULT_INGEST_INTERVAL
from predictionlog.retention import RetentionPolicy

JOURNAL_ENV: Final = "DRIFTLINE_PREDICTION_JOURNAL"
INGEST_INTERVAL_ENV: Final = "DRIFTLINE_INGEST_INTERVAL"


def _interval(env: Mapping[str, str]) -> float:
    raw = env.get(INGEST_INTERVAL_ENV, "").strip()
    if not raw:
        return DEFAULT_INGEST_INTERVAL
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{INGEST_INTERVAL_ENV}={raw!r} is not a number") from None


@dataclass(frozen=True)
class LogSettings:
    db_url: str
    journal_dir: Path
    synchronous: SqliteSynchronous = DEFAULT_SYNCHRONOUS
    ingest_interval_seconds: float = DEFAULT_INGEST_INTERVAL
    retention: RetentionPolicy = dataclasses.field(default_factory=RetentionPolicy.default)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LogSettings:
        """The settings the environment gives; ValueError names a variable it cannot use."""
        env: Mapping[str, str] = os.environ if environ is None else environ
        settings = Settings.from_env(dict(env))
        journal = env.get(JOURNAL_ENV)
        return cls(
            db_url=settings.prediction_db_url,
            journal_dir=Path(journal)
            if journal
            else default_journal_dir(settings.prediction_db_url, settings.home),
            synchronous=sqlite_synchronous_from_env(env),
            ingest_interval_seconds=_interval(env),
            retention=RetentionPolicy.from_env(env),
        ).checked()

    def checked(self) -> LogSettings:
        if not self.ingest_interval_seconds > 0:
            raise ValueError(
                f"{INGEST_INTERVAL_ENV} must be positive, got {self.ingest_interval_seconds}"
            )
        return self

    @property
    def journal_sync(self) -> bool:
        """Whether every journal append is fdatasynced (FULL): it then survives a power loss."""
        return self.synchronous == "FULL"
