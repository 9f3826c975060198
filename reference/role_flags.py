"""The column-role flags of every command that reads a user's table: one spelling, one help.

`driftline train` and `driftline profile` use them (docs/your-data.md).
Standard library only, so `driftline --help` stays fast; the rules that act on
the flags are reference/column_roles.py's.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class RoleFlags:
    """What the user said: ``--id-column``, ``--time-column``, ``--drop``, ``--strict``."""

    id_columns: tuple[str, ...] = ()
    time_column: str | None = None
    drop: tuple[str, ...] = ()
    strict: bool = False


def add_role_options(parser: argparse.ArgumentParser) -> None:
    """Add the four flags to ``parser``; ``role_flags`` reads them back."""
    parser.add_argument(
        "--id-column",
        action="append",
        default=[],
        metavar="COL",
        help="a row identifier: stored with predictions when sent, never a feature (repeatable)",
    )
    parser.add_argument(
        "--time-column",
        metavar="COL",
        help="the rows' time: the newest share becomes the holdout, never a feature",
    )
    parser.add_argument(
        "--drop", action="append", default=[], metavar="COL", help="a column to ignore (repeatable)"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse to guess roles: fail naming any column that looks like an id or a time",
    )


def role_flags(args: argparse.Namespace) -> RoleFlags:
    return RoleFlags(
        id_columns=tuple(args.id_column),
        time_column=args.time_column,
        drop=tuple(args.drop),
        strict=args.strict,
    )
