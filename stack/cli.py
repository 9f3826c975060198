"""`driftline demo` (the whole stack natively) and `driftline stack render-config`."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from driftline.cli_errors import EXIT_BAD_INPUT, EXIT_FAILED, CliError
from traffic.scenarios import SCENARIOS


def cmd_demo(args: argparse.Namespace) -> int:
    from driftline.timing import FAST, PRODUCTION
    from stack.native import NativeStack, StackOptions
    from stack.processes import StartupError
    from stack.story import run_story
    from traffic.plan import parse_models
    from traffic.scenarios import scenario

    timing = FAST if args.fast else PRODUCTION
    try:
        options = StackOptions(
            home=Path(args.home),
            timing=timing,
            scenario=scenario(args.scenario, timing.steady_seconds),
            ephemeral_ports=args.ephemeral_ports,
            retrain_on_estimate=args.retrain_on_estimate,
            models=parse_models(args.models) if args.models else (),
        )
    except ValueError as exc:
        print(f"driftline demo: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    # Ctrl-C and SIGTERM both end the run through the same clean shutdown. SIGINT is
    # set too: a process started with it ignored (from a shell's background job, say)
    # inherits that, and Python then installs no KeyboardInterrupt handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    stack = NativeStack(options, say=lambda line: print(line, flush=True))
    try:
        stack.start()
        if args.no_traffic:
            print("stack is up; Ctrl-C stops it", flush=True)
            # Not signal.pause(): a Ctrl-C landing between the print and the pause
            # would be handled before pause() starts, and pause() would wait for the next.
            # Python raises a pending KeyboardInterrupt at the loop's next turn.
            while True:
                time.sleep(0.5)
        else:
            run_story(stack, duration=args.duration, exit_when_done=args.exit_when_done)
    except StartupError as exc:
        print(f"driftline demo: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave servers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.close()
        print("all processes stopped", flush=True)
    return 0


def cmd_render_config(args: argparse.Namespace) -> int:
    from driftline.runbooks import runbook_base_url
    from driftline.timing import FAST, PRODUCTION
    from stack import topology
    from stack.render import render_stack_config
    from traffic.plan import parse_models

    def host(service: str) -> str:
        # Compose service names resolve through the compose network's DNS.
        return service if args.profile == "compose" else "127.0.0.1"

    try:
        runbooks = runbook_base_url()
        models = parse_models(args.models)
    except ValueError as exc:
        raise CliError(f"driftline stack render-config: {exc}") from exc
    addresses = {
        s.name: [f"{host(s.name)}:{s.port}"]
        for s in topology.services(models)
        if s.port is not None and s.name != "mlflow"
    }
    prometheus_yml, alertmanager_yml = render_stack_config(
        Path(args.out),
        addresses=addresses,
        token_file=Path(args.token_file),
        timing=FAST if args.fast else PRODUCTION,
        models=models,
        # The champion scales to several replicas behind one compose DNS name.
        dns_discovered=(
            {"serving-champion": topology.SERVING_CHAMPION.port or 8000}
            if args.profile == "compose"
            else None
        ),
        runbook_base_url=runbooks,
    )
    print(f"wrote {prometheus_yml} and {alertmanager_yml}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "demo",
        help="run the whole stack natively and drive a drift scenario through it",
        description="Starts MLflow, two inference servers, the exporter, Prometheus, "
        "Alertmanager, the PHP receiver, router and worker, then the traffic generator; prints "
        "where each listens and a timeline of what happens. Ctrl-C stops everything. With --models "
        "churn,houses both models run side by side, each with its two inference servers: the "
        "scenario drives its own model, the other gets steady traffic.",
    )
    p.add_argument("--fast", action="store_true", help="short intervals: the story in minutes")
    p.add_argument(
        "--scenario",
        default="drift-retrain",
        choices=SCENARIOS,
        help="the churn classifier's drift-retrain (default), covariate-only, bad-retrain, "
        "steady; the house-price model's inflation, new-market, steady-prices",
    )
    p.add_argument(
        "--models",
        help="comma-separated models to run side by side: churn, houses or churn,houses "
        "(default: the scenario's model alone; the first is the default of POST /predict)",
    )
    p.add_argument("--home", default=".driftline/demo", help="state folder of this run")
    p.add_argument("--duration", type=float, help="stop after this many seconds of traffic")
    p.add_argument("--exit-when-done", action="store_true",
                   help="stop once the scenario's story is complete")  # fmt: skip
    p.add_argument("--no-traffic", action="store_true", help="start the stack only")
    p.add_argument(
        "--retrain-on-estimate",
        action="store_true",
        help="let the estimated-performance alert start retraining (it only notifies by "
        "default: a challenger trains on labels; docs/estimation.md)",
    )
    p.add_argument("--ephemeral-ports", action="store_true",
                   help="free ports instead of the documented defaults")  # fmt: skip
    p.set_defaults(func=cmd_demo)

    p = subparsers.add_parser("stack", help="stack configuration")
    sub = p.add_subparsers(dest="stack_command", required=True)
    r = sub.add_parser(
        "render-config", help="write Prometheus and Alertmanager configs for a stack"
    )
    r.add_argument("--profile", choices=("native", "compose"), default="native")
    r.add_argument("--out", required=True, help="output folder")
    r.add_argument("--token-file", required=True, help="webhook token file Alertmanager reads")
    r.add_argument("--fast", action="store_true", help="demo intervals")
    r.add_argument(
        "--models", default="churn", help="comma-separated models the stack serves (churn,houses)"
    )
    r.set_defaults(func=cmd_render_config)
