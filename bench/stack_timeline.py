"""Seconds from drift onset to each step of the retraining story, beside the intervals' floor.

Runs the native stack in --fast mode with the drift-retrain scenario (the same
code path as `driftline demo --fast --exit-when-done`) a given number of times
and prints each step's median over the runs. Nothing is asserted.

    .venv/bin/python bench/stack_timeline.py [--runs 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from driftline.timing import FAST
from stack.native import StackOptions, running_stack
from stack.story import ACCURACY_RULE_FOR, figures, run_story
from traffic.scenarios import scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--story-seconds", type=float, default=420.0)
    args = parser.parse_args()
    measured: dict[str, list[float]] = {}
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            options = StackOptions(
                home=Path(tmp),
                timing=FAST,
                scenario=scenario("drift-retrain", FAST.steady_seconds),
                ephemeral_ports=True,
            )
            with running_stack(options, say=lambda _: None) as stack:
                timeline = run_story(
                    stack, duration=args.story_seconds, exit_when_done=True, say=lambda _: None
                )
        for f in figures(timeline):
            if f.seconds is not None:
                measured.setdefault(f.label, []).append(f.seconds)
        print(f"run {run + 1}/{args.runs} done")
    floor = FAST.alert_floor_seconds(ACCURACY_RULE_FOR)
    print(f"\nseconds after drift onset, median of {args.runs} run(s), --fast intervals")
    for label, values in measured.items():
        print(f"  {label:<44} {statistics.median(values):6.1f}s  (n={len(values)})")
    alert = measured.get("drift onset -> alert firing")
    print(f"  {'floor: exporter+scrape+evaluation+for:+group_wait':<44} {floor:6.1f}s")
    if alert:
        print(f"  alert firing minus floor: {statistics.median(alert) - floor:+.1f}s")


if __name__ == "__main__":
    main()
