"""Options several `driftline` commands share, each written once: flag, help, default, old spelling.

`--name NAME` is the registered model name in every command that takes one (issue 13:
`--model` meant an estimator in `train` and a registered name in `retrain`). Renamed
options keep their old spelling for one release: it sets the same destination and
prints ``driftline COMMAND: --old is deprecated, use --new`` on stderr.

In the ground floor so every package's `cli.py` can use it; it imports only the
standard library and driftline/config.py, so `driftline --help` stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from typing import Any

from driftline.config import DEFAULT_MODEL_NAME, Settings

NAME_OPTION = "--name"
NAME_HELP = f"registered model name (default: DRIFTLINE_MODEL_NAME, else {DEFAULT_MODEL_NAME})"


class DeprecatedSpelling(argparse.Action):
    """An option's old spelling: stores like the new one and says so on stderr."""

    def __init__(
        self, option_strings: Sequence[str], dest: str, *, replacement: str, **kwargs: Any
    ) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.replacement = replacement

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        # parser.prog is the subcommand's, e.g. "driftline retrain".
        print(
            f"{parser.prog}: {option_string} is deprecated, use {self.replacement}",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, values)


def add_renamed_option(
    parser: argparse.ArgumentParser, new: str, old: str, **kwargs: Any
) -> argparse.Action:
    """Add option ``new`` (``kwargs`` as for ``add_argument``) and its deprecated spelling ``old``.

    ``old`` takes the same destination, type, choices and metavar, warns when used, and
    may not be given together with ``new`` (which of two values was meant is a guess).
    """
    group = parser.add_mutually_exclusive_group(required=kwargs.pop("required", False))
    action = group.add_argument(new, **kwargs)
    same: dict[str, Any] = {"dest": action.dest, "choices": action.choices}
    if action.type is not None:
        same["type"] = action.type
    group.add_argument(
        old,
        action=DeprecatedSpelling,
        replacement=new,
        metavar=action.metavar or action.dest.upper(),
        default=argparse.SUPPRESS,  # the new option's default stands
        help=f"deprecated spelling of {new}",
        **same,
    )
    return action


def model_name(value: str) -> str:
    """An argparse type: a registered model name, refused when blank (not silently the default)."""
    if not value.strip():
        raise argparse.ArgumentTypeError("a model name cannot be empty")
    return value


def add_name_option(parser: argparse.ArgumentParser, *, old: str | None = None) -> argparse.Action:
    """Add ``--name NAME`` (destination ``name``) and, if given, ``old`` as its old spelling.

    Unless given, ``name`` is None: DRIFTLINE_MODEL_NAME, read when the command runs
    (``settings_for``), not when the parser is built.
    """
    options: dict[str, Any] = {
        "dest": "name",
        "type": model_name,
        "metavar": "NAME",
        "default": None,
        "help": NAME_HELP,
    }
    if old is None:
        return parser.add_argument(NAME_OPTION, **options)
    return add_renamed_option(parser, NAME_OPTION, old, **options)


def settings_for(args: argparse.Namespace, environ: dict[str, str] | None = None) -> Settings:
    """Settings from the environment, with the model name of ``--name`` when it was given."""
    settings = Settings.from_env(environ)
    if args.name is None:
        return settings
    return dataclasses.replace(settings, model_name=args.name)
