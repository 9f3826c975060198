"""`driftline profile`: adopt a version registered outside driftline
(docs/bring-your-own-model.md).

MLflow, pandas and scikit-learn are imported only when the command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from driftline.cli_errors import EXIT_OK, CliError
from driftline.cli_options import add_name_option, settings_for
from driftline.registry_contract import ADOPTED_TAG, PROFILE_ARTIFACT_PATH
from driftline.tasks import TASKS
from reference.role_flags import add_role_options, role_flags


def cmd_profile(args: argparse.Namespace) -> int:
    from adoption.adopt import AdoptionError, AdoptRequest, adopt

    settings = settings_for(args)
    request = AdoptRequest(
        version=args.version,
        data=Path(args.data),
        target=args.target,
        roles=role_flags(args),
        task=args.task,
        replace=args.replace,
        seed=args.seed,
    )
    try:
        done = adopt(settings, request)
    except AdoptionError as exc:
        raise CliError(str(exc)) from exc
    facts = done.facts
    for line in done.notes:
        print(line)
    if done.run_created:
        print(f"version {args.version} has no run: made run {facts.run_id} for its artifacts")
    print(f"estimation: {done.estimation}")
    print(
        f"adopted {settings.model_name} version {args.version} ({facts.task}, {facts.estimator}): "
        f"reference profile of {done.rows} rows ({done.holdout_rows} held out for its "
        f"predictions) in run {facts.run_id} ({PROFILE_ARTIFACT_PATH}, with the training "
        f"table); tagged {ADOPTED_TAG}"
    )
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this package's subcommands to the `driftline` parser."""
    p = subparsers.add_parser(
        "profile",
        help="adopt a version registered outside driftline: its reference profile and "
        "training table from the data it was trained on",
        description="Exit 0: adopted; exit 2: refused (unknown version, data that does not "
        "fit the model, a profile already there without --replace), nothing written.",
    )
    add_name_option(p)
    p.add_argument("--version", required=True, help="the registered version to adopt")
    p.add_argument("--data", required=True, help="CSV or Parquet file it was trained on")
    p.add_argument(
        "--target",
        help="the target column (default: with a signature, the one column outside it)",
    )
    p.add_argument(
        "--task",
        choices=TASKS,
        help="what the model predicts (default: what the model says, else inferred from the "
        "target as `driftline train` does)",
    )
    add_role_options(p)
    p.add_argument("--replace", action="store_true", help="overwrite an existing profile")
    p.add_argument("--seed", type=int, default=0, help="seed of the holdout split (default 0)")
    p.set_defaults(func=cmd_profile)
