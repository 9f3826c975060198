"""Where gunicorn's documented settings place a keep-alive client's connections, and what
they cost a client that finds the server full.

Run from the repository root:

    .venv/bin/python bench/serving_accept_settings.py [--tries 20]

The bare endpoint (bench/bare_endpoint.py) under gunicorn with 2 workers and, per
variant, one way of placing connections:

- ``gthread``: the plain worker, 4 threads, ``worker_connections`` 1000 (the default);
- ``wc=threads``: ``--worker-connections 4`` with 4 threads, a worker full at 4;
- ``2 threads, wc=4``: ``--threads 2 --worker-connections 4``, full at 4 with room
  for 2 idle keep-alive connections;
- ``reuse_port``: ``--reuse-port``, a listening socket per worker, the kernel
  placing connections by a hash of their addresses;
- ``balanced``: serving/balanced_worker.py, 4 threads.

Per variant: ``--tries`` times, 8 keep-alive connections opened one after another
and held, each asking ``GET /health`` (the worker's pid): the splits over the
workers and the share of answers that close the connection (``Connection:
close``). Then 8 connections held idle and a 9th opened: how long its first
answer takes (a starved client waits for a keep-alive timeout, 5 s here).
Figures only; no pass/fail.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Final

from serving_throughput import started

from stack.processes import free_port

REPO = Path(__file__).resolve().parent.parent
CONNECTIONS: Final = 8
COMMON: Final = ("--workers", "2", "--keep-alive", "5", "--timeout", "60")
VARIANTS: Final = {
    "gthread": ("--worker-class", "gthread", "--threads", "4"),
    "wc=threads": ("--worker-class", "gthread", "--threads", "4", "--worker-connections", "4"),
    "2 threads, wc=4": (
        "--worker-class", "gthread", "--threads", "2", "--worker-connections", "4",
    ),
    "reuse_port": ("--worker-class", "gthread", "--threads", "4", "--reuse-port"),
    "balanced": ("--worker-class", "serving.balanced_worker.BalancedThreadWorker",
                 "--threads", "4"),
}  # fmt: skip


def _ask(conn: http.client.HTTPConnection) -> tuple[int, bool]:
    """The answering worker's pid, and whether it closes the connection."""
    conn.request("GET", "/health")
    answer = conn.getresponse()
    closes = (answer.getheader("Connection") or "").lower() == "close"
    return json.loads(answer.read())["pid"], closes


def _held(port: int, count: int, held: ExitStack) -> list[tuple[int, bool]]:
    answers = []
    for _ in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        held.callback(conn.close)
        answers.append(_ask(conn))
    return answers


def measure(port: int, tries: int) -> tuple[Counter[str], float, float]:
    splits: Counter[str] = Counter()
    closing = 0
    for _ in range(tries):
        with ExitStack() as held:
            answers = _held(port, CONNECTIONS, held)
        per_worker = Counter(pid for pid, _ in answers)
        counts = sorted([*per_worker.values(), 0], reverse=True)[:2]
        splits[":".join(map(str, counts))] += 1
        closing += sum(closes for _, closes in answers)
    with ExitStack() as held:
        _held(port, CONNECTIONS, held)
        started_at = time.monotonic()
        _held(port, 1, held)
        ninth = time.monotonic() - started_at
    return splits, closing / (tries * CONNECTIONS), ninth


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tries", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="driftline-bench-accept-"))
    rows = []
    try:
        for name, settings in VARIANTS.items():
            port = free_port()
            argv = [sys.executable, "-m", "gunicorn", *COMMON, *settings,
                    "--bind", f"127.0.0.1:{port}", "--chdir", str(REPO / "bench"),
                    "bare_endpoint:app"]  # fmt: skip
            url = f"http://127.0.0.1:{port}/ready"
            with started(argv, {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}, url,
                         work / f"{name}.log"):  # fmt: skip
                splits, closing, ninth = measure(port, args.tries)
            rows.append((name, splits, closing, ninth))
            print(f"{name}: {dict(splits)}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{CONNECTIONS} keep-alive connections held, {args.tries} tries per variant, "
          "2 workers")  # fmt: skip
    print(f"{'variant':17s} {'4:4':>5s} {'5:3':>5s} {'6:2':>5s} {'7:1+':>5s} "
          f"{'closed':>7s} {'9th client ms':>13s}")  # fmt: skip
    for name, splits, closing, ninth in rows:
        worse = sum(n for k, n in splits.items() if int(k.split(":")[0]) >= 7)
        shares = [splits["4:4"], splits["5:3"], splits["6:2"], worse]
        print(f"{name:17s} " + " ".join(f"{n / args.tries:5.0%}" for n in shares)
              + f" {closing:7.0%} {ninth * 1e3:13.1f}")  # fmt: skip
    print(
        "closed: answers with Connection: close (no keep-alive); 9th client: milliseconds to "
        "its first answer while 8 connections are held idle"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
