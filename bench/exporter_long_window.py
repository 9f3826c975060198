"""A 24-hour time window at 1,000 predictions/s kept as interval counts, against rows.

    PYTHONPATH=$PWD .venv/bin/python bench/exporter_long_window.py [--hours 24] [--rate 1000]

Simulated clock: 86.4M predictions of a calibrated binary churn classifier (10 numeric
and 10 categorical features, KS reference samples of up to 10,000 values) are fed to
an ``IntervalWindow`` (exporter/interval_window.py; 5-minute intervals) in batches of
100 s of traffic, 30% labelled. The rows are drawn from a pool of 200k predictions
parsed once, so the figures measure the window, not the parser.
Reported: peak traced memory while feeding and computing (tracemalloc, the pool
excluded) and the process's peak RSS; the cycle (window counts + labelled counts +
figures) median of 5. Baseline in the same run: today's row window (exporter/window.py)
at the sizes it can hold (100k and 1M rows): its memory per row and its cycle, and
the same 100k rows fed to an interval window give figures equal (``==``) to the rows'.
"""

from __future__ import annotations

import argparse
import math
import resource
import statistics
import time
import tracemalloc
import uuid
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from exporter.evaluate import evaluate
from exporter.interval_window import IntervalWindow
from exporter.prepared import PreparedProfile, prepare
from exporter.records import LoggedPrediction
from exporter.settings import ExporterConfig
from exporter.window import (
    ConfidenceColumns,
    LabelledData,
    VersionWindow,
    WindowData,
)
from exporter.window_counts import from_window
from reference.calibration import fit_calibrator
from reference.profile import build_profile
from training.synthetic import CATEGORICAL_FEATURES, NUMERIC_FEATURES, churn_logit, generate

INTERVAL = 300.0
BATCH_SECONDS = 100
START = 1_699_999_800.0  # a multiple of INTERVAL: the window starts on an interval edge
CONFIG = ExporterConfig()


def prepared_profile() -> PreparedProfile:
    ref = generate(20_000, seed=1)
    score = 1.0 / (1.0 + np.exp(-churn_logit(ref)))
    outcomes = np.random.default_rng(1).random(score.size) < score
    profile = build_profile(
        model_name="churn",
        features=ref[list(NUMERIC_FEATURES + CATEGORICAL_FEATURES)],
        numeric=NUMERIC_FEATURES,
        categorical=CATEGORICAL_FEATURES,
        target="churned",
        classes=["0", "1"],
        holdout_predictions=["1" if s > 0.5 else "0" for s in score],
        created_at=START,
        calibrator=fit_calibrator(score, outcomes),
    )
    return prepare("churn", "1", "run", profile)


def logged(n: int, seed: int, start: float, rate: int) -> list[LoggedPrediction]:
    frame = generate(n, seed=seed, missing_rate=0.02)
    score = 1.0 / (1.0 + np.exp(-churn_logit(frame.fillna(0.0))))
    rng = np.random.default_rng(seed)
    records = frame.astype(object).where(pd.notna(frame), None).to_dict(orient="records")
    truth = rng.random(n) < score
    return [
        LoggedPrediction(
            seq=i,
            prediction_id=str(uuid.UUID(int=seed * 10**9 + i)),
            created_at=start + i / rate,
            model="churn",
            version="1",
            features={str(k): v for k, v in rec.items() if k != "churned"},
            predicted_class="1" if score[i] > 0.5 else "0",
            probabilities={"0": float(1 - score[i]), "1": float(score[i])},
            label=("1" if truth[i] else "0") if i % 10 < 3 else None,
            label_received_at=start + i / rate if i % 10 < 3 else None,
        )
        for i, rec in enumerate(records)
    ]


def parsed_pool(prepared: PreparedProfile, n: int) -> tuple[WindowData, LabelledData]:
    ring = VersionWindow(prepared, n)
    ring.add(logged(n, 7, START, 1000))
    every = slice(0, n)
    labelled = ring.labelled(every)
    assert isinstance(labelled, LabelledData)
    return ring.window(every), labelled


def take(
    data: WindowData, labelled: LabelledData, idx: np.ndarray
) -> tuple[WindowData, LabelledData]:
    est = data.estimation
    assert isinstance(est, ConfidenceColumns)
    return (
        WindowData(
            size=int(idx.size),
            numeric_bins=data.numeric_bins[:, idx],
            ks_below=data.ks_below[:, idx],
            ks_at_or_below=data.ks_at_or_below[:, idx],
            categorical_codes=data.categorical_codes[:, idx],
            predicted=data.predicted[idx],
            estimation=ConfidenceColumns(
                est.score[idx], est.calibrated[idx], est.predicted_positive[idx]
            ),
        ),
        LabelledData(labelled.predicted[idx], labelled.label[idx], labelled.positive_score[idx]),
    )


def median_ms(run: Callable[[], object], times: int = 5) -> float:
    spent = []
    for _ in range(times):
        t0 = time.perf_counter()
        run()
        spent.append(time.perf_counter() - t0)
    return statistics.median(spent) * 1000


def interval_cycle(window: IntervalWindow, now: float, span: float) -> object:
    slots = window.window_slots(now, span)
    return evaluate(
        window.prepared, window.counts(slots), window.labelled(slots), window.last_label_at, CONFIG
    )


def ring_cycle(ring: VersionWindow, n: int) -> object:
    picked = ring.select(n, None)
    return evaluate(
        ring.prepared,
        from_window(ring.prepared, ring.window(picked)),
        ring.labelled(ring.select(n, None, labelled=True)),
        ring.last_label_at,
        CONFIG,
    )


def long_window(prepared: PreparedProfile, hours: float, rate: int) -> tuple[float, float, float]:
    pool, pool_labels = parsed_pool(prepared, 200_000)
    rng = np.random.default_rng(3)
    span = hours * 3600
    tracemalloc.start()
    window = IntervalWindow(
        prepared, span, INTERVAL, pending_labels=CONFIG.capacity, row_budget=CONFIG.capacity
    )
    t0 = time.perf_counter()
    fed = 0
    per_batch = rate * BATCH_SECONDS
    for b in range(math.ceil(span / BATCH_SECONDS)):
        idx = rng.integers(0, pool.size, per_batch)
        data, labels = take(pool, pool_labels, idx)
        created = START + b * BATCH_SECONDS + np.arange(per_batch) / rate
        fed += window.add_parsed(created, data, labels)
    feed_s = time.perf_counter() - t0
    now = START + span
    cycle = median_ms(lambda: interval_cycle(window, now, span))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result = interval_cycle(window, now, span)
    print(
        f"interval window: {fed:,} predictions over {hours:g} h fed in {feed_s:.0f} s "
        f"({window.slots} intervals of {INTERVAL:.0f} s, {window.layout.width:,} buckets each; "
        f"counts {window._counts.nbytes / 1e6:.1f} MB)"
    )
    print(
        f"  peak traced memory {peak / 1e6:.0f} MB (target < 500 MB); "
        f"cycle median {cycle:.1f} ms (target < 250 ms)"
    )
    assert fed == result.window_samples, "every prediction fed is in the window"  # type: ignore[attr-defined]
    return peak, cycle, float(fed)


def row_baseline(
    prepared: PreparedProfile, n: int, rate: int
) -> tuple[float, float, list[LoggedPrediction]]:
    base = logged(min(n, 100_000), 11, START, rate)
    rows = [
        replace(
            r, prediction_id=f"{k}-{r.prediction_id}", created_at=START + (k * len(base) + i) / rate
        )
        for k in range(math.ceil(n / len(base)))
        for i, r in enumerate(base)
    ][:n]
    tracemalloc.start()
    ring = VersionWindow(prepared, n)
    for start in range(0, n, 20_000):
        ring.add(rows[start : start + 20_000])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    cycle = median_ms(lambda: ring_cycle(ring, n), 3)
    print(
        f"row window of {n:,}: {peak / 1e6:.0f} MB traced ({peak / n:.0f} B/row), "
        f"cycle {cycle:.0f} ms"
    )
    return peak, cycle, rows


def equal_figures(prepared: PreparedProfile, rows: list[LoggedPrediction], rate: int) -> None:
    n = len(rows)
    ring = VersionWindow(prepared, n)
    span = n / rate
    interval = span / 10  # ten intervals over these rows
    window = IntervalWindow(prepared, span, interval, pending_labels=n, row_budget=n)
    for start in range(0, n, 20_000):
        ring.add(rows[start : start + 20_000])
        window.add(rows[start : start + 20_000])
    now = rows[-1].created_at
    edge = math.ceil((now - span) / interval) * interval
    want = evaluate(
        prepared,
        from_window(prepared, ring.window(ring.select(n, edge))),
        ring.labelled(ring.select(n, edge, labelled=True)),
        ring.last_label_at,
        CONFIG,
    )
    got = interval_cycle(window, now, span)
    assert want.window_samples > 0 and got == want, "interval window figures differ from rows'"
    print(f"figures on the same {want.window_samples:,} rows: interval window == row window")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--rate", type=int, default=1000)
    args = parser.parse_args()
    prepared = prepared_profile()
    per_row: list[float] = []
    for n in (100_000, 1_000_000):
        peak, ring_ms, rows = row_baseline(prepared, n, args.rate)
        per_row.append(peak / n)
        if n == 100_000:
            equal_figures(prepared, rows, args.rate)
        del rows
    peak, cycle, fed = long_window(prepared, args.hours, args.rate)
    need = per_row[-1] * fed
    print(
        f"today's rows for the same window: {need / 1e9:.1f} GB at the measured "
        f"{per_row[-1]:.0f} B/row ({need / peak:.0f}x the interval window's peak); "
        f"their cycle at 1M rows was {ring_ms:.0f} ms ({ring_ms / cycle:.1f}x the interval "
        f"window's at {fed / 1e6:.1f}M)"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"process peak RSS {rss:.0f} MB (includes the 1M-row baselines and the pool)")


if __name__ == "__main__":
    main()
