"""Time and peak memory of every drift statistic, ours against Evidently's data-drift report.

    .venv/bin/python bench/exporter_statistics.py [--rows 100000 1000000] [--evidently-1m]

Reference: 10,000 rows of the synthetic churn data (so the profile's bounded KS sample
is the whole reference and both sides compare against the same values). Window: N rows
with a 0.2 SD shift of monthly_charges, 10 numeric + 10 categorical features.

Ours, three figures:
- "cold": everything from the parsed window columns (float arrays, category codes):
  each numeric column sorted once, PSI bins and KS counts looked up in it, then every
  statistic, the verdict and performance (prediction = a noisy copy of the label,
  score = a probability).
- "cycle": what a steady-state exporter cycle does: the per-row buckets were computed
  at ingest, so it only counts them (bincount) and computes the statistics.
- "codes": turning N category strings per column into codes (the ingest cost).
Evidently: Report([DataDriftPreset(...)]) with PSI for every column, and with KS for
numeric / chi-square for categorical columns, on the same reference and window.
Ours: median wall time in this process, peak memory = tracemalloc's peak of one run
(numpy reports its buffers to tracemalloc). Evidently: one run in a forked child, peak
memory = the child's peak RSS growth.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import time
import tracemalloc
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from exporter.evaluate import evaluate
from exporter.prepared import PreparedProfile, prepare
from exporter.settings import ExporterConfig
from exporter.stats.ks import positions
from exporter.window import LabelledData, WindowData, missing_bin, missing_position
from exporter.window_counts import from_columns, from_window
from reference.binning import bin_indices
from tests.support.synthetic_profile import synthetic_profile
from training.synthetic import CATEGORICAL_FEATURES, NUMERIC_FEATURES, TARGET, Drift, generate

REFERENCE_ROWS = 10_000


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (resource.getpagesize() // 1024)


def _child(fn: Callable[[], Any], q: Any) -> None:
    start = _rss_kb()
    t0 = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    q.put((seconds, max(peak - start, 0) / 1024, value))


def measure(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(seconds, peak MB above the child's start, returned value) in a forked child."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(fn, q))
    p.start()
    out = q.get()
    p.join()
    return out  # type: ignore[no-any-return]


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(median seconds in this process, peak MB traced by tracemalloc, value)."""
    value = fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak, value


def setup(rows: int) -> tuple[pd.DataFrame, pd.DataFrame, PreparedProfile]:
    ref = generate(REFERENCE_ROWS, seed=0)
    cur = generate(rows, seed=1, drifts=[Drift("covariate", 0.2, ("monthly_charges",))])
    return ref, cur, prepare("bench", "1", "run", synthetic_profile(ref, "bench"))


def codes_of(cur: pd.DataFrame, prepared: PreparedProfile) -> np.ndarray:
    out = np.empty((len(prepared.categorical), len(cur)), dtype=np.int64)
    for j, c in enumerate(prepared.categorical):
        index = pd.Index(c.categories)
        col = cur[c.name]
        code = index.get_indexer(pd.Index(col.astype(str)))
        code[code < 0] = c.unseen_code
        code[col.isna().to_numpy()] = c.unseen_code + 1
        out[j] = code
    return out


def columns(cur: pd.DataFrame, prepared: PreparedProfile) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2)
    label = cur[TARGET].to_numpy().astype(np.int64)
    flip = rng.random(len(cur)) < 0.2
    return {
        "num": np.stack([cur[n.name].to_numpy(dtype=np.float64) for n in prepared.numeric]),
        "cat": codes_of(cur, prepared),
        "label": label,
        "pred": np.where(flip, 1 - label, label),
        "score": np.clip(label * 0.6 + rng.random(len(cur)) * 0.4, 0, 1),
    }


def window_from(cols: dict[str, np.ndarray], prepared: PreparedProfile) -> WindowData:
    """The ring buffer's columns as ingest leaves them (setup, not timed)."""
    num = cols["num"]
    bins = np.zeros(num.shape, dtype=np.int64)
    below = np.zeros(num.shape, dtype=np.int64)
    at_or_below = np.zeros(num.shape, dtype=np.int64)
    for j, ref in enumerate(prepared.numeric):
        assert ref.ks is not None
        finite = ~np.isnan(num[j])
        bins[j] = missing_bin(ref.edges)
        below[j] = at_or_below[j] = missing_position(ref.ks.distinct.size)
        bins[j, finite] = bin_indices(num[j, finite], ref.edges)
        below[j, finite], at_or_below[j, finite] = positions(ref.ks, num[j, finite])
    return WindowData(
        size=num.shape[1],
        numeric_bins=bins,
        ks_below=below,
        ks_at_or_below=at_or_below,
        categorical_codes=cols["cat"],
        predicted=cols["pred"],
    )


def ours(
    cols: dict[str, np.ndarray], prepared: PreparedProfile, window: WindowData | None = None
) -> dict[str, Any]:
    """Every statistic, the verdict and performance; from raw columns unless ``window``."""
    config = ExporterConfig(min_samples=1, min_labelled=1)
    if window is None:
        counts = from_columns(prepared, cols["num"], cols["cat"], cols["pred"])
    else:
        counts = from_window(prepared, window)
    labelled = LabelledData(
        predicted=cols["pred"], label=cols["label"], positive_score=cols["score"]
    )
    result = evaluate(prepared, counts, labelled, None, config)
    return {f.name: (f.psi, f.ks_statistic, f.ks_p_value, f.chi2_p_value) for f in result.features}


def evidently(ref: pd.DataFrame, cur: pd.DataFrame, **preset: Any) -> dict[str, float]:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    warnings.simplefilter("ignore")
    feats = list(NUMERIC_FEATURES + CATEGORICAL_FEATURES)
    definition = DataDefinition(
        numerical_columns=list(NUMERIC_FEATURES), categorical_columns=list(CATEGORICAL_FEATURES)
    )
    snap = Report([DataDriftPreset(**preset)]).run(
        Dataset.from_pandas(cur[feats], data_definition=definition),
        Dataset.from_pandas(ref[feats], data_definition=definition),
    )
    out = {}
    for m in snap.dict()["metrics"]:
        cfg = m["config"]
        if cfg.get("column"):
            out[cfg["column"]] = float(m["value"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--evidently-1m",
        action="store_true",
        help="also run Evidently's reports on 1M rows (about a minute each)",
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for rows in args.rows:
        ref, cur, prepared = setup(rows)
        cols = columns(cur, prepared)
        window = window_from(cols, prepared)
        t_cold, mb_cold, figures = timed(partial(ours, cols, prepared), args.repeat)
        t_cycle, mb_cycle, _ = timed(partial(ours, cols, prepared, window), args.repeat)
        t_codes, _, _ = timed(partial(codes_of, cur, prepared), 3)
        print(f"\n== {rows:,} rows x 20 features (10 numeric, 10 categorical) ==")
        print(
            f"ours, cold (sort + bins + all statistics): median {t_cold:.3f} s "
            f"of {args.repeat}, peak {mb_cold:.0f} MB allocated"
        )
        print(
            f"ours, steady-state cycle (buckets computed at ingest): median "
            f"{t_cycle:.3f} s, peak {mb_cycle:.0f} MB allocated"
        )
        print(
            f"ours, category strings -> codes for 10 columns (pandas, ingest side): "
            f"median {t_codes:.3f} s"
        )
        if rows > 100_000 and not args.evidently_1m:
            continue
        for label, preset in (
            ("psi", {"method": "psi"}),
            ("ks/chisquare", {"num_method": "ks", "cat_method": "chisquare"}),
        ):
            secs, mb, ev = measure(partial(evidently, ref, cur, **preset))
            print(
                f"Evidently DataDriftPreset({label}): {secs:.2f} s, peak +{mb:.0f} MB; "
                f"ours cold is {secs / t_cold:.0f}x faster"
            )
            if label == "psi":
                num = [(abs(figures[n][0] - ev[n]), n) for n in NUMERIC_FEATURES]
                cat = [abs(figures[n][0] - ev[n]) for n in CATEGORICAL_FEATURES]
                print(
                    "  categorical PSI, max |ours - Evidently|: "
                    f"{max(cat):.2e} (same buckets; smoothing differs only for empty ones)"
                )
                print(
                    "  numeric PSI (our frozen deciles vs its Sturges bins over both), "
                    "max |diff| "
                    f"{max(num)[0]:.4f} ({max(num)[1]}); monthly_charges ours "
                    f"{figures['monthly_charges'][0]:.4f} vs Evidently "
                    f"{ev['monthly_charges']:.4f}"
                )
            else:
                ks = [abs(figures[n][2] - ev[n]) for n in NUMERIC_FEATURES]
                chi = [abs(figures[n][3] - ev[n]) for n in CATEGORICAL_FEATURES]
                print(
                    f"  KS p-value, max |ours - Evidently|: {max(ks):.2e}; "
                    f"chi-square p-value: {max(chi):.2e}"
                )


if __name__ == "__main__":
    main()
