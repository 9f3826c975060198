"""False alarms and detection of a 5,000-category feature: every category vs top 30 + "other".

    .venv/bin/python bench/high_cardinality_reference.py [--windows 50] [--fit]

Reference: 20,000 training rows of tests/training/tables.py ``orders`` (a product code
over 5,000 values, a quarter uniform and three quarters Zipf, every product present).
Windows of 5,000 rows: ``--windows`` from the same population (seeds 100+), and as many
where the five most frequent products lose 80% of their rows to the tail (seeds 500+).
For both references, the reference as the profile stored it before (every category) and
as it stores it now (reference/category_bounds.py), prints the median PSI and the share
of windows the verdict rule (exporter/stats/verdict.py, defaults) flags, and the size of
the feature's JSON. ``--fit`` also fits the logreg pipeline on the 20,000 rows with every
category one-hot encoded and with training/pipeline.py's bound, printing the fit time
and the peak of traced allocations (numpy's included) of each.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import tracemalloc

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from exporter.prepared import PreparedCategorical, prepare
from exporter.stats.chi2 import chi_square
from exporter.stats.psi import psi_from_counts
from exporter.stats.verdict import FeatureEvidence, VerdictRule, decide
from reference.category_bounds import MAX_CATEGORIES, bound
from reference.profile import CategoricalReference, ReferenceProfile, category_key, to_dict
from tests.training.tables import orders
from training.dataset import from_frame
from training.pipeline import build, preprocessor


def _prepared(counts: pd.Series, max_categories: int) -> tuple[PreparedCategorical, int]:
    b = bound(counts, max_categories=max_categories)
    ref = CategoricalReference("product", 0.0, int(counts.sum()), b.frequencies, other=b.other)
    profile = ReferenceProfile("orders", int(counts.sum()), "returned", ("0", "1"), (ref,),
                               {"0": 1.0, "1": 0.0}, 1, 0.0)  # fmt: skip
    size = len(json.dumps(to_dict(profile)["features"][0]))
    return prepare("orders", "1", "run", profile).categorical[0], size


def _flagged(ref: PreparedCategorical, products: pd.Series) -> tuple[bool, float]:
    codes = np.array([ref.code(category_key(v)) for v in products], dtype=np.int64)
    counts = np.bincount(codes, minlength=ref.unseen_code + 1)
    psi = psi_from_counts(ref.shares, counts)
    chi = chi_square(counts[: ref.unseen_code], ref.shares[: ref.unseen_code])
    unseen = float(counts[ref.unseen_code] / counts.sum())
    evidence = FeatureEvidence("product", "categorical", psi, chi.p_value, unseen_ratio=unseen)
    return decide([evidence], None, VerdictRule()).flagged["product"], psi


def _shifted(seed: int) -> pd.Series:
    live = orders(5_000, seed=seed)
    top = live["product"].value_counts().index[:5]
    rng = np.random.default_rng(seed)
    tail = live.loc[~live["product"].isin(top), "product"].to_numpy()
    moved = live["product"].isin(top) & (rng.random(len(live)) < 0.8)
    live.loc[moved, "product"] = rng.choice(tail, int(moved.sum()))
    return live["product"]


def _fits() -> None:
    data = from_frame(orders(20_000, seed=1, cover=True), "returned", source="orders")
    for label, limit in (
        ("every category", None),
        (f"top {MAX_CATEGORIES} + other", MAX_CATEGORIES),
    ):
        pre = preprocessor(data.numeric, data.categorical, max_categories=limit)
        model = Pipeline([("preprocess", pre), ("classifier", build("logreg", [], [])[-1])])
        tracemalloc.start()
        started = time.perf_counter()
        model.fit(data.frame, data.target)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{label:18s} fit_seconds={seconds:.2f} peak_traced_mb={peak / 2**20:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=50)
    parser.add_argument("--fit", action="store_true", help="also measure fitting the pipeline")
    args = parser.parse_args()
    if args.fit:
        _fits()
    counts = orders(20_000, seed=1, cover=True)["product"].map(category_key).value_counts()
    same = [orders(5_000, seed=100 + i)["product"] for i in range(args.windows)]
    moved = [_shifted(500 + i) for i in range(args.windows)]
    for label, limit in (
        ("every category", 10**9),
        (f"top {MAX_CATEGORIES} + other", MAX_CATEGORIES),
    ):
        ref, size = _prepared(counts, limit)
        quiet = [_flagged(ref, w) for w in same]
        shifted = [_flagged(ref, w) for w in moved]
        print(
            f"{label:18s} buckets={ref.unseen_code + 1:5d} feature_json_bytes={size:6d} "
            f"unshifted: median_psi={statistics.median(p for _, p in quiet):.4f} "
            f"flagged={sum(f for f, _ in quiet) / len(quiet):.2f}  "
            f"shifted: median_psi={statistics.median(p for _, p in shifted):.4f} "
            f"flagged={sum(f for f, _ in shifted) / len(shifted):.2f}"
        )


if __name__ == "__main__":
    main()
