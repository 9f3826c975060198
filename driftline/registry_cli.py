"""`driftline promote`, `driftline rollback` and `driftline versions`: the registry's aliases.

Registry access lives in this package (driftline/registry.py), so its commands do too;
MLflow is imported only when one runs.
"""

from __future__ import annotations

import argparse
import json

from driftline.cli_errors import EXIT_OK
from driftline.cli_options import add_name_option, settings_for
from driftline.registry_contract import PROMOTION_DECISION_TAG


def cmd_promote(args: argparse.Namespace) -> int:
    from driftline import registry
    from driftline.mlflow_setup import connect

    settings = settings_for(args)
    client = connect(settings)
    before = registry.promote(client, settings.model_name, args.version)
    print(f"champion of {settings.model_name}: {before or 'none'} -> {args.version}")
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace) -> int:
    from driftline import registry
    from driftline.mlflow_setup import connect

    settings = settings_for(args)
    client = connect(settings)
    before, after = registry.rollback(client, settings.model_name, args.to)
    print(f"champion of {settings.model_name}: {before or 'none'} -> {after}")
    return EXIT_OK


def cmd_versions(args: argparse.Namespace) -> int:
    from driftline import registry
    from driftline.mlflow_setup import connect

    settings = settings_for(args)
    client = connect(settings)
    versions = registry.list_versions(client, settings.model_name)
    if args.json:
        print(
            json.dumps(
                {"model": settings.model_name, "versions": [v.to_json() for v in versions]},
                indent=2,
            )
        )
        return EXIT_OK
    print(f"{'version':>7}  {'aliases':<20} {'accuracy':>8} {'roc_auc':>8}  decision")
    for v in versions:
        acc = v.metrics.get("accuracy")
        auc = v.metrics.get("roc_auc")
        print(
            f"{v.version:>7}  {','.join(v.aliases) or '-':<20} "
            f"{'-' if acc is None else f'{acc:.4f}':>8} {'-' if auc is None else f'{auc:.4f}':>8}"
            f"  {v.tags.get(PROMOTION_DECISION_TAG, '-')}"
        )
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this package's subcommands to the `driftline` parser."""
    p = subparsers.add_parser("promote", help="point the champion alias at VERSION")
    p.add_argument("version")
    add_name_option(p)
    p.set_defaults(func=cmd_promote)

    p = subparsers.add_parser("rollback", help="move champion back to the previous champion")
    p.add_argument("--to", metavar="VERSION", help="roll back to this version instead")
    add_name_option(p)
    p.set_defaults(func=cmd_rollback)

    p = subparsers.add_parser("versions", help="list registered versions with metrics and aliases")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_name_option(p)
    p.set_defaults(func=cmd_versions)
