"""Serving at the limit: driftline against a bare Flask endpoint, second by second.

Run from the repository root:

    .venv/bin/python bench/serving_limit.py [--minutes 5] [--round-seconds 8] [--gthread]
        [--threads N ...]

Two servers on 127.0.0.1, each gunicorn with driftline's worker settings (2
workers of 4 threads, the worker class of serving/gunicorn.conf.py):

- ``bare``: bench/bare_endpoint.py, Flask answering a constant body shaped as
  driftline's answer to one record: what Flask and gunicorn allow on this machine;
- ``driftline``: the server as shipped (``serving.wsgi:app`` with its config file)
  serving the churn champion from a fresh store, validation, metrics and the
  durable prediction log on, the ingestion service beside it;
- with ``--gthread``, also ``driftline-gthread``: the same with gunicorn's plain
  gthread worker, which places connections as the first worker to accept them
  wins (the cause of the sags of issue 19, see docs/serving.md);
- with ``--threads N ...``, also ``driftline-tN``: the same with N request threads
  per worker instead of 4.

wrk (``-t1 -c8``, single-record ``POST /predict``, 200 records in turn) drives
each for ``--round-seconds`` per round, the servers in turn and the order
reversed every other round, until every server has had ``--minutes`` of load. A
wrk script counts answers per wall-clock second. Each round also records how
wrk's connections sat on the workers and the CPU seconds of the workers and the
ingestion service. The table: per server the median round, the worst round, the
median and worst second, p99, and the share of rounds and of seconds under half
of the bare endpoint's median; then driftline's throughput as a ratio to bare's,
of the medians and as the median of adjacent pairs. Figures only; no pass/fail.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import serving_workload
from serving_memory import command_line, cpu_seconds, descendants
from serving_throughput import post_once, started
from serving_wrk import parse, per_second_script, run_output, series

from serving.cli import CONFIG_FILE
from stack.processes import free_port

REPO = Path(__file__).resolve().parent.parent
BALANCED_WORKER: Final = "serving.balanced_worker.BalancedThreadWorker"
# serving/gunicorn.conf.py's worker settings, given to the bare endpoint on the command line.
GUNICORN_SETTINGS: Final = (
    "--workers", "2", "--threads", "4", "--keep-alive", "5", "--timeout", "60",
)  # fmt: skip
SERVICE_MARKER: Final = "predictionlog.ingest_process"


@dataclass
class Round:
    rps: float
    p99_ms: float
    seconds: list[int]  # answers in each whole second of the round
    errors: int
    split: list[int]  # wrk's connections per worker, sorted
    worker_cpu: float  # CPU seconds of the workers per request
    service_cpu: float  # ... of the ingestion service


@dataclass
class Server:
    name: str
    url: str
    root_pid: int
    rounds: list[Round] = field(default_factory=list)

    def processes(self) -> tuple[list[int], list[int]]:
        """(workers, ingestion service) pids."""
        workers: list[int] = []
        service: list[int] = []
        for pid in descendants(self.root_pid):
            try:
                (service if SERVICE_MARKER in command_line(pid) else workers).append(pid)
            except OSError:
                continue
        return sorted(workers), service


def _socket_inodes(pid: int) -> set[str]:
    found = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                found.add(target[8:-1])
    except OSError:
        pass
    return found


def connection_split(workers: list[int], port: int) -> list[int]:
    """Established connections on ``port`` held by each worker, from /proc (Linux)."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                established.add(fields[9])
    return sorted((len(_socket_inodes(w) & established) for w in workers), reverse=True)


def _cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue
    return total


def measure_round(server: Server, script: Path, connections: int, seconds: int) -> Round:
    workers, service = server.processes()
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    split: list[int] = []
    # Once wrk's connections are open; they live for the whole round.
    looker = threading.Timer(1.0, lambda: split.extend(connection_split(workers, port)))
    looker.start()
    worker_before, service_before = _cpu(workers), _cpu(service)
    output = run_output(
        f"{server.url}/predict", script, threads=1, connections=connections, seconds=seconds
    )
    worker_cpu, service_cpu = _cpu(workers) - worker_before, _cpu(service) - service_before
    looker.join()
    result = parse(output)
    whole = [answers for _, answers, _ in series(output)[1:-1]]  # the first and last are partial
    requests = max(result.requests, 1)
    return Round(result.requests_per_second, result.p99_seconds * 1e3, whole, result.errors,
                 split, worker_cpu / requests, service_cpu / requests)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="load per server")
    parser.add_argument("--round-seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--gthread",
        action="store_true",
        help="also driftline under gunicorn's plain gthread worker",
    )
    parser.add_argument("--threads", type=int, nargs="*", default=[], metavar="N",
                        help="also driftline with N request threads per worker "
                             "(DRIFTLINE_SERVE_THREADS), for each N given")  # fmt: skip
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (scripts/install.sh installs it)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="driftline-bench-limit-"))
    try:
        return measure(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(work: Path, args: argparse.Namespace) -> int:
    base_env = {
        k: v for k, v in os.environ.items() if not k.startswith(serving_workload.STATE_PREFIXES)
    }
    store_env = serving_workload.store_env(work / "home")
    serving_workload.train(store_env, "classification")
    records = serving_workload.request_records()
    script = work / "predict.lua"
    script.write_text(per_second_script("/predict", [{"record": r} for r in records]))
    driftline_argv = [sys.executable, "-m", "gunicorn", "-c", str(CONFIG_FILE), "serving.wsgi:app"]
    variants: dict[str, tuple[list[str], dict[str, str]]] = {
        "bare": (
            [sys.executable, "-m", "gunicorn", "--worker-class", BALANCED_WORKER,
             *GUNICORN_SETTINGS, "--chdir", str(REPO / "bench"), "bare_endpoint:app"],
            {},
        ),
        "driftline": (driftline_argv, {}),
    }  # fmt: skip
    if args.gthread:
        variants["driftline-gthread"] = ([*driftline_argv, "--worker-class", "gthread"], {})
    for threads in args.threads:
        threads_env = {"DRIFTLINE_SERVE_THREADS": str(threads)}
        variants[f"driftline-t{threads}"] = (driftline_argv, threads_env)
    servers: list[Server] = []
    with ExitStack() as stack:
        for name, (argv, extra) in variants.items():
            port = free_port()
            folder = work / name
            folder.mkdir()
            env = {
                **base_env, **store_env, **extra,
                "DRIFTLINE_PREDICTION_DB": f"sqlite:///{folder / 'predictions.db'}",
                "DRIFTLINE_RUN_DIR": str(folder / "run"),
                "DRIFTLINE_SERVE_BIND": f"127.0.0.1:{port}",
                "DRIFTLINE_SERVE_LOGLEVEL": "warning",
            }  # fmt: skip
            bind = ["--bind", f"127.0.0.1:{port}"] if name == "bare" else []
            url = f"http://127.0.0.1:{port}"
            proc = stack.enter_context(
                started([*argv, *bind], env, f"{url}/ready", work / f"{name}.log")
            )
            post_once(f"{url}/predict", {"record": records[0]})
            servers.append(Server(name, url, proc.pid))
        rounds = max(1, round(args.minutes * 60 / args.round_seconds))
        print(f"{rounds} rounds of {args.round_seconds} s per server, wrk -t1 "
              f"-c{args.connections}", flush=True)  # fmt: skip
        for index in range(rounds):
            for server in servers if index % 2 == 0 else reversed(servers):
                measured = measure_round(server, script, args.connections, args.round_seconds)
                server.rounds.append(measured)
                print(f"round {index + 1:3d} {server.name:17s} {measured.rps:8.0f} req/s  "
                      f"p99 {measured.p99_ms:6.2f} ms  split {measured.split}  "
                      f"CPU/req {measured.worker_cpu * 1e3:.3f} + "
                      f"{measured.service_cpu * 1e3:.3f} ms  errors {measured.errors}  "
                      f"seconds {measured.seconds}", flush=True)  # fmt: skip
    report(servers, args)
    return 0


def report(servers: list[Server], args: argparse.Namespace) -> None:
    med = statistics.median
    bare = servers[0]
    bare_median = med(r.rps for r in bare.rounds)
    half = bare_median / 2
    print()
    print(f"POST /predict of the churn champion, one record per request, wrk -t1 "
          f"-c{args.connections}, {len(bare.rounds)} interleaved rounds of "
          f"{args.round_seconds} s per server, 2 workers x 4 threads")  # fmt: skip
    header = (f"{'server':17s} {'median':>7s} {'worst':>7s} {'median':>7s} {'worst':>7s} "
              f"{'p99 ms':>7s} {'worst':>7s} {'rounds':>7s} {'seconds':>7s} "
              f"{'CPU ms/req':>10s} {'even':>5s} {'errors':>6s}")  # fmt: skip
    print(f"{'':17s} {'round req/s':>15s} {'second req/s':>15s} {'p99':>15s} "
          f"{'under 0.5x bare':>15s}")  # fmt: skip
    print(header)
    for server in servers:
        rounds = server.rounds
        seconds = [s for r in rounds for s in r.seconds]
        per_second_half = half  # the bare median is per second as well
        even = sum(1 for r in rounds if len(set(r.split)) == 1) / len(rounds)
        cpu = med(r.worker_cpu + r.service_cpu for r in rounds) * 1e3
        print(f"{server.name:17s} {med(r.rps for r in rounds):7.0f} "
              f"{min(r.rps for r in rounds):7.0f} {med(seconds):7.0f} {min(seconds):7.0f} "
              f"{med(r.p99_ms for r in rounds):7.2f} {max(r.p99_ms for r in rounds):7.2f} "
              f"{sum(r.rps < half for r in rounds) / len(rounds):7.0%} "
              f"{sum(s < per_second_half for s in seconds) / len(seconds):7.0%} "
              f"{cpu:10.3f} {even:5.0%} {sum(r.errors for r in rounds):6d}")  # fmt: skip
    print()
    print(
        "CPU ms/req: the server's workers and ingestion service; even: share of rounds "
        "with wrk's connections spread evenly over the workers"
    )
    for server in servers[1:]:
        paired = [a.rps / b.rps for a, b in zip(server.rounds, bare.rounds, strict=True)]
        splits = Counter(":".join(map(str, r.split)) for r in server.rounds)
        print(f"{server.name} / bare: {med(r.rps for r in server.rounds) / bare_median:.2f}x "
              f"(medians), {med(paired):.2f}x (median of adjacent pairs), worst round "
              f"{min(r.rps for r in server.rounds) / bare_median:.2f}x; connection splits "
              + ", ".join(f"{k} x{n}" for k, n in splits.most_common()))  # fmt: skip
    print("targets (issue 19): no round under 0.5x, at least 0.8x, p99 under 5 ms")


if __name__ == "__main__":
    sys.exit(main())
