"""The tables as the first release created them with ``metadata.create_all``.

Revision ID: 0001_initial
Revises:
Create Date: 2026-12-04

A database written before migrations existed holds exactly these tables and is
stamped with this revision instead of running it (schema_migrations.py). The
definitions are spelled out here, not imported from predictionlog/schema.py,
because schema.py moves on with later revisions while this one must not.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("prediction_id", sa.String(36), nullable=False, unique=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(50), nullable=False),
        sa.Column("features", sa.Text, nullable=False),
        sa.Column("predicted_class", sa.String(200), nullable=False),
        sa.Column("probabilities", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_predictions_model_time", "predictions", ["model_name", "model_version", "created_at"]
    )
    op.create_index("ix_predictions_created_at", "predictions", ["created_at"])
    op.create_table(
        "labels",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("prediction_id", sa.String(36), nullable=False, unique=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
    )
    op.create_index("ix_labels_received_at", "labels", ["received_at"])
    op.create_table(
        "journal_progress",
        sa.Column("journal", sa.String(100), primary_key=True),
        sa.Column("ingested_bytes", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_table("journal_progress")
    op.drop_table("labels")
    op.drop_table("predictions")
