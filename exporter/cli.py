"""Command-line glue for `driftline` subcommands of this package (to be written)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this package's subcommands to the `driftline` parser."""
