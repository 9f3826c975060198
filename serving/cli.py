"""`driftline serve`: run the inference server under gunicorn with serving/gunicorn.conf.py."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from driftline.cli_errors import EXIT_BAD_INPUT
from driftline.cli_options import add_name_option

CONFIG_FILE = Path(__file__).resolve().parent / "gunicorn.conf.py"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this package's subcommands to the `driftline` parser."""
    serve = subparsers.add_parser(
        "serve",
        help="run the inference server (gunicorn, several workers)",
        description="Serve the registered model over HTTP. By default the server follows "
        "the 'champion' alias and swaps in a new version when the alias moves.",
    )
    add_name_option(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    serve.add_argument("--threads", type=int, default=4, help="request threads per worker")
    which = serve.add_mutually_exclusive_group()
    which.add_argument("--version", dest="model_version", help="serve this version, pinned")
    which.add_argument("--alias", help="follow this registry alias (default: champion)")
    serve.set_defaults(func=run_serve)


def gunicorn_command(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The gunicorn argv and the environment that carries ``args`` to the config file."""
    if not 0 < args.port < 65536:
        raise ValueError(f"--port {args.port} is not a TCP port")
    if args.workers < 1 or args.threads < 1:
        raise ValueError("--workers and --threads must be at least 1")
    if args.model_version is not None and not str(args.model_version).isdigit():
        raise ValueError(f"--version {args.model_version!r} is not a version number")
    env = dict(os.environ)
    if args.name is not None:  # else the name the environment already carries, or the default
        env["DRIFTLINE_MODEL_NAME"] = args.name
    env["DRIFTLINE_SERVE_BIND"] = f"{args.host}:{args.port}"
    env["DRIFTLINE_SERVE_WORKERS"] = str(args.workers)
    env["DRIFTLINE_SERVE_THREADS"] = str(args.threads)
    env.pop("DRIFTLINE_SERVE_VERSION", None)
    env.pop("DRIFTLINE_SERVE_ALIAS", None)
    if args.model_version is not None:
        env["DRIFTLINE_SERVE_VERSION"] = str(args.model_version)
    if args.alias:
        env["DRIFTLINE_SERVE_ALIAS"] = args.alias
    argv = [sys.executable, "-m", "gunicorn", "-c", str(CONFIG_FILE)]
    return argv, env


def run_serve(args: argparse.Namespace) -> int:
    try:
        argv, env = gunicorn_command(args)
    except ValueError as exc:
        print(f"driftline serve: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    # Replace this process: signals (SIGHUP reload, SIGTERM stop) go straight to gunicorn.
    os.execvpe(argv[0], argv, env)
    return 0  # not reached
