"""How fast the drift report renders, server-side and in headless Chromium.

    .venv/bin/python bench/report_render.py [--loads 15] [--cycles 240]

The page the issue targets: 3 versions x 20 features (10 numeric, 10
categorical), each with its distribution chart and a history of ``--cycles``
cycles (240 is the exporter's default ring). Served by the exporter's own HTTP
server on 127.0.0.1 and loaded in Debian's chromium through Playwright.

Figures (medians of ``--loads`` rounds after one warm-up round; each round loads
the three pages in turn):
- server: ``report_html.render`` alone (Python, building the HTML and SVG);
- browser: navigation start to the second animation frame after ``load``, i.e.
  request, server render, parse, layout and first paint of the whole page;
- baselines measured in the same run: the exporter's index page (the browser's
  floor for any page from this server) and the report without charts (the table
  the page used to be), so the ratios say what the charts cost.
Target: the browser figure under 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from exporter.history import CycleHistory
from exporter.report_html import render
from exporter.results import CycleResults
from tests.exporter.report_data import report_results
from tests.support.browser import chromium_available, offline_page, report_server

TARGET_MS = 300.0
AFTER_LOAD = (
    "() => new Promise(done => requestAnimationFrame("
    "() => requestAnimationFrame(() => done(performance.now()))))"
)


def tables_only(results: CycleResults) -> CycleResults:
    versions = tuple(
        replace(v, features=tuple(replace(f, distribution=None) for f in v.features))
        for v in results.versions
    )
    return replace(results, versions=versions)


def server_ms(results: CycleResults, history: CycleHistory | None, loads: int) -> float:
    render(results, history)
    times = []
    for _ in range(loads):
        t0 = time.perf_counter()
        render(results, history)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def browser_ms(results: CycleResults, history: CycleHistory, loads: int) -> dict[str, float]:
    """Median ms per page; the three pages are loaded in turn each round, so a noisy
    moment of the machine hits all of them alike."""
    pages = {"index page": "/", "table-only report": "/report", "report": "/report"}
    with (
        report_server(results, history) as full,
        report_server(tables_only(results), CycleHistory(1)) as table,
        offline_page(full) as page,
    ):
        base = {"index page": full, "table-only report": table, "report": full}
        page.page.route(f"{table}/**", lambda route: route.continue_())
        times: dict[str, list[float]] = {name: [] for name in pages}
        for i in range(loads + 1):
            for name, path in pages.items():
                page.page.goto(f"{base[name]}{path}", wait_until="load")
                painted = float(page.page.evaluate(AFTER_LOAD))
                if i:  # the first round warms the browser's caches and the server threads
                    times[name].append(painted)
        assert page.refused == [], page.refused
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=25)
    parser.add_argument("--cycles", type=int, default=240)
    args = parser.parse_args()
    results, history = report_results(versions=3, cycles=args.cycles)
    features = sum(len(v.features) for v in results.versions)
    print(f"report: {len(results.versions)} versions, {features} feature cards, "
          f"{args.cycles} cycles of history, {len(render(results, history)):,} bytes")  # fmt: skip
    full = server_ms(results, history, args.loads)
    table = server_ms(tables_only(results), None, args.loads)
    print(f"server render: median {full:.1f} ms (table only {table:.1f} ms, x{full / table:.1f})")
    if not chromium_available():
        print("chromium or playwright missing: browser figures skipped")
        return
    ms = browser_ms(results, history, args.loads)
    page, index, old = ms["report"], ms["index page"], ms["table-only report"]
    print(
        f"chromium, navigation to painted (median of {args.loads} rounds): report {page:.0f} ms; "
        f"baselines in the same rounds: index page {index:.0f} ms, table-only report "
        f"{old:.0f} ms; ratios x{page / index:.1f} and x{page / old:.1f}"
    )
    verdict = "within" if page < TARGET_MS else "OVER"
    print(f"target {TARGET_MS:.0f} ms: {verdict} ({page / TARGET_MS:.2f} of the target)")


if __name__ == "__main__":
    main()
