"""What writing the request path's latencies into prometheus_client costs, per design.

Run from the repository root:

    .venv/bin/python bench/metrics_flush.py [--rounds 200]

ServingMetrics holds each request's counts in memory (serving/pending_counts.py)
and a flush every SERVING_FLUSH_SECONDS writes them, in prometheus_client's
multiprocess mode under gunicorn. This benchmark runs in that mode, with a
temporary PROMETHEUS_MULTIPROC_DIR, on a Histogram with the catalog's latency
buckets. prometheus_client has no public call adding many observations to a
histogram at once; the designs compared:

- ``observe per request``: ``observe`` on the request thread, no flush (before
  the flush existed);
- ``tally, private``: the sum and a count per bucket held; the flush adds them to
  the child's ``_sum`` and ``_buckets``, prometheus_client's private attributes
  (the design before the shipped one, kept here only to compare);
- ``bucket means``: a count and a sum per bucket held; the flush observes each
  bucket's mean as often as the bucket counted, which stays in the bucket;
- ``observe at flush``: every duration held; the flush observes each (shipped).

It prints, per design, the CPU of holding one duration (what the request
thread adds; the lock every design shares is left out) and the flush's CPU per
duration for flushes of 1, 10, 110 and 1,000 durations (110: one of two
workers at 2,200 requests/s, the HTTP benchmark's rate), medians over rounds
in alternating order; and whether the histogram's ``_sum`` after two flushes
is the float one ``observe`` per request gives. Then the same for the shipped
ServingMetrics per request: count_request and count_predictions, and the
flush's share. Figures only; no pass/fail.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from bisect import bisect_left
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FLUSH_SIZES = (1, 10, 110, 1000)


class Design:
    """Holds durations as the request path would, writes them to ``child`` as a flush would."""

    name = ""

    def __init__(self, bounds: Sequence[float], child: Any) -> None:
        self.bounds = tuple(bounds)
        self.child = child  # a Histogram's labelled series

    def hold(self, seconds: float) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        raise NotImplementedError


class ObservePerRequest(Design):
    name = "observe per request"

    def hold(self, seconds: float) -> None:
        self.child.observe(seconds)

    def flush(self) -> None:
        pass


class TallyPrivate(Design):
    name = "tally, private"

    def __init__(self, bounds: Sequence[float], child: Any) -> None:
        super().__init__(bounds, child)
        self.total = 0.0
        self.counts = [0] * (len(bounds) + 1)

    def hold(self, seconds: float) -> None:
        self.total += seconds
        self.counts[bisect_left(self.bounds, seconds)] += 1

    def flush(self) -> None:
        self.child._sum.inc(self.total)
        for value, count in zip(self.child._buckets, self.counts, strict=True):
            if count:
                value.inc(count)
        self.total, self.counts = 0.0, [0] * (len(self.bounds) + 1)


class BucketMeans(Design):
    name = "bucket means"

    def __init__(self, bounds: Sequence[float], child: Any) -> None:
        super().__init__(bounds, child)
        self.sums = [0.0] * (len(bounds) + 1)
        self.counts = [0] * (len(bounds) + 1)

    def hold(self, seconds: float) -> None:
        bucket = bisect_left(self.bounds, seconds)
        self.sums[bucket] += seconds
        self.counts[bucket] += 1

    def flush(self) -> None:
        for total, count in zip(self.sums, self.counts, strict=True):
            if count:
                mean = total / count
                for _ in range(count):
                    self.child.observe(mean)
        self.sums = [0.0] * (len(self.bounds) + 1)
        self.counts = [0] * (len(self.bounds) + 1)


class ObserveAtFlush(Design):
    name = "observe at flush"

    def __init__(self, bounds: Sequence[float], child: Any) -> None:
        super().__init__(bounds, child)
        self.held: list[float] = []

    def hold(self, seconds: float) -> None:
        self.held.append(seconds)

    def flush(self) -> None:
        observe = self.child.observe
        for seconds in self.held:
            observe(seconds)
        self.held = []


DESIGNS: tuple[type[Design], ...] = (ObservePerRequest, TallyPrivate, BucketMeans, ObserveAtFlush)


def durations(count: int, seed: int) -> list[float]:
    """Request durations around 0.4 ms, a few over the millisecond: several buckets."""
    rng = random.Random(seed)
    return [rng.lognormvariate(math.log(0.0004), 0.6) for _ in range(count)]


def hold_all(design: Design, values: Sequence[float]) -> None:
    for seconds in values:
        design.hold(seconds)


def cpu_ns(work: Callable[[], None]) -> int:
    started = time.thread_time_ns()
    work()
    return time.thread_time_ns() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="rounds per design and size")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="driftline-bench-metrics-flush-"))
    try:
        # Set before prometheus_client is imported: it picks the mode then.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(work)
        sys.path.insert(0, str(REPO))
        measure_designs(args.rounds)
        measure_serving_metrics(args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _histogram(name: str) -> Any:
    from prometheus_client import Histogram

    from driftline.metric_catalog import LATENCY_BUCKETS_SECONDS

    labels = ("model", "version", "endpoint")
    return Histogram(name, "bench", labels, buckets=LATENCY_BUCKETS_SECONDS, registry=None)


def _sums() -> dict[str, float]:
    """Every histogram's ``_sum`` as a scrape reads it from the multiprocess files."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return {
        sample.name: sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name.endswith("_sum")
    }


def measure_designs(rounds: int) -> None:
    from driftline.metric_catalog import LATENCY_BUCKETS_SECONDS as BOUNDS

    hold: dict[str, list[float]] = {d.name: [] for d in DESIGNS}
    flush: dict[tuple[str, int], list[float]] = {}
    for size in FLUSH_SIZES:
        values = durations(size, seed=size)
        # Flushes timed together, >= 1,000 durations per clock reading: reading the
        # thread's CPU clock costs about as much as a small flush.
        batch = max(1, 1000 // size)
        histograms = {d.name: _histogram(f"bench_{d.__name__.lower()}_{size}") for d in DESIGNS}
        for round_ in range(rounds if size < 1000 else max(rounds // 4, 5)):
            for cls in DESIGNS if round_ % 2 else DESIGNS[::-1]:
                child = histograms[cls.name].labels("churn", "1", "/predict")
                designs = [cls(BOUNDS, child) for _ in range(batch)]
                started = time.thread_time_ns()
                for design in designs:
                    hold_all(design, values)
                held = time.thread_time_ns() - started
                started = time.thread_time_ns()
                for design in designs:
                    design.flush()
                flushed = time.thread_time_ns() - started
                hold[cls.name].append(held / (batch * size))
                flush.setdefault((cls.name, size), []).append(flushed / (batch * size))

    # Two flushes of the same 110 durations onto one series against one observe each.
    values = durations(110, seed=7)
    reference = _histogram("bench_reference").labels("churn", "1", "/predict")
    for _ in range(2):
        for seconds in values:
            reference.observe(seconds)
    for cls in DESIGNS:
        child = _histogram(f"bench_exact_{cls.__name__.lower()}").labels("churn", "1", "/predict")
        design = cls(BOUNDS, child)
        for _ in range(2):
            hold_all(design, values)
            design.flush()
    sums = _sums()

    med = statistics.median
    print("Latency histogram, multiprocess mode, CPU in ns per duration (medians)")
    header = "".join(f"{f'flush {size}':>12s}" for size in FLUSH_SIZES)
    print(f"{'design':20s} {'hold':>6s}{header}  _sum exact")
    for cls in DESIGNS:
        cells = "".join(f"{med(flush[(cls.name, size)]):12.0f}" for size in FLUSH_SIZES)
        got = sums[f"bench_exact_{cls.__name__.lower()}_sum"]
        exact = "yes" if got == sums["bench_reference_sum"] else f"no ({got!r})"
        print(f"{cls.name:20s} {med(hold[cls.name]):6.0f}{cells}  {exact}")
    print(f"{'(one observe each)':20s} {'':6s}{'':48s}  {sums['bench_reference_sum']!r}")


def measure_serving_metrics(rounds: int) -> None:
    """The shipped code: what a request adds, and its share of a flush of 110 requests."""
    from serving.metrics import ServingMetrics

    metrics = ServingMetrics()
    values = durations(110, seed=110)
    classes = ("no", "yes")

    def requests() -> None:
        for i, seconds in enumerate(values):
            metrics.count_request("churn", "1", "/predict", 200, seconds)
            metrics.count_predictions("churn", "1", classes, (i % 2,))

    added: list[float] = []
    flushed: list[float] = []
    for _ in range(rounds):
        added.append(cpu_ns(requests) / len(values) / 1e3)
        flushed.append(cpu_ns(metrics.flush) / len(values) / 1e3)
    med = statistics.median
    print()
    print(f"ServingMetrics as shipped, flushes of {len(values)} requests, us of CPU per request")
    print(f"count_request + count_predictions {med(added):6.2f}")
    print(f"flush, per request                {med(flushed):6.2f}")


if __name__ == "__main__":
    sys.exit(main())
