"""Alembic script directory of the prediction log's schema (driven by schema_migrations.py).

``versions/`` holds one file per revision, ``env.py`` runs them on the connection that
``predictionlog.schema_migrations.migrate`` hands over, ``script.py.mako`` is the template
``python -m predictionlog.migrations revision`` fills for a new revision.
"""
