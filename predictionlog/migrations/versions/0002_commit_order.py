"""Each row records the transaction that wrote it, so readers can follow commit order.

Revision ID: 0002_commit_order
Revises: 0001_initial
Create Date: 2027-01-08

Run by predictionlog.schema_migrations.migrate inside one transaction, under its lock:
no ``autocommit_block`` (it would commit early and release the lock), and change
predictionlog/schema.py to the same result (tests/predictionlog/test_migrations.py).

On PostgreSQL ``seq`` values become visible out of order (a transaction holding a
smaller one can commit after a larger one), so the exporter reads by ``xact_id``,
the 64-bit id of the writing transaction (``pg_current_xact_id()``), up to the
oldest transaction still running (docs/prediction-log.md, Reading in commit order).
The column is added without a default first, then given one: no table rewrite, rows
written before stay NULL. Those were all committed before this revision's ALTER TABLE
(it waits for every transaction on the table), so readers take NULL as "oldest".
On SQLite, one writer at a time, ``seq`` order already is commit order and the
column stays NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_commit_order"
down_revision: str | None = "0001_initial"
branch_labels: str | None = None
depends_on: str | None = None

_TABLES = ("predictions", "labels")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in _TABLES:
        op.add_column(table, sa.Column("xact_id", sa.BigInteger, nullable=True))
        if postgresql:
            # xid8 has no direct cast to bigint; through text is the documented way.
            op.execute(
                f"ALTER TABLE {table} ALTER COLUMN xact_id "
                "SET DEFAULT (pg_current_xact_id()::text::bigint)"
            )
        # Partial: NULL rows are never looked up by it, and on SQLite it stays empty.
        op.create_index(
            f"ix_{table}_commit_order",
            table,
            ["xact_id", "seq"],
            postgresql_where=sa.text("xact_id IS NOT NULL"),
            sqlite_where=sa.text("xact_id IS NOT NULL"),
        )


def downgrade() -> None:
    for table in _TABLES:
        op.drop_index(f"ix_{table}_commit_order", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("xact_id")
