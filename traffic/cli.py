"""`driftline traffic`: drive a scenario through the PHP router."""

from __future__ import annotations

import argparse
import signal
import threading

from traffic.scenarios import SCENARIOS


def cmd_traffic(args: argparse.Namespace) -> int:
    from traffic.generator import TrafficGenerator
    from traffic.scenarios import scenario

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    generator = TrafficGenerator(
        router_url=args.router,
        feedback_url=args.feedback,
        scenario=scenario(args.scenario, args.steady_seconds),
        rate=args.rate,
        label_delay=args.label_delay,
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
        description="Exit 0 when any request was answered, 1 when none was.",
    )
    p.add_argument("--router", required=True, help="PHP router base URL (POST /predict)")
    p.add_argument("--feedback", required=True, help="inference server base URL (POST /feedback)")
    p.add_argument("--scenario", default="drift-retrain", choices=SCENARIOS)
    p.add_argument("--rate", type=float, default=20.0, help="requests per second (default 20)")
    p.add_argument("--label-delay", type=float, default=5.0, help="seconds until labels arrive")
    p.add_argument("--steady-seconds", type=float, default=60.0, help="steady phase length")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--progress-every", type=float, default=10.0)
    p.set_defaults(func=cmd_traffic)
