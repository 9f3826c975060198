"""Cycle results and a history ring for the report's tests and bench, without MLflow.

A reference profile built from generated training data, windows of generated
traffic pushed through the exporter's own ring buffer and ``evaluate``, and a
``CycleHistory`` filled with a run of cycles in which the drift grows: version 1
stays put, version 2's ``monthly_charges`` shifts further each cycle, version 3
gets more unseen ``contract_type`` values. 20 features per version.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from exporter.evaluate import evaluate
from exporter.history import CycleHistory
from exporter.prepared import PreparedProfile, prepare
from exporter.records import LoggedPrediction
from exporter.results import CycleResults, VersionResult
from exporter.settings import ExporterConfig
from exporter.window import VersionWindow
from exporter.window_counts import from_window
from tests.support.synthetic_profile import synthetic_profile
from training.synthetic import CATEGORICAL_FEATURES, NUMERIC_FEATURES, TARGET, Drift, generate

FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
START = 1_700_000_000.0


def reference_profile(model: str, version: str) -> PreparedProfile:
    profile = synthetic_profile(generate(4000, seed=0), model)
    return prepare(model, version, f"run-{version}", profile)


def _drifts(version: int, step: float) -> list[Drift]:
    if version % 3 == 2:
        return [Drift("covariate", 0.6 * step, ("monthly_charges",))]
    if version % 3 == 0:
        return [Drift("new_category", 0.1 * step, ("contract_type",))]
    return []


def window_result(
    prepared: PreparedProfile, version: int, step: float, seed: int, rows: int
) -> VersionResult:
    """One cycle's result for a window of ``rows`` generated predictions, half labelled."""
    data = generate(rows, seed=seed, drifts=_drifts(version, step))
    records = data[list(FEATURES)].to_dict(orient="records")
    rng = np.random.default_rng(seed)
    truth = data[TARGET].astype(int).to_numpy()
    predicted = np.where(rng.random(rows) < 0.2 + 0.2 * step * (version > 1), 1 - truth, truth)
    logged = [
        LoggedPrediction(
            seq=i,
            prediction_id=f"{seed}-{i}",
            created_at=START,
            model=prepared.model,
            version=prepared.version,
            features={str(k): (None if v != v else v) for k, v in records[i].items()},
            predicted_class=str(predicted[i]),
            probabilities={"0": 0.5, "1": 0.5},
            label=str(truth[i]) if i % 2 == 0 else None,
            label_received_at=START if i % 2 == 0 else None,
        )
        for i in range(rows)
    ]
    window = VersionWindow(prepared, rows)
    window.add(logged)
    counts = from_window(prepared, window.window(window.select(rows, None)))
    labelled = window.labelled(window.select(rows, None, labelled=True))
    return evaluate(prepared, counts, labelled, START, ExporterConfig())


def report_results(
    versions: int = 3, cycles: int = 30, rows: int = 1000, distinct_windows: int = 5
) -> tuple[CycleResults, CycleHistory]:
    """``cycles`` published cycles of ``versions`` versions; the last one and the history.

    Only ``distinct_windows`` windows per version are computed (drift growing from
    the first to the last); the cycles between repeat the nearest, which is all a
    chart needs and keeps the setup to a second or two.
    """
    history = CycleHistory(capacity=max(cycles, 1))
    per_version: list[list[VersionResult]] = []
    for v in range(1, versions + 1):
        prepared = reference_profile("churn", str(v))
        per_version.append(
            [
                window_result(prepared, v, k / max(distinct_windows - 1, 1), 100 * v + k, rows)
                for k in range(distinct_windows)
            ]
        )
    results = CycleResults()
    for c in range(cycles):
        k = min(c * distinct_windows // cycles, distinct_windows - 1)
        at = START + 15.0 * c
        # A fresh tuple per cycle: the history keeps one point per published cycle.
        versions_now = tuple(replace(windows[k]) for windows in per_version)
        results = CycleResults(versions=versions_now, last_run_at=at, last_success_at=at)
        history.record(results)
    return results, history
