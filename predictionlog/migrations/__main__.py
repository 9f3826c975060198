"""Developer and operator commands for the prediction log's schema (no alembic.ini needed).

    python -m predictionlog.migrations revision "numeric labels" [--autogenerate]
    python -m predictionlog.migrations current URL
    python -m predictionlog.migrations upgrade URL

``revision`` writes ``versions/NNNN_<slug>.py`` after the head. ``--autogenerate``
fills it with the difference between predictionlog/schema.py and a scratch SQLite
database migrated to the head: a draft to read and correct, not a finished revision.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from alembic import command

from predictionlog.engine import create_log_engine
from predictionlog.schema_migrations import (
    alembic_config,
    current_revision,
    head_revision,
    migrate,
)

# Alembic's version_num column is VARCHAR(32).
_MAX_REVISION_LENGTH = 32


def next_revision_id(message: str) -> str:
    """``NNNN_slug``: the head's number plus one, then the message in lower case."""
    number = int(head_revision().split("_", 1)[0]) + 1
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")
    if not slug:
        raise ValueError(f"a revision needs a message with letters or digits, got {message!r}")
    return f"{number:04d}_{slug}"[:_MAX_REVISION_LENGTH].rstrip("_")


def new_revision(message: str, *, autogenerate: bool = False) -> Path:
    """Write the next revision's file; returns its path."""
    rev_id = next_revision_id(message)
    if not autogenerate:
        script = command.revision(alembic_config(), message, rev_id=rev_id)
    else:
        from predictionlog.schema import metadata  # the target: schema.py as it is now

        with tempfile.TemporaryDirectory() as scratch:
            engine = create_log_engine(f"sqlite:///{scratch}/head.db")
            try:
                migrate(engine)
                with engine.begin() as conn:
                    config = alembic_config(conn)
                    config.attributes["target_metadata"] = metadata
                    script = command.revision(config, message, autogenerate=True, rev_id=rev_id)
            finally:
                engine.dispose()
    if script is None or isinstance(script, list):
        raise RuntimeError(f"alembic wrote no single revision for {message!r}")
    return Path(script.path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m predictionlog.migrations")
    commands = parser.add_subparsers(dest="command", required=True)
    revision = commands.add_parser("revision", help="write the next revision's file")
    revision.add_argument("message")
    revision.add_argument("--autogenerate", action="store_true")
    for name, help_text in (
        ("current", "print the database's revision and the head"),
        ("upgrade", "migrate the database to the head (what every process does at start-up)"),
    ):
        commands.add_parser(name, help=help_text).add_argument("url")
    args = parser.parse_args(argv)

    if args.command == "revision":
        new_revision(args.message, autogenerate=args.autogenerate)  # alembic prints the path
        return 0
    engine = create_log_engine(args.url)
    try:
        if args.command == "upgrade":
            migrate(engine)
        print(f"database: {current_revision(engine) or 'none'}; head: {head_revision()}")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
