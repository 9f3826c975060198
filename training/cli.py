"""`driftline train` and `driftline bootstrap`: register model versions trained here.

scikit-learn, pandas and MLflow are imported only when a command runs, so
`driftline --help` answers at once (training/estimators.py is names only).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from driftline.cli_errors import EXIT_OK, CliError
from driftline.cli_options import add_name_option, add_renamed_option, settings_for
from driftline.tasks import TASKS, Task
from reference.role_flags import add_role_options, role_flags
from training.estimators import (
    ALL_ESTIMATORS,
    CLASSIFIERS,
    DEFAULT_ESTIMATOR,
    ESTIMATORS,
    check_estimator,
)

# The classifiers under their old name; tests/cli holds it equal to training.pipeline's.
MODEL_KINDS = CLASSIFIERS
# The synthetic data sets (training/dataset.py SYNTHETIC_SETS), spelled here so
# `--help` does not import pandas; tests/training holds the two equal.
SYNTHETIC_SETS = ("churn", "houses")


def _columns(value: str | None) -> list[str] | None:
    return [c.strip() for c in value.split(",") if c.strip()] if value else None


def cmd_train(args: argparse.Namespace) -> int:
    if args.promote and args.challenger:
        raise CliError("--promote and --challenger exclude each other")
    if args.data and args.synthetic:
        raise CliError("--data and --synthetic exclude each other")
    flags = role_flags(args)
    if not args.data and flags != type(flags)():
        raise CliError("--id-column, --time-column, --drop and --strict need --data")
    if args.task is not None and args.estimator is not None:
        _estimator(args.estimator, args.task)  # refused before the data is read

    from training.dataset import DatasetError, load
    from training.train import TrainOptions, fit_and_log

    settings = settings_for(args)
    try:
        data = load(
            Path(args.data) if args.data else None,
            args.target,
            numeric=_columns(args.numeric),
            categorical=_columns(args.categorical),
            rows=args.rows,
            seed=args.seed,
            task=args.task,
            synthetic_set=args.synthetic or "churn",
            roles=flags,
        )
    except DatasetError as exc:
        raise CliError(str(exc)) from exc
    for line in data.roles.describe():
        print(line)
    print(data.task_choice.describe())
    kind = _estimator(args.estimator or DEFAULT_ESTIMATOR[data.task], data.task)
    result, _ = fit_and_log(
        settings, data, TrainOptions(model_kind=kind, seed=args.seed, promote=args.promote)
    )
    if args.challenger:
        from driftline import registry
        from driftline.mlflow_setup import connect

        registry.set_challenger(connect(settings), settings.model_name, result.version)
        print(f"challenger: {result.version}")
    figures = ", ".join(f"{k}={v:.4f}" for k, v in result.metrics.items())
    print(
        f"trained {result.model_name} version {result.version} ({result.task}, {kind}) "
        f"(run {result.run_id}): {figures}"
    )
    if result.promoted:
        print(f"champion: {result.previous_champion or 'none'} -> {result.version}")
    return EXIT_OK


def _estimator(kind: str, task: Task) -> str:
    try:
        return check_estimator(kind, task)
    except ValueError as exc:
        raise CliError(f"--estimator: {exc}") from exc


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from training.bootstrap import bootstrap

    bootstrap(
        settings_for(args), rows=args.rows, wait_seconds=args.wait, synthetic_set=args.synthetic
    )
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this package's subcommands to the `driftline` parser."""
    p = subparsers.add_parser(
        "train", help="train a model, log it to MLflow and register a version"
    )
    p.add_argument("--data", help="CSV or Parquet file (default: a synthetic data set)")
    p.add_argument("--target", help="target column of --data")
    p.add_argument(
        "--synthetic",
        choices=SYNTHETIC_SETS,
        help="without --data, the synthetic data set: churn (classification, the default) "
        "or houses (house prices, regression)",
    )
    add_name_option(p)
    p.add_argument(
        "--task",
        choices=TASKS,
        help="what the model predicts (default: inferred from the target: a numeric target "
        "with non-integer values or more than 20 distinct values is regression)",
    )
    add_renamed_option(
        p,
        "--estimator",
        "--model",
        choices=ALL_ESTIMATORS,
        default=None,
        metavar="KIND",
        help=(
            "the algorithm: "
            + "; ".join(f"{task}: {', '.join(kinds)}" for task, kinds in ESTIMATORS.items())
            + " (default: "
            + ", ".join(f"{DEFAULT_ESTIMATOR[t]} for {t}" for t in TASKS)
            + ")"
        ),
    )
    p.add_argument("--numeric", help="comma-separated columns to treat as numeric")
    p.add_argument("--categorical", help="comma-separated columns to treat as categorical")
    add_role_options(p)
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
    add_name_option(p)
    p.add_argument(
        "--synthetic",
        choices=SYNTHETIC_SETS,
        default="churn",
        help="the synthetic data set to train on (default churn)",
    )
    p.add_argument("--rows", type=int, default=20_000, help="rows of synthetic data")
    p.add_argument("--wait", type=float, default=120.0, help="seconds to wait for MLflow")
    p.set_defaults(func=cmd_bootstrap)
