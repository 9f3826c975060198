"""A throwaway PostgreSQL server on 127.0.0.1 for the store tests.

``initdb`` into a fresh directory, ``pg_ctl start`` on a free port, and
``pg_ctl stop -m fast`` on the way out, also when the test failed. As root the
binaries run as the ``postgres`` user (PostgreSQL refuses to run as root), in a
temporary directory that user owns.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from stack.processes import free_port

PG_BIN = Path(os.environ.get("DRIFTLINE_PG_BIN", "/usr/lib/postgresql/15/bin"))
MISSING_REASON = (
    f"PostgreSQL server binaries not found in {PG_BIN} "
    "(install the Debian package postgresql-15, or set DRIFTLINE_PG_BIN)"
)


def binaries_installed() -> bool:
    return all((PG_BIN / name).is_file() for name in ("initdb", "pg_ctl", "postgres"))


@dataclass(frozen=True)
class PostgresServer:
    port: int
    user: str = "postgres"

    def admin_conninfo(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres"

    def create_database(self) -> str:
        """A new empty database; returns its name."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"


def _run(argv: list[str], as_postgres: bool) -> subprocess.CompletedProcess[str]:
    if as_postgres:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done


@contextmanager
def throwaway_postgres(scratch: Path) -> Iterator[PostgresServer]:
    """Start a server with its data under ``scratch`` (or a postgres-owned temp dir as root)."""
    as_root = os.geteuid() == 0
    if as_root:
        # pytest's tmp_path is private to root; postgres needs a directory of its own.
        workdir = Path(tempfile.mkdtemp(prefix="driftline-pg-"))
        shutil.chown(workdir, "postgres", "postgres")
    else:
        workdir = scratch / "postgres"
        workdir.mkdir(parents=True)
    data = workdir / "data"
    log = workdir / "server.log"
    port = free_port()
    try:
        _run(
            [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--no-sync"],
            as_root,
        )  # fmt: skip
        try:
            _run(
                [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                 # fsync=off: a throwaway server; nothing here tests PostgreSQL's own
                 # crash safety, and shutdown no longer flushes every test database.
                 "-o", f"-k {workdir} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off",
                 "start"],
                as_root,
            )  # fmt: skip
            yield PostgresServer(port=port)
        except RuntimeError as exc:
            server_log = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{exc}\nserver log:\n{server_log}") from exc
        finally:
            subprocess.run(
                (["runuser", "-u", "postgres", "--"] if as_root else [])
                + [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                capture_output=True,
                timeout=120,
                check=False,
            )
    finally:
        if as_root:
            shutil.rmtree(workdir, ignore_errors=True)
