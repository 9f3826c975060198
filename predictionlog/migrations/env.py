"""Alembic's entry point: run the revisions on the connection the caller passes in.

Never opens a connection of its own: ``predictionlog.schema_migrations`` hands over
one whose transaction is already open and holds the migration lock, so Alembic
runs every step inside that transaction and the caller commits it (all or nothing).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from predictionlog.schema_migrations import VERSION_TABLE

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "the prediction log's migrations run through predictionlog.schema_migrations "
        "(migrate, or python -m predictionlog.migrations), which passes a connection"
    )

context.configure(
    connection=connection,
    # Only for ``revision --autogenerate``: running the revisions never needs it.
    target_metadata=context.config.attributes.get("target_metadata"),
    # Not alembic_version: MLflow keeps its own revision there in the same database.
    version_table=VERSION_TABLE,
    # Every revision runs on SQLite too, which alters most things by copying the
    # table: autogenerate writes batch operations (plain ALTERs on PostgreSQL).
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
