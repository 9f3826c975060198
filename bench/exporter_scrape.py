"""`/metrics` scrape latency over HTTP, for several window sizes.

    .venv/bin/python bench/exporter_scrape.py [--scrapes 2000]

The exporter's HTTP server (real sockets on 127.0.0.1) serves results of a real
computation over windows of 1k, 100k and 1M predictions (20 features each, like
the churn model). A scrape only formats the last published figures, so latency
should not depend on the window size; the body is formatted once per cycle
(collector.MetricsPage) and only the staleness gauge per scrape. Baseline in the same run: a bare
prometheus_client registry with one gauge on the same server code.
"""

from __future__ import annotations

import argparse
import http.client
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from prometheus_client import Gauge, generate_latest
from prometheus_client.registry import CollectorRegistry

from exporter.collector import MetricsPage
from exporter.evaluate import evaluate
from exporter.results import CycleResults
from exporter.server import make_server
from exporter.settings import ExporterConfig
from exporter.window import LabelledData
from exporter.window_counts import from_columns

sys.path.insert(0, str(Path(__file__).resolve().parent))
import exporter_statistics as stats_bench


def results_for(rows: int, versions: int = 3) -> CycleResults:
    _, cur, prepared = stats_bench.setup(rows)
    cols = stats_bench.columns(cur, prepared)
    counts = from_columns(prepared, cols["num"], cols["cat"], cols["pred"])
    labelled = LabelledData(
        predicted=cols["pred"], label=cols["label"], positive_score=cols["score"]
    )
    out = []
    for v in range(versions):
        r = evaluate(prepared, counts, labelled, time.time(), ExporterConfig())
        out.append(r.__class__(**{**r.__dict__, "version": str(v + 1)}))
    now = time.time()
    return CycleResults(
        versions=tuple(out),
        last_run_at=now,
        last_success_at=now,
        run_duration_seconds=0.1,
        errors={},
        started_at=now,
    )


def _same(results: CycleResults) -> CycleResults:
    return results


def scrape_latencies(page: Callable[[], bytes], results: Any, scrapes: int) -> np.ndarray:
    server = make_server("127.0.0.1", 0, page, lambda: results)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    out = []
    try:
        for _ in range(scrapes):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            t0 = time.perf_counter()
            conn.request("GET", "/metrics")
            body = conn.getresponse().read()
            out.append(time.perf_counter() - t0)
            conn.close()
            assert body
    finally:
        server.shutdown()
        server.server_close()
    return np.array(out) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scrapes", type=int, default=2000)
    args = parser.parse_args()
    base = CollectorRegistry()
    Gauge("bench_one", "one gauge", registry=base).set(1)
    lat = scrape_latencies(lambda: generate_latest(base), CycleResults(), args.scrapes)
    print(f"baseline (one gauge): p50 {np.median(lat):.2f} ms, p99 {np.percentile(lat, 99):.2f} ms")
    for rows in (1_000, 100_000, 1_000_000):
        results = results_for(rows)
        page = MetricsPage(partial(_same, results))
        lat = scrape_latencies(page, results, args.scrapes)
        size = len(page())
        print(
            f"window {rows:>9,} x 3 versions ({size:,} bytes): p50 {np.median(lat):.2f} ms, "
            f"p99 {np.percentile(lat, 99):.2f} ms, max {lat.max():.2f} ms (target p99 < 10 ms)"
        )


if __name__ == "__main__":
    main()
