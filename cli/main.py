"""The `driftline` command: its parser and `main()`.

Each package adds its own subcommands through a `register(subparsers)` function in
its `cli.py`; this module only collects them and turns errors into exit codes
(driftline/cli_errors.py). Subcommands import MLflow and scikit-learn only when
they run, so `--help` and argument errors answer at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import adoption.cli
import driftline.registry_cli
import exporter.cli
import retraining.cli
import serving.cli
import stack.cli
import traffic.cli
import training.cli
from driftline.cli_errors import EXIT_BAD_INPUT, CliError
from driftline.registry_errors import RegistryError

if TYPE_CHECKING:  # argparse's class is generic only to type checkers
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

# In the order `driftline --help` lists their commands.
REGISTRARS: tuple[Callable[[Subparsers], None], ...] = (
    training.cli.register,
    adoption.cli.register,
    driftline.registry_cli.register,
    serving.cli.register,
    exporter.cli.register,
    retraining.cli.register,
    traffic.cli.register,
    stack.cli.register,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="driftline",
        description="Train, serve and watch a scikit-learn model for drift. State lives under "
        "DRIFTLINE_HOME (default ./.driftline); MLFLOW_TRACKING_URI overrides the MLflow store.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in REGISTRARS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"driftline {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except RegistryError as exc:
        print(f"driftline {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
