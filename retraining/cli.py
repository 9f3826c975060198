"""`driftline retrain`: the command the PHP worker runs (docs/retrain-outcome.md)."""

from __future__ import annotations

import argparse
import json
import sys
import traceback

from driftline.cli_errors import EXIT_FAILED, EXIT_OK
from driftline.cli_options import add_name_option, add_renamed_option, settings_for
from driftline.retrain_contract import make_outcome

EXIT_DECIDED = EXIT_OK  # promoted or rejected: the job did its work


def _alert_names(reason: str) -> tuple[str, ...]:
    """Alert names from a JSON reason (``{"alerts": ["A", ...]}``); none from free text."""
    try:
        doc = json.loads(reason)
    except json.JSONDecodeError:
        return ()
    alerts = doc.get("alerts") if isinstance(doc, dict) else None
    if not isinstance(alerts, list):
        return ()
    return tuple(sorted({str(a) for a in alerts if isinstance(a, str | int)}))


def cmd_retrain(args: argparse.Namespace) -> int:
    from retraining.data_mix import MixPolicy
    from retraining.run import RetrainRequest, outcome_line, retrain

    settings = settings_for(args)
    request = RetrainRequest(
        job_id=args.job_id,
        reason=args.reason or "",
        alerts=_alert_names(args.reason or ""),
        window_seconds=args.window_seconds,
        margin=args.margin,
        model_kind=args.estimator,
        policy=MixPolicy(
            holdout_share=args.holdout_share,
            original_share=args.original_share,
            min_recent_rows=args.min_recent_rows,
        ),
    )
    try:
        outcome = retrain(settings, request)
    except Exception as exc:  # the worker needs the line whatever went wrong
        traceback.print_exc(file=sys.stderr)
        outcome = make_outcome(
            "failed", settings.model_name, args.job_id, message=f"{type(exc).__name__}: {exc}"
        )
    sys.stdout.flush()
    print(outcome_line(outcome))
    return EXIT_FAILED if outcome["status"] == "failed" else EXIT_DECIDED


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "retrain",
        help="train a challenger on recent labelled data; promote it only if it beats champion",
        description="Prints one JSON outcome line last (docs/retrain-outcome.md). Exit 0: "
        "promoted or rejected; exit 1: failed, nothing served changed.",
    )
    add_name_option(p, old="--model")  # --model: the name's spelling before issue 13
    p.add_argument("--job-id", help="the receiver's job id, stored as a run tag")
    p.add_argument("--reason", help="why: free text or the receiver's JSON (alerts, values)")
    p.add_argument(
        "--window-seconds",
        type=float,
        default=1200.0,
        help="how far back labelled predictions count (default 1200)",
    )
    p.add_argument(
        "--margin",
        type=float,
        default=0.01,
        help="how much better the challenger must be on the recent holdout (default 0.01): "
        "for a classifier, accuracy points to gain (0.01: one point higher); for a regression "
        "model, the share of the champion's mean absolute error to remove (0.01: an MAE 1%% "
        "lower)",
    )
    add_renamed_option(
        p,
        "--estimator",
        "--model-kind",
        metavar="KIND",
        help="challenger's algorithm, one of the champion's task (default: champion's)",
    )
    p.add_argument("--holdout-share", type=float, default=0.3)
    p.add_argument("--original-share", type=float, default=0.2)
    p.add_argument("--min-recent-rows", type=int, default=200)
    p.set_defaults(func=cmd_retrain)
