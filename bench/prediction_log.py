"""Prediction log write throughput and latency on SQLite (prints figures, asserts nothing).

Acknowledged single-row submissions from 8 threads on one SQLite file: the
journal (JournalWriter.append, with a JournalIngester moving the lines into
the database in the background, as a serving worker runs them) against one
transaction per row (the store's raw SQLite writer, one insert each), each with
synchronous FULL (journal: an fdatasync per append, shared by the threads
waiting) and NORMAL. A journal run counts as done only when ingestion has
caught up, so its rows/s include getting every row into the database.

Every configuration runs REPEATS times, interleaved, and the medians are
printed with ratios against the one-transaction-per-row baseline of the same
run (the machine is shared and noisy: compare ratios, not absolute numbers).

    .venv/bin/python bench/prediction_log.py [--seconds 1.0] [--repeats 3] [--postgres]

``--postgres`` also runs the journal and the one-transaction-per-row baseline
against a throwaway PostgreSQL server on 127.0.0.1 (tests/predictionlog/postgres_server.py,
the Debian postgresql-15 binaries), and prints what a stored prediction costs on
disk there (table and each index, bytes per row): the figures behind the sizing
in docs/kubernetes.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from predictionlog.engine import SqliteSynchronous
from predictionlog.journal import JournalWriter
from predictionlog.journal_ingest import JournalIngester
from predictionlog.records import PredictionRecord
from predictionlog.row_codec import encode_prediction
from predictionlog.sqlite_writer import SqliteWriter
from predictionlog.store import SQLITE_INGEST_PREDICTIONS, PredictionStore
from tests.predictionlog.postgres_server import throwaway_postgres
from tests.support.log_rows import count_predictions, journal_lines

THREADS = 8


def record() -> PredictionRecord:
    return PredictionRecord(
        prediction_id=str(uuid.uuid4()),
        created_at=time.time(),
        model_name="churn",
        model_version="1",
        features={
            "tenure_months": 12,
            "monthly_charges": 70.35,
            "total_charges": 844.2,
            "support_calls": 2,
            "contract_type": "month-to-month",
            "payment_method": "electronic_check",
            "internet_service": "fiber_optic",
        },
        predicted_class="1",
        probabilities={"0": 0.31, "1": 0.69},
    )


@dataclass(frozen=True)
class RunResult:
    rows_per_second: float
    p50_ms: float
    p99_ms: float
    mean_batch: float = 1.0  # rows per transaction
    catch_up_ms: float = 0.0  # journal: from the last acknowledgement to all rows in the database


def percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))
    return sorted_values[index]


def drive(submit_one: Callable[[], None], seconds: float) -> RunResult:
    """THREADS threads call ``submit_one`` back to back for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(THREADS)]
    start = threading.Barrier(THREADS + 1)
    stop_at = [0.0]

    def loop(index: int) -> None:
        mine = latencies[index]
        start.wait()
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at[0]:
                return
            submit_one()
            mine.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    flat = sorted(x for per in latencies for x in per)
    return RunResult(len(flat) / elapsed, percentile(flat, 0.5) * 1e3, percentile(flat, 0.99) * 1e3)


def run_config(
    url: str, journal_dir: Path, mode: str, synchronous: SqliteSynchronous, seconds: float
) -> RunResult:
    store = PredictionStore.open(url, synchronous=synchronous)
    try:
        if mode == "per-row":
            return run_per_row(store, seconds)
        return run_journal(store, journal_dir, synchronous, seconds)
    finally:
        store.close()


def run_per_row(store: PredictionStore, seconds: float) -> RunResult:
    """The baseline: every prediction its own insert transaction (before the journal)."""
    writer = SqliteWriter(store.engine)
    try:
        return drive(
            lambda: writer.write([(SQLITE_INGEST_PREDICTIONS, [encode_prediction(record())])]),
            seconds,
        )
    finally:
        writer.close()


def run_journal(
    store: PredictionStore, directory: Path, synchronous: SqliteSynchronous, seconds: float
) -> RunResult:
    """Rows/s from the first append until every row is in the database."""
    batches: list[int] = []
    journal = JournalWriter(directory, sync=synchronous == "FULL")
    ingester = JournalIngester(store, directory, on_batch=lambda rows, _s: batches.append(rows))
    before = count_predictions(store)
    ingester.start()
    try:
        began = time.perf_counter()
        result = drive(lambda: journal.append_lines(journal_lines([record()])), seconds)
        acknowledged_at = time.perf_counter()
        journal.close()
        ingester.stop()
        ingester.ingest()
        caught_up = time.perf_counter()
    finally:
        journal.close()
        ingester.close()
    stored = count_predictions(store) - before
    return RunResult(
        stored / (caught_up - began),
        result.p50_ms,
        result.p99_ms,
        statistics.mean(batches) if batches else 0.0,
        (caught_up - acknowledged_at) * 1e3,
    )


def run_postgres_per_row(store: PredictionStore, seconds: float) -> RunResult:
    """The baseline on PostgreSQL: every prediction its own ingestion transaction."""
    return drive(
        lambda: store.ingest_journal(
            [encode_prediction(record())], f"bench-{threading.get_ident()}", 0
        ),
        seconds,
    )


def postgres_sizes(store: PredictionStore) -> list[tuple[str, float]]:
    """Bytes per stored prediction: the table (heap and TOAST) and each of its indexes."""
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM predictions")).scalar_one()
        conn.execute(text("ANALYZE predictions"))
        parts = conn.execute(
            text(
                "SELECT 'table (heap + TOAST)', pg_table_size('predictions') UNION ALL "
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) "
                "FROM pg_index WHERE indrelid = 'predictions'::regclass ORDER BY 1"
            )
        ).all()
    return [(str(name), int(size) / rows) for name, size in parts]


def postgres_section(seconds: float, repeats: int) -> None:
    modes = ("journal", "per-row")
    runs: dict[str, list[RunResult]] = {m: [] for m in modes}
    with (
        tempfile.TemporaryDirectory(prefix="driftline-bench-pg-") as tmp,
        throwaway_postgres(Path(tmp)) as server,
    ):
        database = server.create_database()
        store = PredictionStore.open(server.url(database))
        try:
            for _ in range(repeats):
                runs["journal"].append(run_journal(store, Path(tmp) / "journal", "NORMAL", seconds))
                runs["per-row"].append(run_postgres_per_row(store, seconds))
            sizes = postgres_sizes(store)
            stored = count_predictions(store)
        finally:
            store.close()
    print(f"\nPostgreSQL 15 (throwaway, defaults), {THREADS} threads, journal NORMAL")
    head = f"{'mode':<10} {'rows/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'rows/txn':>9}"
    print(f"{head} {'x per-row':>10}")
    base = statistics.median(r.rows_per_second for r in runs["per-row"])
    for mode in modes:
        rate = statistics.median(r.rows_per_second for r in runs[mode])
        print(
            f"{mode:<10} {rate:>9.0f} {statistics.median(r.p50_ms for r in runs[mode]):>8.2f} "
            f"{statistics.median(r.p99_ms for r in runs[mode]):>8.2f} "
            f"{statistics.median(r.mean_batch for r in runs[mode]):>9.1f} {rate / base:>9.2f}x"
        )
    print(f"\nOn disk, bytes per stored prediction ({stored:,} rows, 7 features):")
    for name, per_row in sizes:
        print(f"  {name:<32} {per_row:>7.0f}")
    print(f"  {'total':<32} {sum(v for _, v in sizes):>7.0f}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per configuration")
    parser.add_argument(
        "--postgres", action="store_true", help="also measure a throwaway PostgreSQL server"
    )
    args = parser.parse_args(argv)

    modes = ("journal", "per-row")
    syncs: tuple[SqliteSynchronous, ...] = ("FULL", "NORMAL")
    results: dict[tuple[str, str], list[RunResult]] = {(m, s): [] for m in modes for s in syncs}
    with tempfile.TemporaryDirectory(prefix="driftline-bench-") as tmp:
        path = Path(tmp) / "predictions.db"
        url = f"sqlite:///{path}"
        journal_dir = Path(tmp) / "journal"
        PredictionStore.open(url).close()
        started = time.perf_counter()
        for _ in range(args.repeats):
            for sync in syncs:
                for mode in modes:
                    results[(mode, sync)].append(
                        run_config(url, journal_dir, mode, sync, args.seconds)
                    )
        total = time.perf_counter() - started

    print(f"SQLite {path.name}, {THREADS} threads, acknowledged single-row submissions,")
    print(f"medians of {args.repeats} runs of {args.seconds:.1f} s each\n")
    print(
        f"{'mode':<10} {'sync':<7} {'rows/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'rows/txn':>9} "
        f"{'catch-up ms':>11} {'x per-row':>10}"
    )
    medians: dict[tuple[str, str], RunResult] = {}
    for key, runs in results.items():
        medians[key] = RunResult(
            statistics.median(r.rows_per_second for r in runs),
            statistics.median(r.p50_ms for r in runs),
            statistics.median(r.p99_ms for r in runs),
            statistics.median(r.mean_batch for r in runs),
            statistics.median(r.catch_up_ms for r in runs),
        )
    for sync in syncs:
        base = medians[("per-row", sync)].rows_per_second
        for mode in modes:
            m = medians[(mode, sync)]
            print(
                f"{mode:<10} {sync:<7} {m.rows_per_second:>9.0f} {m.p50_ms:>8.2f} "
                f"{m.p99_ms:>8.2f} {m.mean_batch:>9.1f} {m.catch_up_ms:>11.1f} "
                f"{m.rows_per_second / base:>9.2f}x"
            )
    print("\nNORMAL / FULL throughput:")
    for mode in modes:
        ratio = medians[(mode, "NORMAL")].rows_per_second / medians[(mode, "FULL")].rows_per_second
        print(f"  {mode:<10} {ratio:.2f}x")
    print(f"\n(total {total:.0f} s)")
    if args.postgres:
        postgres_section(args.seconds, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
