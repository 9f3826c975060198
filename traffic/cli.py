"""`driftline traffic`: drive a scenario through the PHP router."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from driftline.cli_errors import EXIT_BAD_INPUT
from traffic.scenarios import SCENARIOS


def cmd_traffic(args: argparse.Namespace) -> int:
    from driftline.timing import timing_from_env
    from traffic.generator import TrafficGenerator
    from traffic.scenarios import scenario

    try:
        timing = timing_from_env(os.environ)
    except ValueError as exc:
        print(f"driftline traffic: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    rate = args.rate if args.rate is not None else timing.traffic_rate
    steady = args.steady_seconds if args.steady_seconds is not None else timing.steady_seconds
    story = scenario(args.scenario, steady)
    label_delay = args.label_delay if args.label_delay is not None else story.label_delay(timing)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    generator = TrafficGenerator(
        router_url=args.router,
        feedback_url=args.feedback,
        scenario=story,
        rate=rate,
        label_delay=label_delay,
        seed=args.seed,
        concurrency=args.concurrency,
        progress_every=args.progress_every,
    )
    try:
        stats = generator.run(stop, max_seconds=args.duration)
    except KeyboardInterrupt:
        stop.set()
        return 130
    return 0 if stats.answered > 0 else 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "traffic",
        help="send scenario traffic through the PHP router and post delayed labels",
        description="Rate, label delay and the steady phase default to the DRIFTLINE_TIMING "
        "profile (production, or fast for the demo). Exit 0 when any request was answered, "
        "1 when none was.",
    )
    p.add_argument("--router", required=True, help="PHP router base URL (POST /predict)")
    p.add_argument("--feedback", required=True, help="inference server base URL (POST /feedback)")
    p.add_argument("--scenario", default="drift-retrain", choices=SCENARIOS)
    # Defaults come from the DRIFTLINE_TIMING profile (driftline/timing.py), as for the stack.
    p.add_argument("--rate", type=float, help="requests per second")
    p.add_argument("--label-delay", type=float, help="seconds until labels arrive")
    p.add_argument("--steady-seconds", type=float, help="steady phase length")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--progress-every", type=float, default=10.0)
    p.set_defaults(func=cmd_traffic)
