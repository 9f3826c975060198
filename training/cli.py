"""`driftline train` and `driftline bootstrap`: register model versions trained here.

scikit-learn and MLflow are imported only when a command runs, so `driftline --help`
answers at once.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from driftline.cli_errors import EXIT_OK, CliError
from driftline.config import Settings

# Kept here rather than imported from training.pipeline, which pulls in scikit-learn.
MODEL_KINDS = ("logreg", "gbm", "forest")


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
    return EXIT_OK


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from training.bootstrap import bootstrap

    bootstrap(Settings.from_env(), rows=args.rows, wait_seconds=args.wait)
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this package's subcommands to the `driftline` parser."""
    p = subparsers.add_parser(
        "train", help="train a model, log it to MLflow and register a version"
    )
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

    p = subparsers.add_parser(
        "bootstrap",
        help="train a champion and a challenger unless the registry has them (stack start-up)",
    )
    p.add_argument("--rows", type=int, default=20_000, help="rows of synthetic data")
    p.add_argument("--wait", type=float, default=120.0, help="seconds to wait for MLflow")
    p.set_defaults(func=cmd_bootstrap)
