"""`driftline exporter serve` and `driftline exporter once`."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from driftline.cli_errors import EXIT_FAILED
from driftline.cli_options import add_name_option, settings_for
from driftline.config import Settings
from exporter.settings import ExporterConfig

if TYPE_CHECKING:
    from exporter.results import CycleResults

DEFAULT_PORT = 9108


def _config() -> ExporterConfig:
    try:
        return ExporterConfig.from_env()
    except ValueError as exc:
        print(f"driftline exporter: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def cmd_serve(args: argparse.Namespace) -> int:
    # Imported here: the engine pulls in MLflow, which `driftline --help` must not wait for.
    from exporter.app import build
    from exporter.scheduler import Scheduler
    from exporter.server import make_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = _config()
    exporter = build(Settings.from_env(), config)
    scheduler = Scheduler(exporter.engine, config.interval_seconds)
    try:
        server = make_server(
            args.host,
            args.port,
            exporter.page,
            exporter.engine.latest,
            history=exporter.history,
            rule=config.rule,
            evidently=exporter.evidently,
        )
    except OSError as exc:
        print(
            f"driftline exporter: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return EXIT_FAILED
    done = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        done.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    scheduler.start()
    logging.getLogger(__name__).info("exporter listening on http://%s:%d/", args.host, args.port)
    try:
        server.serve_forever()
    finally:
        scheduler.stop()
        server.server_close()
    return 0


def _as_json(results: CycleResults) -> dict[str, Any]:
    return asdict(results)


def _print_text(results: CycleResults) -> None:
    for v in results.versions:
        print(
            f"{v.model} version {v.version} (run {v.run_id}): drift={v.drift} "
            f"drifted_features={v.drifted_features} window={v.window_samples} "
            f"labelled={v.labelled_samples} prediction_psi={v.prediction_psi}"
        )
        for f in v.features:
            print(
                f"  {f.name:22s} {f.kind:11s} n={f.samples:<7d} psi={f.psi} "
                f"ks={f.ks_statistic} ks_p={f.ks_p_value} chi2={f.chi2_statistic} "
                f"chi2_p={f.chi2_p_value} unseen={f.unseen_ratio} drift={f.drift}"
            )
        if v.performance is not None:
            print(f"  performance: {v.performance}")
        if v.estimated_performance is not None:
            print(f"  estimated (from predictions alone): {v.estimated_performance}")
        if v.regression_errors is not None:
            print(
                f"  errors: {v.regression_errors} "
                f"(holdout mae={v.holdout_mean_absolute_error}) "
                f"prediction_ks={v.prediction_ks_statistic} drift={v.prediction_drift}"
            )


def _missing_profile(settings: Settings, model: str, version: str) -> str:
    """Why a version with logged predictions has no figures, and how to give it a profile."""
    from driftline import version_facts
    from driftline.mlflow_setup import connect

    where = f"model {model!r} version {version} has predictions logged but"
    try:
        facts = version_facts.lookup(connect(settings), model, version)
    except Exception as exc:  # MLflow raises many types for an unknown version or a lost store
        return f"{where} its reference profile cannot be found: {exc}"
    if facts is None:
        return (
            f"{where} no reference profile: it was not trained by driftline and has not been "
            f"adopted. Add its profile: {version_facts.adoption_command(model, version)} "
            "(docs/bring-your-own-model.md)"
        )
    return (
        f"{where} its reference profile could not be read from run {facts.run_id} "
        "(the warning above says why)"
    )


def cmd_once(args: argparse.Namespace) -> int:
    from exporter.app import build

    config = _config()
    settings = settings_for(args)
    exporter = build(settings, config, model=settings.model_name)
    results = exporter.engine.run_cycle()
    if args.json:
        print(json.dumps(_as_json(results), indent=2, sort_keys=True))
    else:
        _print_text(results)
    # Predictions logged but no profile to compare them with: no figures, and a
    # non-zero exit, whatever else this cycle did.
    missing = exporter.engine.versions_without_profile()
    for model, version in missing:
        print(f"driftline exporter: {_missing_profile(settings, model, version)}", file=sys.stderr)
    if not results.versions and not missing and not args.json:
        print(f"no predictions logged for model {settings.model_name!r}")
    return 0 if results.last_success_at is not None and not missing else EXIT_FAILED


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this package's subcommands to the `driftline` parser."""
    p = subparsers.add_parser("exporter", help="drift exporter (Prometheus metrics)")
    sub = p.add_subparsers(dest="exporter_command", required=True)
    serve = sub.add_parser("serve", help="compute drift on a schedule and serve /metrics")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.set_defaults(func=cmd_serve)
    once = sub.add_parser("once", help="run one computation cycle and print the figures")
    add_name_option(once, old="--model")  # --model (then required): the name's old spelling
    once.add_argument("--json", action="store_true", help="print JSON instead of text")
    once.set_defaults(func=cmd_once)
