"""`driftline traffic`: drive a scenario through the PHP router, beside steady traffic for the
stack's other models."""

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
    from traffic.plan import feedback_urls, parse_models, plan
    from traffic.scenarios import scenario

    try:
        timing = timing_from_env(os.environ)
        steady = args.steady_seconds if args.steady_seconds is not None else timing.steady_seconds
        models = parse_models(args.models) if args.models else ()
        stories = plan(models, scenario(args.scenario, steady))
        feedback = feedback_urls(stories, args.feedback)
    except ValueError as exc:
        print(f"driftline traffic: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    rate = args.rate if args.rate is not None else timing.traffic_rate
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    generators = [
        TrafficGenerator(
            router_url=args.router,
            feedback_url=feedback[model],
            scenario=story,
            rate=rate,
            label_delay=(
                args.label_delay if args.label_delay is not None else story.label_delay(timing)
            ),
            seed=args.seed + index,
            concurrency=args.concurrency,
            progress_every=args.progress_every,
            say=lambda line: print(line, flush=True),
        )
        for index, (model, story) in enumerate(stories.items())
    ]
    # One thread per model; the first to finish (its last timed phase, --duration) stops all.
    runs = [
        threading.Thread(target=g.run, args=(stop, args.duration), name=f"traffic-{m}")
        for g, m in zip(generators, stories, strict=True)
    ]
    for run in runs:
        run.start()
    try:
        while any(run.is_alive() for run in runs):
            for run in runs:
                run.join(timeout=0.5)
    except KeyboardInterrupt:
        stop.set()
        for run in runs:
            run.join(timeout=10)
        return 130
    return 0 if all(g.stats.answered > 0 for g in generators) else 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "traffic",
        help="send scenario traffic through the PHP router and post delayed labels",
        description="The scenario drives its own model (POST /predict/MODEL); with --models, "
        "every other model gets its steady scenario at the same time. Rate, label delay and "
        "the steady phase default to the DRIFTLINE_TIMING profile (production, or fast for "
        "the demo). Exit 0 when every model had an answered request, 1 when one had none, "
        "2 on bad arguments.",
    )
    p.add_argument("--router", required=True, help="PHP router base URL (POST /predict/MODEL)")
    p.add_argument(
        "--feedback",
        required=True,
        action="append",
        help="inference server of a model's labels (POST /feedback): MODEL=URL, once per "
        "model; a bare URL when one model runs",
    )
    p.add_argument("--scenario", default="drift-retrain", choices=SCENARIOS)
    p.add_argument(
        "--models",
        help="comma-separated models to send traffic to, e.g. churn,houses "
        "(default: the scenario's model alone)",
    )
    # Defaults come from the DRIFTLINE_TIMING profile (driftline/timing.py), as for the stack.
    p.add_argument("--rate", type=float, help="requests per second, per model")
    p.add_argument("--label-delay", type=float, help="seconds until labels arrive")
    p.add_argument("--steady-seconds", type=float, help="steady phase length")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--progress-every", type=float, default=10.0)
    p.set_defaults(func=cmd_traffic)
