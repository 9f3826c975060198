"""Tables of the prediction log (documented in docs/prediction-log.md).

Written by the inference servers, read by the drift exporter and by retraining.
``seq`` columns grow with every insert so readers can fetch only what is new
since their last read (``WHERE seq > :last``).
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
    Index("ix_predictions_model_time", "model_name", "model_version", "created_at"),
    Index("ix_predictions_created_at", "created_at"),
)

labels = Table(
    "labels",
    metadata,
    Column("seq", _Seq, primary_key=True, autoincrement=True),
    Column("prediction_id", String(PREDICTION_ID_LENGTH), nullable=False, unique=True),
    Column("label", String(CLASS_LENGTH), nullable=False),  # str() of the true class
    Column("received_at", Float, nullable=False),  # Unix seconds
    Index("ix_labels_received_at", "received_at"),
)

# How far each journal file (predictionlog/journal.py) has been ingested, committed
# in the same transaction as the rows, so a crash never ingests a line twice.
journal_progress = Table(
    "journal_progress",
    metadata,
    Column("journal", String(100), primary_key=True),  # file name
    Column("ingested_bytes", BigInteger, nullable=False),
)
