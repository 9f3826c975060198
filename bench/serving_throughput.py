"""Throughput and latency of POST /predict: driftline against `mlflow models serve`.

Run from the repository root:

    .venv/bin/python bench/serving_throughput.py [--seconds 5] [--runs 10] [--task regression]

One trained model (a temporary MLflow store) is served several ways, all
with 2 worker processes on 127.0.0.1, all started once and idle while another
is measured:

- ``driftline``: the real server as shipped, validation + metrics + durable
  prediction log on, SQLite ``synchronous=NORMAL`` (the default: a prediction
  is in the worker's journal, which survives a crash of the process, when it is
  answered), the journals ingested by the server's ingestion service process;
- ``driftline-full``: the same with ``DRIFTLINE_SQLITE_SYNCHRONOUS=FULL``
  (an fdatasync of the journal before the answer: survives a power loss too);
- ``driftline-inworker``: as ``driftline``, but without the ingestion service
  (``DRIFTLINE_NO_INGEST_SERVICE=1``): the workers ingest their journals;
- ``driftline-nolog``: validation and metrics on, the prediction log off, to
  split the cost between them;
- ``driftline-off``: validation, metrics and the prediction log off (what those
  three features cost);
- ``mlflow``: ``mlflow models serve -m models:/<name>/1 --env-manager local -w 2``.

The model is the churn classifier, or with ``--task regression`` a regression
model on the same features (a Ridge predicting a yearly revenue, ``revenue``;
bench/serving_workload.py), served by every variant and by MLflow alike, so its
figures and its ratio to MLflow come from one run. The targets printed are the
task's: a classifier at least 2.5x MLflow with p99 under 15 ms, a regression
model at least 10x with p99 under 10 ms (issue 13).

``--baseline-checkout DIR`` adds ``driftline@baseline``: the server as another
checkout of this repository has it (a ``git worktree`` of an earlier commit),
started from that folder, running next to ``driftline`` in every round, so a
change can be compared with what it replaces in one run (with ``--task regression``,
a checkout that serves regression models).

``driftline-nolog`` and ``driftline-off`` are built through create_app's
arguments: gunicorn is given the factory call as its app
(``serving.app:create_app(start=False, ...)``), since no setting of the product
can switch logging off.

wrk (2 threads, 8 connections, ``--latency``) posts single records in turn from
a fixed set of 200, in each server's own body format. Runs are interleaved,
forwards and backwards in turn (A, B, C, C, B, A, ...), so drift of this shared
machine hits all alike; driftline and driftline-off, the pair the cost target
compares, run back to back in every round. The table shows medians, and the
cost figures are also given as the median of per-round pairs (more, shorter
rounds give more pairs: 10 of 5 s by default).
Besides wall-clock figures
it prints the CPU time the server's processes (workers and ingestion service)
spent per request (from /proc). Figures only; no pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import serving_workload
from serving_memory import worker_cpu_seconds, worker_peaks
from serving_workload import STATE_PREFIXES
from serving_wrk import WrkResult, lua_script, run

from serving.cli import CONFIG_FILE
from stack.processes import free_port

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# Per task: (throughput against mlflow at least, p99 in ms under) for driftline.
TARGETS: Final = {"classification": (2.5, 15.0), "regression": (10.0, 10.0)}


def _factory(**switches: bool) -> str:
    """The app gunicorn serves: the app factory called with ``switches``."""
    arguments = ", ".join(f"{name}={value!r}" for name, value in switches.items())
    return f"serving.app:create_app(start=False, {arguments})"


AS_SHIPPED: Final = "serving.wsgi:app"
BASELINE: Final = "driftline@baseline"  # --baseline-checkout: as another checkout has it
# Each variant: the app gunicorn serves and the environment it adds. In the order
# they run (reversed every other round): the pair the cost target compares,
# driftline and driftline-off, always runs back to back.
DRIFTLINE_VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "driftline": (AS_SHIPPED, {}),
    "driftline-off": (
        _factory(validate=False, instrument=False, log_predictions=False),
        {},
    ),
    # Validation and metrics on, logging off: splits the cost between the two.
    "driftline-nolog": (_factory(log_predictions=False), {}),
    "driftline-inworker": (AS_SHIPPED, {"DRIFTLINE_NO_INGEST_SERVICE": "1"}),
    "driftline-full": (AS_SHIPPED, {"DRIFTLINE_SQLITE_SYNCHRONOUS": "FULL"}),
}


@dataclass
class Target:
    name: str
    url: str  # the endpoint wrk posts to
    script: Path
    proc: subprocess.Popen[bytes]
    worker_marker: str  # substring of a worker's command line ("" = leaf processes)
    runs: list[WrkResult] = field(default_factory=list)
    cpu_per_request: list[float] = field(default_factory=list)


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout}s: {log.read_text()[-3000:]}")


@contextmanager
def started(
    argv: list[str], env: dict[str, str], ready: str, log: Path, cwd: Path = REPO
) -> Iterator[Any]:
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=cwd)  # fmt: skip
    try:
        wait_ready(ready, proc, log)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()


def post_once(url: str, body: Any) -> None:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of one wrk run")
    parser.add_argument("--runs", type=int, default=10, help="runs per server (median taken)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--task", choices=sorted(TARGETS), default="classification",
                        help="the model served: the churn classifier or a regression model "
                        "on the same features")  # fmt: skip
    parser.add_argument("--no-mlflow", action="store_true",
                        help="skip the MLflow baseline (quick iterations only)")  # fmt: skip
    parser.add_argument(
        "--baseline-checkout", type=Path, metavar="DIR",
        help="also serve driftline as another checkout of this repository has it (e.g. a "
        "`git worktree` of the last release), run next to driftline in every round",
    )  # fmt: skip
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian package wrk)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="driftline-bench-serving-"))
    try:
        return measure(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(work: Path, args: argparse.Namespace) -> int:
    home = work / "home"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(STATE_PREFIXES)}
    base_env["PATH"] = f"{VENV_BIN}{os.pathsep}{base_env.get('PATH', '')}"  # mlflow runs uvicorn
    store_env = serving_workload.store_env(home, args.task)
    model_name = store_env["DRIFTLINE_MODEL_NAME"]
    version = serving_workload.train(store_env, args.task)
    records = serving_workload.request_records()
    ours = work / "driftline.lua"
    ours.write_text(lua_script("/predict", [{"record": r} for r in records]))
    theirs = work / "mlflow.lua"
    theirs.write_text(lua_script("/invocations", [{"dataframe_records": [r]} for r in records]))

    targets: list[Target] = []
    variants = dict(DRIFTLINE_VARIANTS)
    if args.baseline_checkout is not None:
        # First, so it runs next to driftline whichever way a round goes.
        variants = {BASELINE: (AS_SHIPPED, {}), **variants}
    with ExitStack() as stack:
        for name, (app, switches) in variants.items():
            port = free_port()
            (work / name).mkdir()
            checkout = args.baseline_checkout.resolve() if name == BASELINE else REPO
            if name == BASELINE:
                switches = {**switches, "PYTHONPATH": str(checkout)}
            env = {
                **base_env, **store_env, **switches,
                "DRIFTLINE_PREDICTION_DB": f"sqlite:///{work / name / 'predictions.db'}",
                "DRIFTLINE_RUN_DIR": str(work / name / "run"),
                "DRIFTLINE_SERVE_BIND": f"127.0.0.1:{port}",
                "DRIFTLINE_SERVE_WORKERS": "2",
                "DRIFTLINE_SERVE_THREADS": str(args.threads),
                "DRIFTLINE_SERVE_LOGLEVEL": "warning",
            }  # fmt: skip
            config = checkout / CONFIG_FILE.relative_to(REPO)
            argv = [sys.executable, "-m", "gunicorn", "-c", str(config), app]
            url = f"http://127.0.0.1:{port}"
            proc = stack.enter_context(
                started(argv, env, f"{url}/ready", work / f"{name}.log", cwd=checkout)
            )
            targets.append(Target(name, f"{url}/predict", ours, proc, ""))
            post_once(f"{url}/predict", {"record": records[0]})
        if not args.no_mlflow:
            port = free_port()
            argv = [
                str(VENV_BIN / "mlflow"), "models", "serve", "-m",
                f"models:/{model_name}/{version}", "--env-manager", "local", "-w", "2",
                "-h", "127.0.0.1", "-p", str(port),
            ]  # fmt: skip
            url = f"http://127.0.0.1:{port}"
            proc = stack.enter_context(
                started(argv, {**base_env, **store_env}, f"{url}/ping", work / "mlflow.log")
            )
            targets.append(
                Target("mlflow", f"{url}/invocations", theirs, proc, "multiprocessing.spawn")
            )
            post_once(f"{url}/invocations", {"dataframe_records": [records[0]]})

        for round_ in range(1, args.runs + 1):
            for t in targets if round_ % 2 else reversed(targets):
                run(t.url, t.script, threads=2, connections=args.connections, seconds=2)  # warm-up
                cpu_before = worker_cpu_seconds(t.proc.pid, t.worker_marker)
                measured = run(t.url, t.script, threads=2, connections=args.connections,
                               seconds=args.seconds)  # fmt: skip
                cpu = worker_cpu_seconds(t.proc.pid, t.worker_marker) - cpu_before
                t.runs.append(measured)
                t.cpu_per_request.append(cpu / max(measured.requests, 1))
                print(f"run {round_} {t.name:17s} {measured.requests_per_second:8.1f} req/s"
                      f"  p50 {measured.p50_seconds * 1e3:6.2f} ms"
                      f"  p99 {measured.p99_seconds * 1e3:6.2f} ms"
                      f"  cpu {t.cpu_per_request[-1] * 1e3:5.3f} ms/req"
                      f"  errors {measured.errors}", flush=True)  # fmt: skip
        peaks = {t.name: worker_peaks(t.proc.pid, t.worker_marker) for t in targets}

    report(targets, peaks, args)
    return 0


def report(targets: list[Target], peaks: dict[str, list[int]], args: argparse.Namespace) -> None:
    med = statistics.median
    rows = {
        t.name: {
            "rps": med(r.requests_per_second for r in t.runs),
            "p50": med(r.p50_seconds for r in t.runs) * 1e3,
            "p99": med(r.p99_seconds for r in t.runs) * 1e3,
            "cpu": med(t.cpu_per_request) * 1e3,
            "errors": sum(r.errors for r in t.runs),
            "rss": max(peaks[t.name], default=0) / 2**20,
        }
        for t in targets
    }
    print()
    print(f"POST /predict of the {args.task} model, one record per request, "
          f"wrk -t2 -c{args.connections} "
          f"-d{args.seconds}s --latency, median of {args.runs} interleaved runs, "
          f"2 workers each ({args.threads} threads for driftline)")  # fmt: skip
    print(f"{'server':17s} {'req/s':>8s} {'p50 ms':>7s} {'p99 ms':>7s} {'CPU ms/req':>10s} "
          f"{'errors':>6s} {'peak RSS/worker':>15s}")  # fmt: skip
    for name, row in rows.items():
        print(f"{name:17s} {row['rps']:8.1f} {row['p50']:7.2f} {row['p99']:7.2f} "
              f"{row['cpu']:10.3f} {int(row['errors']):6d} {row['rss']:11.1f} MiB")  # fmt: skip
    print()
    on, full, off = rows["driftline"], rows["driftline-full"], rows["driftline-off"]
    speedup, p99_ms = TARGETS[args.task]
    if "mlflow" in rows:
        mlflow = rows["mlflow"]
        print(
            f"throughput vs mlflow:  driftline {on['rps'] / mlflow['rps']:.2f}x, "
            f"driftline-full {full['rps'] / mlflow['rps']:.2f}x   (target >= {speedup:g}x)"
        )
    print(
        f"p99:                   driftline {on['p99']:.2f} ms, "
        f"driftline-full {full['p99']:.2f} ms   (target < {p99_ms:g} ms)"
    )
    # Cost against driftline-off, two ways: the ratio of the medians, and the median
    # of per-round pairs (a pair's runs are seconds apart, so drift of the machine's
    # speed hits both sides alike).
    by_name = {t.name: t for t in targets}
    off_runs = by_name["driftline-off"]
    print("cost against driftline-off (target < 15 % for driftline):")
    print(f"  {'server':19s} {'throughput':>10s} {'paired':>7s} {'CPU/req':>8s} {'paired':>7s}"
          "   per-round throughput costs")  # fmt: skip
    for name in ("driftline", "driftline-full", "driftline-inworker", "driftline-nolog"):
        row, runs = rows[name], by_name[name]
        paired = [1 - a.requests_per_second / b.requests_per_second
                  for a, b in zip(runs.runs, off_runs.runs, strict=True)]  # fmt: skip
        paired_cpu = [a / b - 1 for a, b in
                      zip(runs.cpu_per_request, off_runs.cpu_per_request, strict=True)]  # fmt: skip
        print(
            f"  {name:19s} {(1 - row['rps'] / off['rps']) * 100:9.1f}% {med(paired) * 100:6.1f}% "
            f"{(row['cpu'] / off['cpu'] - 1) * 100:7.1f}% {med(paired_cpu) * 100:6.1f}%   "
            + ", ".join(f"{p * 100:.0f}" for p in paired)
        )
    print("  (driftline-nolog: validation and metrics alone; driftline-inworker: "
          "the workers ingest, no ingestion service)")  # fmt: skip
    if BASELINE in by_name:
        base, runs = rows[BASELINE], by_name[BASELINE]
        paired = [a.requests_per_second / b.requests_per_second - 1
                  for a, b in zip(by_name["driftline"].runs, runs.runs, strict=True)]  # fmt: skip
        print(
            f"driftline against {BASELINE} ({args.baseline_checkout}): throughput "
            f"{(on['rps'] / base['rps'] - 1) * 100:+.1f}% (medians), {med(paired) * 100:+.1f}% "
            f"(paired); p99 {on['p99']:.2f} vs {base['p99']:.2f} ms; CPU/request "
            f"{on['cpu']:.3f} vs {base['cpu']:.3f} ms"
        )


if __name__ == "__main__":
    sys.exit(main())
