"""Holding the SQLite write lock from outside, to make a writer wait on purpose."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def held_write_lock(db_path: Path) -> Iterator[None]:
    """Keep another connection's write transaction open for the duration of the block."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()
