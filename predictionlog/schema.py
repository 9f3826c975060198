"""Tables of the prediction log (documented in docs/prediction-log.md).

Written by the inference servers, read by the drift exporter and by retraining.
``seq`` columns grow with every insert. On SQLite (one writer at a time) they
also become visible in that order, so readers fetch what is new since their last
read with ``WHERE seq > :last``. On PostgreSQL they do not: ``xact_id`` holds the
id of the writing transaction (``pg_current_xact_id()``, a column default set by
migration 0002, which SQLite has no equivalent of: NULL there, and NULL for rows
written before that migration), and readers go by it (exporter/store_reader.py,
docs/prediction-log.md).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from predictionlog.row_codec import (
    CLASS_LENGTH,
    MODEL_NAME_LENGTH,
    MODEL_VERSION_LENGTH,
    PREDICTION_ID_LENGTH,
)

metadata = MetaData()

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
_Seq = BigInteger().with_variant(Integer(), "sqlite")


def _commit_order_index(table: str) -> Index:
    """``(xact_id, seq)``, what readers of PostgreSQL go by. Partial: rows without
    ``xact_id`` are never looked up by it, and on SQLite (always NULL) it stays empty."""
    written = text("xact_id IS NOT NULL")
    return Index(
        f"ix_{table}_commit_order", "xact_id", "seq", postgresql_where=written, sqlite_where=written
    )


predictions = Table(
    "predictions",
    metadata,
    Column("seq", _Seq, primary_key=True, autoincrement=True),
    Column("prediction_id", String(PREDICTION_ID_LENGTH), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),  # Unix seconds
    Column("model_name", String(MODEL_NAME_LENGTH), nullable=False),
    Column("model_version", String(MODEL_VERSION_LENGTH), nullable=False),
    Column("features", Text, nullable=False),  # JSON object: feature -> value or null
    Column("predicted_class", String(CLASS_LENGTH), nullable=False),  # str() of the class
    Column("probabilities", Text, nullable=False),  # JSON object: class -> probability
    Column("xact_id", BigInteger, nullable=True),  # writing transaction (docstring)
    Index("ix_predictions_model_time", "model_name", "model_version", "created_at"),
    Index("ix_predictions_created_at", "created_at"),
    _commit_order_index("predictions"),
)

labels = Table(
    "labels",
    metadata,
    Column("seq", _Seq, primary_key=True, autoincrement=True),
    Column("prediction_id", String(PREDICTION_ID_LENGTH), nullable=False, unique=True),
    Column("label", String(CLASS_LENGTH), nullable=False),  # str() of the true class
    Column("received_at", Float, nullable=False),  # Unix seconds
    Column("xact_id", BigInteger, nullable=True),  # writing transaction (docstring)
    Index("ix_labels_received_at", "received_at"),
    _commit_order_index("labels"),
)

# How far each journal file (predictionlog/journal.py) has been ingested, committed
# in the same transaction as the rows, so a crash never ingests a line twice.
journal_progress = Table(
    "journal_progress",
    metadata,
    Column("journal", String(100), primary_key=True),  # file name
    Column("ingested_bytes", BigInteger, nullable=False),
)
