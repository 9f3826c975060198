"""An interval window of counts gives the same figures as the row window (``==``).

Same rows into both: the ring buffer (exporter/window.py, the computation the
exporter has always done) selecting the predictions since the interval window's
aligned edge, and the interval window (exporter/interval_window.py). Several seeds;
missing values, unseen categories, classes the reference does not list, labels read
with their predictions and late ones, estimated sums, a calibrated binary classifier,
a multiclass one and a regression model with an error estimator.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import fields

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from exporter.evaluate import evaluate
from exporter.interval_window import IntervalWindow
from exporter.prepared import PreparedProfile, prepare
from exporter.records import LoggedPrediction
from exporter.settings import ExporterConfig
from exporter.window import LabelledCounts, LabelledValues, VersionWindow
from exporter.window_counts import WindowCounts, from_window
from reference.calibration import fit_calibrator
from reference.error_estimator import fit_error_estimator
from reference.profile import ErrorEstimation, build_profile, build_regression_profile
from training.synthetic import Drift, churn_logit, generate

NUMERIC = ("tenure_months", "monthly_charges", "support_calls", "satisfaction_score")
CATEGORICAL = ("contract_type", "region", "device")
SPAN, INTERVAL = 3_600.0, 60.0
START = 1_700_000_000.0
CONFIG = ExporterConfig(min_samples=20, min_labelled=10)


def _score(frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    return np.asarray(1.0 / (1.0 + np.exp(-churn_logit(frame.fillna(0.0)))), dtype=np.float64)


def _binary(seed: int) -> PreparedProfile:
    ref = generate(3_000, seed=seed + 100)
    score = _score(ref)
    outcomes = np.random.default_rng(seed).random(score.size) < score
    profile = build_profile(
        model_name="churn",
        features=ref[list(NUMERIC + CATEGORICAL)],
        numeric=NUMERIC,
        categorical=CATEGORICAL,
        target="churned",
        classes=["0", "1"],
        holdout_predictions=["1" if s > 0.5 else "0" for s in score],
        created_at=START,
        sample_size=1_000,
        calibrator=fit_calibrator(score, outcomes, seed=seed),
    )
    return prepare("churn", "1", "run", profile)


def _multiclass(seed: int) -> PreparedProfile:
    ref = generate(2_000, seed=seed + 200)
    tiers = np.array(["a", "b", "c"])[np.digitize(_score(ref), [0.3, 0.6])]
    profile = build_profile(
        model_name="tier",
        features=ref[list(NUMERIC + CATEGORICAL)],
        numeric=NUMERIC,
        categorical=CATEGORICAL,
        target="tier",
        classes=["a", "b", "c"],
        holdout_predictions=list(tiers),
        created_at=START,
        sample_size=500,
    )
    return prepare("tier", "1", "run", profile)


def _regression(seed: int) -> PreparedProfile:
    ref = generate(1_500, seed=seed + 300)
    x = ref[list(NUMERIC + CATEGORICAL)]
    target = ref["monthly_charges"] * 2 + np.random.default_rng(seed).normal(0, 5, len(ref))
    predicted = ref["monthly_charges"].to_numpy() * 2.0
    estimator = fit_error_estimator(x, NUMERIC, CATEGORICAL, predicted, target.to_numpy()).estimator
    profile = build_regression_profile(
        model_name="revenue",
        features=x,
        numeric=NUMERIC,
        categorical=CATEGORICAL,
        target="revenue",
        target_values=target,
        holdout_predictions=list(predicted),
        holdout_errors={"mae": 4.0, "rmse": 5.0, "r2": 0.9, "mean_error": 0.0},
        created_at=START,
        sample_size=800,
        error_estimation=ErrorEstimation("estimator", len(ref), 0.1, 0.2),
    )
    return prepare("revenue", "1", "run", profile, estimator)


def _traffic(prepared: PreparedProfile, n: int, seed: int) -> list[LoggedPrediction]:
    """Rows over 90 minutes, drifting, with missing values, unseen categories and classes
    the reference does not list; about half labelled at once."""
    rng = np.random.default_rng(seed)
    frame = generate(
        n, seed=seed, drifts=[Drift("covariate", 1.0, ("tenure_months",))], missing_rate=0.05
    )
    frame.loc[rng.random(n) < 0.03, "region"] = "mars"  # a category never seen
    score = _score(frame)
    at = np.sort(START + rng.random(n) * 5_400.0)
    rows = []
    for i, rec in enumerate(frame.to_dict(orient="records")):
        features = {
            str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()
        }
        if prepared.task == "regression":
            value = (
                float(rec["monthly_charges"]) * 2.0
                if not math.isnan(rec["monthly_charges"])
                else None
            )
            predicted, probabilities = ("" if value is None else repr(value)), {}
            truth = repr(float(value or 0.0) + rng.normal(0, 5))
        elif len(prepared.classes) == 2:
            predicted = "1" if score[i] > 0.5 else "0"
            # Odd seeds leave some probabilities out (no AUC), even ones give AUC figures.
            logged = seed % 2 == 0 or rng.random() > 0.02
            probabilities = {"0": 1 - score[i], "1": score[i]} if logged else {}
            truth = "1" if rng.random() < score[i] else "0"
        else:
            predicted = ["a", "b", "c", "z"][int(np.digitize(score[i], [0.3, 0.6, 0.97]))]
            probabilities = {}
            truth = ["a", "b", "c", "y"][int(rng.integers(0, 4))]
        labelled_now = rng.random() < 0.5
        rows.append(
            LoggedPrediction(
                seq=i,
                prediction_id=str(uuid.UUID(int=int(rng.integers(0, 2**62)) * 7 + i)),
                created_at=float(at[i]),
                model=prepared.model,
                version="1",
                features=features,
                predicted_class=predicted,
                probabilities=probabilities,
                label=truth if labelled_now else None,
                label_received_at=float(at[i]) if labelled_now else None,
            )
        )
    return rows


def _late_labels(rows: Sequence[LoggedPrediction], seed: int) -> list[tuple[str, str]]:
    rng = np.random.default_rng(seed)
    return [
        (r.prediction_id, r.predicted_class if rng.random() < 0.7 or not r.predicted_class else "y")
        for r in rows
        if r.label is None and rng.random() < 0.4
    ]


def assert_counts_equal(got: WindowCounts, want: WindowCounts) -> None:
    for f in fields(WindowCounts):
        a, b = getattr(got, f.name), getattr(want, f.name)
        if f.name in ("numeric", "predicted_values"):
            pairs = zip(a, b, strict=True) if f.name == "numeric" else [(a, b)]
            for x, y in pairs:
                assert (x is None) == (y is None)
                if x is not None:
                    assert np.array_equal(x.bins, y.bins)
                    assert (x.ks_le is None) == (y.ks_le is None)
                    if x.ks_le is not None:
                        assert np.array_equal(x.ks_le, y.ks_le)
                        assert np.array_equal(x.ks_lt, y.ks_lt)
        elif f.name == "categorical":
            assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
        elif f.name == "predicted":
            assert np.array_equal(a, b)
        else:
            assert a == b, f.name


def _feed(prepared: PreparedProfile, rows: list[LoggedPrediction], late: list[tuple[str, str]]):
    ring = VersionWindow(prepared, len(rows))
    counts = IntervalWindow(
        prepared, SPAN, INTERVAL, pending_labels=len(rows), row_budget=len(rows)
    )
    for start in range(0, len(rows), 337):  # batches that straddle intervals
        ring.add(rows[start : start + 337])
        counts.add(rows[start : start + 337])
    for k, (pid, label) in enumerate(late):
        assert ring.label(pid, label, START + 6_000 + k)
        assert counts.label(pid, label, START + 6_000 + k)
    return ring, counts


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_interval_counts_equal_the_row_window(kind: str, seed: int) -> None:
    prepared = {"binary": _binary, "multiclass": _multiclass, "regression": _regression}[kind](seed)
    rows = _traffic(prepared, 4_000, seed)
    late = _late_labels(rows, seed) if kind != "regression" else []
    ring, counts = _feed(prepared, rows, late)
    now = START + 5_400.0
    since = math.ceil((now - SPAN) / INTERVAL) * INTERVAL  # the interval window's edge
    slots = counts.window_slots(now, SPAN)
    assert 0 < counts.counts(slots).size < len(rows)
    want = from_window(prepared, ring.window(ring.select(len(rows), since)))
    got = counts.counts(slots)
    assert_counts_equal(got, want)
    labelled_rows = ring.labelled(ring.select(len(rows), since, labelled=True))
    result_rows = evaluate(prepared, want, labelled_rows, ring.last_label_at, CONFIG)
    result_counts = evaluate(prepared, got, counts.labelled(slots), counts.last_label_at, CONFIG)
    if kind == "binary":
        assert got.confidence is not None and got.expected_roc_auc is not None
        assert result_counts.performance is not None
        assert (result_counts.performance.roc_auc is not None) == (seed % 2 == 0)
    if kind == "regression":
        assert got.error_sums is not None and got.predicted_values is not None
    assert result_counts == result_rows
    assert result_counts.labelled_samples > CONFIG.min_labelled
    assert result_counts.drift is not None
    assert any(f.unseen_ratio for f in result_counts.features)
    assert all(f.missing_ratio for f in result_counts.features)


def test_a_late_regression_label_lands_in_its_interval() -> None:
    prepared = _regression(4)
    rows = _traffic(prepared, 2_000, 4)
    late = [(r.prediction_id, "123.5") for r in rows[::5] if r.label is None and r.predicted_class]
    ring, counts = _feed(prepared, rows, late)
    now = START + 5_400.0
    since = math.ceil((now - SPAN) / INTERVAL) * INTERVAL
    slots = counts.window_slots(now, SPAN)
    want = ring.labelled(ring.select(len(rows), since, labelled=True))
    got = counts.labelled(slots)
    # The same pairs; a late label joins its interval's rows at the end, so compare as sets.
    assert isinstance(got, LabelledValues) and len(late) > 100
    pairs = sorted(zip(got.predicted, got.label, strict=True))
    assert pairs == sorted(zip(want.predicted, want.label, strict=True))


def test_memory_does_not_grow_with_traffic_and_old_intervals_age_out() -> None:
    prepared = _binary(5)
    window = IntervalWindow(prepared, 600.0, 60.0, pending_labels=100, row_budget=500)
    rows = _traffic(prepared, 3_000, 5)
    before = window._counts.nbytes
    window.add(rows)
    assert window._counts.nbytes == before and window._counts.shape[0] == 11
    assert len(window._pending) == 100  # the newest waiting predictions only
    assert window._scores.held <= 500
    now = rows[-1].created_at
    slots = window.window_slots(now, 600.0)
    counted = window.counts(slots).size
    assert counted == sum(1 for r in rows if r.created_at >= math.ceil((now - 600) / 60) * 60)
    # A label for a prediction beyond the pending bound is not counted, and says so.
    assert not window.label(rows[0].prediction_id, "1", now)


def test_scores_beyond_the_row_budget_drop_whole_old_intervals() -> None:
    prepared = _binary(6)
    rows = _traffic(prepared, 4_000, 6)
    window = IntervalWindow(prepared, SPAN, INTERVAL, pending_labels=10, row_budget=300)
    window.add(rows)
    slots = window.window_slots(START + 5_400.0, SPAN)
    labelled = window.labelled(slots)
    assert isinstance(labelled, LabelledCounts)
    assert not labelled.scores_complete
    assert labelled.positive_scores.size + labelled.negative_scores.size <= 300
    assert labelled.samples > 1_000  # the confusion counts still cover every interval
