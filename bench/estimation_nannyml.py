"""NannyML's CBPE and DLE on the windows bench/exporter_estimation.py wrote: its other side.

    bench/.envs/nannyml-0.13.1/bin/python bench/estimation_nannyml.py SPEC.json RESULTS.json

Runs inside NannyML's own environment (the bench creates it; NannyML is never a
product dependency), so it imports nothing from driftline. ``SPEC.json`` names,
per model, a reference table (the holdout: served score or prediction, label,
features) and one Parquet table per scenario holding its windows one after the
other; each NannyML chunk is one window (``chunk_size`` = the window size).
Writes per window the estimate, its confidence band and sampling error for each
metric, and the seconds each ``fit`` and ``estimate`` call took.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

# NannyML reports usage to a third-party service unless this is set; the bench
# sends nothing off the machine. Set before the import, which reads it.
os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"

import nannyml as nml
import pandas as pd

CBPE_METRICS = ("accuracy", "f1", "roc_auc")
DLE_METRICS = ("mae", "rmse")


def per_window(results: pd.DataFrame, metrics: tuple[str, ...], window: int) -> dict[str, Any]:
    """Each metric's per-window figures from an estimate's ``to_df()``, analysis chunks only."""
    analysis = results[results[("chunk", "period")] == "analysis"]
    starts = analysis[("chunk", "start_index")].tolist()
    if starts != [i * window for i in range(len(starts))]:
        raise SystemExit(f"NannyML's chunks do not match the windows: starts {starts[:5]}...")
    return {
        m: {
            "estimate": analysis[(m, "value")].tolist(),
            "lower": analysis[(m, "lower_confidence_boundary")].tolist(),
            "upper": analysis[(m, "upper_confidence_boundary")].tolist(),
            "sampling_error": analysis[(m, "sampling_error")].tolist(),
        }
        for m in metrics
    }


def run_scenarios(
    estimator: Any, scenarios: list[dict[str, Any]], metrics: tuple[str, ...], window: int
) -> list[dict[str, Any]]:
    out = []
    for scenario in scenarios:
        analysis = pd.read_parquet(scenario["path"])
        started = time.perf_counter()
        results = estimator.estimate(analysis)
        seconds = time.perf_counter() - started
        figures = per_window(results.to_df(), metrics, window)
        if len(figures[metrics[0]]["estimate"]) != scenario["windows"]:
            raise SystemExit(f"{scenario['name']}: NannyML made a different number of chunks")
        out.append({"name": scenario["name"], "estimate_seconds": seconds, "metrics": figures})
    return out


def fit_and_estimate(
    estimator: Any, model: dict[str, Any], metrics: tuple[str, ...], window: int
) -> dict[str, Any]:
    """Fit ``estimator`` on the model's reference, then estimate every scenario."""
    started = time.perf_counter()
    estimator.fit(pd.read_parquet(model["reference"]))
    fit_seconds = time.perf_counter() - started
    scenarios = run_scenarios(estimator, model["scenarios"], metrics, window)
    return {"model": model["model"], "fit_seconds": fit_seconds, "scenarios": scenarios}


def cbpe(window: int) -> Any:
    return nml.CBPE(
        y_pred_proba="score",
        y_pred="predicted",
        y_true="label",
        problem_type="classification_binary",
        metrics=list(CBPE_METRICS),
        chunk_size=window,
    )


def dle(features: list[str], window: int) -> Any:
    return nml.DLE(
        feature_column_names=features,
        y_pred="predicted",
        y_true="label",
        metrics=list(DLE_METRICS),
        chunk_size=window,
    )


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: estimation_nannyml.py SPEC.json RESULTS.json")
    spec = json.loads(Path(sys.argv[1]).read_text())
    window = int(spec["window"])
    results = {
        "nannyml_version": nml.__version__,
        "classification": [
            fit_and_estimate(cbpe(window), m, CBPE_METRICS, window) for m in spec["classification"]
        ],
        "regression": [
            fit_and_estimate(dle(list(m["features"]), window), m, DLE_METRICS, window)
            for m in spec["regression"]
        ],
    }
    Path(sys.argv[2]).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
