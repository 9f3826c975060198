"""What a prediction id costs request threads that share one GIL.

Run from the repository root:

    .venv/bin/python bench/prediction_ids.py [--threads 4] [--rounds 7]

Each of ``--threads`` threads loops: a little pure-Python work standing in for
the rest of a request, then one id. Three variants, interleaved per round:

- ``buffered``: predictionlog.ids.new_prediction_id as shipped (random bits read
  4 KiB at a time per thread);
- ``urandom per id``: the same id made with ``os.urandom(10)`` each time, the
  baseline: a system call that releases the GIL once per id;
- ``no id``: the work alone.

Printed: median CPU and wall time per iteration; the ids' own cost is the
difference to ``no id``. Figures only; no pass/fail.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable

from predictionlog import ids


def urandom_per_id() -> str:
    """The id as made before the buffer: fresh bytes from the kernel for every id."""
    return ids.uuid7_text(time.time_ns() // 1_000_000, os.urandom(ids.ID_RANDOM_BYTES))


def request_work() -> int:
    total = 0
    for i in range(400):
        total += i * i
    return total


def measure(make: Callable[[], object], threads: int, per_thread: int) -> tuple[float, float]:
    """(CPU, wall) microseconds per iteration."""

    def loop() -> None:
        for _ in range(per_thread):
            request_work()
            make()

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    cpu, wall = time.process_time(), time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    count = threads * per_thread
    return (time.process_time() - cpu) / count * 1e6, (time.perf_counter() - wall) / count * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--per-thread", type=int, default=4000)
    args = parser.parse_args()
    variants: dict[str, Callable[[], object]] = {
        "buffered": ids.new_prediction_id,
        "urandom per id": urandom_per_id,
        "no id": lambda: None,
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, make in variants.items():
            results[name].append(measure(make, args.threads, args.per_thread))
    print(f"{args.threads} threads, {args.rounds} interleaved rounds, medians per iteration")
    print(f"{'variant':16s} {'CPU us':>8s} {'wall us':>8s}")
    for name, runs in results.items():
        cpu = statistics.median(r[0] for r in runs)
        wall = statistics.median(r[1] for r in runs)
        print(f"{name:16s} {cpu:8.1f} {wall:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
