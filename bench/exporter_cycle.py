"""Steady-state cost of one exporter cycle with a 100k-prediction window under traffic.

    .venv/bin/python bench/exporter_cycle.py [--window 100000] [--seconds 30] [--rate 1000]

A real MLflow store with a trained champion, a SQLite prediction log (WAL, through
predictionlog.store) pre-filled with ``--window`` predictions of the real model; a
separate writer process inserts ``--rate`` predictions/s in batches of 100 plus labels
for 30% of them 5 s later. The exporter runs one cycle per second, reading only what
is new (seq cursors). Baseline in the same run: the naive cycle that re-reads and
re-parses the whole window from the log every time.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from exporter.app import build
from exporter.evaluate import evaluate
from exporter.settings import ExporterConfig
from exporter.window import VersionWindow
from exporter.window_counts import from_window
from predictionlog.records import PredictionRecord
from predictionlog.store import PredictionStore
from tests.exporter.logdata import FEATURES, champion_model
from tests.support.log_rows import insert_predictions
from tests.support.model_store import make_trained_store
from training.synthetic import generate


def records(model: Any, n: int, seed: int, created_at: float | None) -> list[PredictionRecord]:
    data = generate(n, seed=seed)
    x = data[list(FEATURES)]
    proba = model.predict_proba(x)
    classes = [str(c) for c in model.classes_]
    rows = x.astype(object).where(pd.notna(x), None).to_dict(orient="records")
    now = time.time() if created_at is None else created_at
    return [
        PredictionRecord(
            prediction_id=str(uuid.uuid4()),
            created_at=now,
            model_name="churn",
            model_version="1",
            features={str(k): v for k, v in rows[i].items()},
            predicted_class=classes[int(proba[i].argmax())],
            probabilities={c: float(p) for c, p in zip(classes, proba[i], strict=True)},
        )
        for i in range(n)
    ]


def writer(
    url: str,
    pending: list[PredictionRecord],
    truth: list[str],
    rate: int,
    seconds: float,
    stop: Any,
) -> None:
    store = PredictionStore.open(url)
    batch = 100
    interval = batch / rate
    start = time.monotonic()
    sent = 0
    labelled = 0
    while not stop.is_set() and time.monotonic() - start < seconds:
        now = time.time()
        rows = [
            PredictionRecord(**{**r.__dict__, "created_at": now})
            for r in pending[sent : sent + batch]
        ]
        insert_predictions(store, rows)
        sent += len(rows)
        # labels for 30% of what was predicted 5 s ago
        due = sent - int(5 * rate)
        if due > labelled:
            pairs = [
                (pending[i].prediction_id, truth[i]) for i in range(labelled, due) if i % 10 < 3
            ]
            if pairs:
                store.record_labels(pairs)
            labelled = due
        next_at = start + (sent / batch) * interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    store.close()


def _cursor_seq(engine: Any) -> int:
    """The prediction seq the engine has read up to (SQLite: seq order is commit order)."""
    cursor = engine.prediction_cursor
    return 0 if cursor is None else int(cursor.seq)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=1000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="driftline-bench-"))
    store = make_trained_store(home)
    model = champion_model(store)
    url = store.settings.prediction_db_url
    log = PredictionStore.open(url)
    t0 = time.perf_counter()
    for start in range(0, args.window, 20_000):
        insert_predictions(
            log, records(model, min(20_000, args.window - start), start, time.time())
        )
    print(f"pre-filled {args.window:,} predictions in {time.perf_counter() - t0:.1f} s")
    log.close()

    config = ExporterConfig(window_size=args.window, label_window_size=args.window)
    exporter = build(store.settings, config)
    engine = exporter.engine
    t0 = time.perf_counter()
    engine.run_cycle()
    print(f"start-up backfill of {args.window:,} rows: {time.perf_counter() - t0:.2f} s")

    traffic_n = int(args.rate * (args.seconds + 5))
    pending = records(model, traffic_n, 10_000, None)
    truth = [str(v) for v in generate(traffic_n, seed=10_000)["churned"]]
    ctx = mp.get_context("fork")
    stop = ctx.Event()
    proc = ctx.Process(target=writer, args=(url, pending, truth, args.rate, args.seconds, stop))
    proc.start()
    durations: list[float] = []
    new_rows: list[int] = []
    try:
        time.sleep(1.0)
        while proc.is_alive():
            before = _cursor_seq(engine)
            t0 = time.perf_counter()
            result = engine.run_cycle()
            durations.append(time.perf_counter() - t0)
            new_rows.append(_cursor_seq(engine) - before)
            time.sleep(max(0.0, 1.0 - durations[-1]))
    finally:
        stop.set()
        proc.join()
    (version,) = result.versions
    print(
        f"traffic: {args.rate}/s for {args.seconds:.0f} s; {len(durations)} cycles, "
        f"median {statistics.median(new_rows):.0f} new predictions per cycle; "
        f"window {version.window_samples:,}, labelled {version.labelled_samples:,}"
    )
    d = np.array(durations) * 1000
    print(
        f"incremental cycle: median {np.median(d):.1f} ms, p95 {np.percentile(d, 95):.1f} ms, "
        f"max {d.max():.1f} ms (target < 200 ms)"
    )

    # Baseline: re-read and re-parse the whole window every cycle.
    reader = engine.reader
    prepared = next(iter(engine.windows.values())).prepared
    naive: list[float] = []
    for _ in range(3):
        t0 = time.perf_counter()
        top, _ = reader.marks()
        rows = reader.recent("churn", "1", args.window, None, top)
        window = VersionWindow(prepared, args.window)
        window.add(rows)
        sel = window.select(args.window, None)
        evaluate(
            prepared,
            from_window(prepared, window.window(sel)),
            window.labelled(window.select(args.window, None, labelled=True)),
            window.last_label_at,
            config,
        )
        naive.append(time.perf_counter() - t0)
    n_med = statistics.median(naive) * 1000
    print(
        f"baseline full re-read + parse + compute of the window: median {n_med:.0f} ms "
        f"({n_med / np.median(d):.0f}x the incremental cycle)"
    )


if __name__ == "__main__":
    main()
