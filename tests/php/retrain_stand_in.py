"""A small retraining command for the worker tests, speaking the outcome contract.

Called as `retrain_stand_in.py --name NAME --job-id ID --reason JSON`, like
`driftline retrain`. STAND_IN_MODE picks the behaviour:

- ``succeed``: print some output and the outcome line, exit 0.
- ``succeed-regression``: the same for a regression model: the gate's figures are MAE's.
- ``fail``: print a traceback-like error to stderr and exit 3.
- ``hang-once``: on the first attempt, announce itself in STAND_IN_DIR and
  wait until its parent (the worker) is gone; on later attempts, succeed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from driftline import retrain_contract


def regression_figures() -> dict[str, float | str]:
    gate = retrain_contract.GATE_METRICS["regression"]
    return {
        retrain_contract.FIGURE_METRIC: gate.name,
        retrain_contract.FIGURE_BETTER: gate.better,
        retrain_contract.FIGURE_MARGIN_KIND: gate.margin_kind,
        retrain_contract.FIGURE_CHALLENGER_SCORE: 23706.2,
        retrain_contract.FIGURE_CHAMPION_SCORE: 49473.4,
        retrain_contract.FIGURE_MARGIN: 0.01,
    }


def outcome(
    model: str,
    job_id: str,
    status: str,
    message: str,
    figures: dict[str, float | str] | None = None,
) -> str:
    return json.dumps(
        {
            "schema": retrain_contract.OUTCOME_SCHEMA,
            "schema_version": retrain_contract.OUTCOME_SCHEMA_VERSION,
            "status": status,
            "model": model,
            "job_id": job_id,
            "challenger_version": "7" if status != "failed" else None,
            "champion_before": "6",
            "champion_after": "7" if status == "promoted" else "6",
            "figures": figures
            or {
                "challenger_score": 0.91,
                "champion_score": 0.87,
                "margin": 0.04,
                "metric": "roc_auc",
            },
            "message": message,
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)  # what the worker passes
    parser.add_argument("--job-id", required=True)
    parser.add_argument("--reason", required=True)
    args = parser.parse_args()
    json.loads(args.reason)  # the worker must pass valid JSON
    mode = os.environ.get("STAND_IN_MODE", "succeed")
    state = Path(os.environ.get("STAND_IN_DIR", "."))
    attempt_file = state / f"attempts-{args.job_id}"
    attempt = int(attempt_file.read_text()) + 1 if attempt_file.exists() else 1
    attempt_file.write_text(str(attempt))
    print(f"retraining {args.name} for job {args.job_id}, attempt {attempt}", flush=True)

    if mode == "fail":
        print("Traceback (most recent call last):", file=sys.stderr)
        print("ValueError: no labelled rows in the window", file=sys.stderr, flush=True)
        print(outcome(args.name, args.job_id, "failed", "no labelled rows in the window"))
        return 3
    if mode == "hang-once" and attempt == 1:
        parent = os.getppid()
        (state / f"running-{args.job_id}").write_text(str(os.getpid()))
        deadline = time.monotonic() + 120
        while os.getppid() == parent and time.monotonic() < deadline:
            time.sleep(0.05)
        return 0
    if mode == "succeed-regression":
        print(outcome(args.name, args.job_id, "promoted", "mae lower", regression_figures()))
        return 0
    print("challenger roc_auc 0.91 vs champion 0.87", flush=True)
    print(outcome(args.name, args.job_id, "promoted", "challenger beat champion by 0.04"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
