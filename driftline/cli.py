"""The `driftline` command: one entry point with a subcommand per job.

Exit codes: 0 success, 1 the operation failed, 2 bad input (usage, unknown
version, unusable data file).

Subcommands import MLflow and scikit-learn only when they run, so `--help`
and argument errors answer at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import exporter.cli
import retraining.cli
import serving.cli
import stack.cli
import traffic.cli
from driftline.config import Settings
from driftline.registry_contract import PROMOTION_DECISION_TAG
from driftline.registry_errors import RegistryError

# Kept here rather than imported from training.pipeline, which pulls in scikit-learn.
MODEL_KINDS = ("logreg", "gbm", "forest")

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def _columns(value: str | None) -> list[str] | None:
    return [c.strip() for c in value.split(",") if c.strip()] if value else None


def cmd_train(args: argparse.Namespace) -> int:
    from training.dataset import DatasetError, load
    from training.train import TrainOptions, fit_and_log

    settings = Settings.from_env()
    try:
        data = load(
            Path(args.data) if args.data else None,
            args.target,
            numeric=_columns(args.numeric),
            categorical=_columns(args.categorical),
            rows=args.rows,
            seed=args.seed,
        )
    except DatasetError as exc:
        raise CliError(str(exc)) from exc
    if args.promote and args.challenger:
        raise CliError("--promote and --challenger exclude each other")
    result, _ = fit_and_log(
        settings, data, TrainOptions(model_kind=args.model, seed=args.seed, promote=args.promote)
    )
    if args.challenger:
        from driftline import registry
        from driftline.mlflow_setup import connect

        registry.set_challenger(connect(settings), settings.model_name, result.version)
        print(f"challenger: {result.version}")
    figures = ", ".join(f"{k}={v:.4f}" for k, v in result.metrics.items())
    print(f"trained {result.model_name} version {result.version} (run {result.run_id}): {figures}")
    if result.promoted:
        print(f"champion: {result.previous_champion or 'none'} -> {result.version}")
    return 0


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from training.bootstrap import bootstrap

    bootstrap(Settings.from_env(), rows=args.rows, wait_seconds=args.wait)
    return 0


def cmd_promote(args: argparse.Namespace) -> int:
    from driftline import registry
    from driftline.mlflow_setup import connect

    settings = Settings.from_env()
    client = connect(settings)
    before = registry.promote(client, settings.model_name, args.version)
    print(f"champion of {settings.model_name}: {before or 'none'} -> {args.version}")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from driftline import registry
    from driftline.mlflow_setup import connect

    settings = Settings.from_env()
    client = connect(settings)
    before, after = registry.rollback(client, settings.model_name, args.to)
    print(f"champion of {settings.model_name}: {before or 'none'} -> {after}")
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    from driftline import registry
    from driftline.mlflow_setup import connect

    settings = Settings.from_env()
    client = connect(settings)
    versions = registry.list_versions(client, settings.model_name)
    if args.json:
        print(
            json.dumps(
                {"model": settings.model_name, "versions": [v.to_json() for v in versions]},
                indent=2,
            )
        )
        return 0
    print(f"{'version':>7}  {'aliases':<20} {'accuracy':>8} {'roc_auc':>8}  decision")
    for v in versions:
        acc = v.metrics.get("accuracy")
        auc = v.metrics.get("roc_auc")
        print(
            f"{v.version:>7}  {','.join(v.aliases) or '-':<20} "
            f"{'-' if acc is None else f'{acc:.4f}':>8} {'-' if auc is None else f'{auc:.4f}':>8}"
            f"  {v.tags.get(PROMOTION_DECISION_TAG, '-')}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="driftline",
        description="Train, serve and watch a scikit-learn model for drift. State lives under "
        "DRIFTLINE_HOME (default ./.driftline); MLFLOW_TRACKING_URI overrides the MLflow store.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train a model, log it to MLflow and register a version")
    p.add_argument("--data", help="CSV or Parquet file (default: the synthetic churn data set)")
    p.add_argument("--target", help="target column of --data")
    p.add_argument("--model", default="logreg", choices=MODEL_KINDS, help="classifier")
    p.add_argument("--numeric", help="comma-separated columns to treat as numeric")
    p.add_argument("--categorical", help="comma-separated columns to treat as categorical")
    p.add_argument(
        "--rows", type=int, default=20_000, help="rows of synthetic data (default 20000)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--promote", action="store_true", help="make the new version champion")
    p.add_argument(
        "--challenger", action="store_true", help="point the challenger alias at the new version"
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "bootstrap",
        help="train a champion and a challenger unless the registry has them (stack start-up)",
    )
    p.add_argument("--rows", type=int, default=20_000, help="rows of synthetic data")
    p.add_argument("--wait", type=float, default=120.0, help="seconds to wait for MLflow")
    p.set_defaults(func=cmd_bootstrap)

    p = sub.add_parser("promote", help="point the champion alias at VERSION")
    p.add_argument("version")
    p.set_defaults(func=cmd_promote)

    p = sub.add_parser("rollback", help="move champion back to the previous champion")
    p.add_argument("--to", metavar="VERSION", help="roll back to this version instead")
    p.set_defaults(func=cmd_rollback)

    p = sub.add_parser("versions", help="list registered versions with metrics and aliases")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_versions)

    serving.cli.register(sub)
    exporter.cli.register(sub)
    retraining.cli.register(sub)
    traffic.cli.register(sub)
    stack.cli.register(sub)
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
