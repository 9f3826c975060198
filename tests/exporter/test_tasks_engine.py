"""Regression and multiclass versions through the whole engine, and both profile formats.

Real SQLite prediction log written as serving writes it, real reader, windows,
statistics and collector; the reference profiles are built by reference/profile.py
and go through its JSON format, served by a stand-in for the MLflow registry. The
independent side is scikit-learn, scipy and a plain PSI loop on the logged rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry
from scipy import stats
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    precision_score,
    r2_score,
    recall_score,
    root_mean_squared_error,
)
from sqlalchemy import Engine

from driftline.regression_values import value_text
from exporter.cli import _as_json, _print_text
from exporter.collector import DriftCollector
from exporter.engine import Engine as DriftEngine
from exporter.prepared import PreparedProfile, prepare
from exporter.profiles import ProfileCache, ProfileUnavailable
from exporter.results import CycleResults, VersionResult
from exporter.settings import ExporterConfig
from exporter.store_reader import PredictionLogReader
from reference.binning import bin_counts
from reference.profile import (
    FORMAT_VERSION,
    NumericReference,
    ReferenceProfile,
    build_profile,
    build_regression_profile,
    dumps,
    loads,
)
from tests.exporter.logdata import log_labels, log_rows, open_log
from tests.exporter.test_figures_against_independent_computation import check_features
from tests.exporter.test_stats_psi import plain_psi

EPS = 1e-4
FIXTURES = Path(__file__).parents[1] / "training" / "fixtures"
NUMERIC = ["area_m2", "rooms"]
CATEGORICAL = ["region"]
FEATURES = NUMERIC + CATEGORICAL
TIERS = ("high", "low", "medium")  # sorted, as scikit-learn orders a model's classes


# --- data, "models" and profiles -----------------------------------------------------


def houses(n: int, seed: int, area_shift: float = 0.0, inflation: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    area = (rng.normal(110.0, 30.0, n) + area_shift).clip(20.0)
    rooms = rng.integers(1, 7, n).astype(float)
    region = rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2])
    premium = np.select([region == "north", region == "south"], [30_000.0, 0.0], -20_000.0)
    price = (2_000.0 * area + 15_000.0 * rooms + premium + rng.normal(0, 25_000.0, n)) * inflation
    frame = pd.DataFrame({"area_m2": area, "rooms": rooms, "region": region, "price": price})
    frame.loc[rng.random(n) < 0.02, "area_m2"] = np.nan  # a few missing inputs
    return frame


def predict_price(frame: pd.DataFrame) -> np.ndarray:
    """The 'model': a fixed rule, a little off, so errors are not zero."""
    area = frame["area_m2"].fillna(110.0).to_numpy()
    premium = np.where(frame["region"] == "north", 25_000.0, 0.0)
    return np.asarray(1_950.0 * area + 16_000.0 * frame["rooms"].to_numpy() + premium)


def tier_of(price: np.ndarray) -> np.ndarray:
    return np.where(price < 250_000, "low", np.where(price < 330_000, "medium", "high"))


def regression_profile() -> ReferenceProfile:
    train, holdout = houses(4000, seed=100), houses(1500, seed=101)
    predicted = predict_price(holdout)
    truth = holdout["price"].to_numpy()
    return build_regression_profile(
        model_name="houses",
        features=train[FEATURES],
        numeric=NUMERIC,
        categorical=CATEGORICAL,
        target="price",
        target_values=train["price"],
        holdout_predictions=list(predicted),
        holdout_errors={
            "mae": mean_absolute_error(truth, predicted),
            "rmse": root_mean_squared_error(truth, predicted),
            "r2": r2_score(truth, predicted),
            "mean_error": float(np.mean(predicted - truth)),
        },
        created_at=1_795_000_000.0,
    )


def tier_profile() -> ReferenceProfile:
    train, holdout = houses(4000, seed=200), houses(1500, seed=201)
    return build_profile(
        model_name="tier",
        features=train[FEATURES],
        numeric=NUMERIC,
        categorical=CATEGORICAL,
        target="tier",
        classes=TIERS,
        holdout_predictions=list(tier_of(predict_price(holdout))),
        created_at=1_795_000_000.0,
    )


@dataclass
class StaticProfiles:
    """Stands in for MlflowProfileSource: profile documents by (model, version)."""

    documents: dict[tuple[str, str], str]

    def fetch(self, model: str, version: str) -> PreparedProfile:
        try:
            text = self.documents[(model, version)]
        except KeyError as exc:
            raise ProfileUnavailable(f"no profile for {model} {version}") from exc
        return prepare(model, version, f"run-{model}-{version}", loads(text))


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'predictions.db'}"


@pytest.fixture
def db(db_url: str) -> Engine:
    return open_log(db_url)


def engine_for(url: str, documents: dict[tuple[str, str], str], **config: Any) -> DriftEngine:
    cfg = ExporterConfig(**{"min_samples": 100, "min_labelled": 50, **config})
    return DriftEngine(PredictionLogReader(url), ProfileCache(StaticProfiles(documents)), cfg)


def only(results: CycleResults, model: str) -> VersionResult:
    (v,) = [v for v in results.versions if v.model == model]
    return v


def exposition(results: CycleResults) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DriftCollector(lambda: results, clock=lambda: 1e9))
    return generate_latest(registry).decode()


def log_houses(db: Engine, frame: pd.DataFrame, predicted: np.ndarray, **kw: Any) -> list[str]:
    texts = [value_text(p) for p in predicted]
    return log_rows(db, frame[FEATURES], texts, model_name="houses", **kw)


def check_errors(v: VersionResult, truth: np.ndarray, predicted: np.ndarray) -> None:
    e = v.regression_errors
    assert e is not None and e.samples == truth.size == v.labelled_samples
    assert e.mean_absolute_error == mean_absolute_error(truth, predicted)
    assert e.root_mean_squared_error == root_mean_squared_error(truth, predicted)
    assert e.r2 == r2_score(truth, predicted)
    assert e.mean_error == np.mean(predicted - truth)


def check_predicted_values(v: VersionResult, predicted: np.ndarray, ref: NumericReference) -> None:
    ks = stats.ks_2samp(predicted, np.array(ref.sample))
    assert v.prediction_ks_statistic == ks.statistic
    assert v.prediction_ks_p_value == ks.pvalue
    counts = bin_counts(predicted, np.array(ref.bin_edges))
    want = plain_psi(list(ref.bin_fractions), list(counts / counts.sum()), EPS)
    assert v.prediction_psi == pytest.approx(want, rel=1e-12, abs=1e-15)


# --- regression ------------------------------------------------------------------------


def test_regression_version_figures_equal_sklearn_and_scipy(db_url: str, db: Engine) -> None:
    profile = regression_profile()
    assert profile.predicted_values is not None and profile.holdout_errors is not None
    live = houses(800, seed=1)
    predicted = predict_price(live)
    truth = live["price"].to_numpy()
    ids = log_houses(db, live, predicted)
    log_labels(db, ids[:300], [value_text(y) for y in truth[:300]])
    engine = engine_for(db_url, {("houses", "1"): dumps(profile)})

    v = only(engine.run_cycle(), "houses")
    assert (v.task, v.window_samples, v.labelled_samples) == ("regression", 800, 300)
    assert v.performance is None
    check_errors(v, truth[:300], predicted[:300])
    check_predicted_values(v, predicted, profile.predicted_values)
    check_features(v, live[FEATURES], profile)
    assert v.holdout_mean_absolute_error == profile.holdout_errors["mae"]

    # Late labels join the figures of the window their predictions belong to.
    log_labels(db, ids[300:500], [value_text(y) for y in truth[300:500]], received_at=1.8e9)
    v = only(engine.run_cycle(), "houses")
    check_errors(v, truth[:500], predicted[:500])
    assert v.last_label_at == 1.8e9


def test_regression_figures_need_the_minimum_labelled_count(db_url: str, db: Engine) -> None:
    live = houses(300, seed=2)
    predicted, truth = predict_price(live), live["price"].to_numpy()
    ids = log_houses(db, live, predicted)
    log_labels(db, ids[:49], [value_text(y) for y in truth[:49]])
    engine = engine_for(db_url, {("houses", "1"): dumps(regression_profile())})
    results = engine.run_cycle()
    v = only(results, "houses")
    assert v.labelled_samples == 49 and v.regression_errors is None
    text = exposition(results)
    assert 'driftline_window_samples{kind="labelled",model="houses",version="1"} 49.0' in text
    assert "driftline_model_mean_absolute_error{" not in text
    assert "driftline_model_r2{" not in text
    assert 'driftline_reference_mean_absolute_error{model="houses",version="1"}' in text

    log_labels(db, ids[49:50], [value_text(truth[49])])
    results = engine.run_cycle()
    check_errors(only(results, "houses"), truth[:50], predicted[:50])
    assert 'driftline_model_mean_absolute_error{model="houses",version="1"}' in exposition(results)


def test_regression_prediction_drift_raises_the_verdict(db_url: str, db: Engine) -> None:
    """Same inputs, predicted values 15% higher: only the prediction evidence moves."""
    profile = regression_profile()
    assert profile.predicted_values is not None
    steady, shifted = houses(3000, seed=3), houses(3000, seed=4)
    log_houses(db, steady, predict_price(steady), version="1")
    high = predict_price(shifted) * 1.15
    log_houses(db, shifted, high, version="2")
    documents = {("houses", "1"): dumps(profile), ("houses", "2"): dumps(profile)}
    results = engine_for(db_url, documents, min_samples=200).run_cycle()
    ok, drifted = results.versions

    assert ok.prediction_drift is False and ok.drift is False
    assert ok.prediction_psi is not None and ok.prediction_psi < 0.02
    assert drifted.drifted_features == 0  # the inputs did not move
    assert drifted.prediction_drift is True and drifted.drift is True
    check_predicted_values(drifted, high, profile.predicted_values)
    assert drifted.prediction_ks_statistic is not None and drifted.prediction_ks_statistic > 0.1
    # the prediction's KS test is one more test in the Holm family of the version
    p_values = [f.ks_p_value or f.chi2_p_value for f in drifted.features]
    assert drifted.prediction_adjusted_p_value == pytest.approx(
        min(1.0, (len(p_values) + 1) * float(drifted.prediction_ks_p_value or 0)), rel=1e-12
    )
    text = exposition(results)
    assert 'driftline_model_drift_detected{model="houses",version="2"} 1.0' in text
    assert 'driftline_prediction_ks_statistic{model="houses",version="2"}' in text


def test_regression_window_below_the_minimum_has_no_prediction_figures(
    db_url: str, db: Engine
) -> None:
    live = houses(99, seed=5)
    log_houses(db, live, predict_price(live))
    v = only(
        engine_for(db_url, {("houses", "1"): dumps(regression_profile())}).run_cycle(), "houses"
    )
    assert (v.prediction_psi, v.prediction_ks_statistic, v.prediction_ks_p_value) == (None,) * 3
    assert (v.drift, v.prediction_drift) == (None, None)


def test_unparseable_regression_values_count_as_missing(db_url: str, db: Engine) -> None:
    live = houses(150, seed=6)
    predicted = predict_price(live)
    texts = [value_text(p) for p in predicted]
    texts[:10] = ["abc"] * 10  # not written by value_text
    ids = log_rows(db, live[FEATURES], texts, model_name="houses")
    labels = [value_text(y) for y in live["price"]]
    labels[20:25] = ["n/a"] * 5
    log_labels(db, ids, labels)
    profile = regression_profile()
    assert profile.predicted_values is not None
    v = only(engine_for(db_url, {("houses", "1"): dumps(profile)}).run_cycle(), "houses")
    assert v.window_samples == 150
    check_predicted_values(v, predicted[10:], profile.predicted_values)
    usable = np.r_[10:20, 25:150]
    assert v.labelled_samples == usable.size
    check_errors(v, live["price"].to_numpy()[usable], predicted[usable])


# --- a three-class classifier --------------------------------------------------------------


def test_three_class_version_exports_macro_and_per_class_figures(db_url: str, db: Engine) -> None:
    profile = tier_profile()
    live = houses(1000, seed=7)
    predicted = tier_of(predict_price(live))
    truth = tier_of(live["price"].to_numpy())
    ids = log_rows(db, live[FEATURES], list(predicted), model_name="tier")
    log_labels(db, ids[:600], list(truth[:600]))
    results = engine_for(db_url, {("tier", "1"): dumps(profile)}).run_cycle()
    v = only(results, "tier")
    perf = v.performance
    assert perf is not None and perf.average == "macro" and perf.roc_auc is None
    y, p = truth[:600], predicted[:600]
    kw: dict[str, Any] = {"labels": list(TIERS), "zero_division": np.nan}
    assert perf.accuracy == accuracy_score(y, p)
    assert perf.precision == precision_score(y, p, average="macro", **kw)
    assert perf.recall == recall_score(y, p, average="macro", **kw)
    assert perf.f1 == f1_score(y, p, average="macro", **kw)
    assert perf.f1 == f1_score(y, p, average="macro")  # what training logs, every class seen
    assert [c.name for c in perf.per_class] == list(TIERS)
    assert [c.f1 for c in perf.per_class] == list(f1_score(y, p, average=None, **kw))
    assert [c.precision for c in perf.per_class] == list(precision_score(y, p, average=None, **kw))
    assert [c.recall for c in perf.per_class] == list(recall_score(y, p, average=None, **kw))
    assert v.regression_errors is None and v.task == "classification"
    shares = [profile.prediction_class_fractions[c] for c in TIERS]
    actual = [float(np.mean(predicted == c)) for c in TIERS]
    assert v.prediction_psi == pytest.approx(plain_psi(shares, actual, EPS), rel=1e-12)
    text = exposition(results)
    for c in perf.per_class:
        assert (
            f'driftline_model_class_f1_ratio{{class="{c.name}",model="tier",version="1"}}' in text
        )
    assert f'driftline_model_f1_ratio{{model="tier",version="1"}} {perf.f1!r}' in text


# --- profile formats --------------------------------------------------------------------


def test_version_1_and_current_profiles_give_the_same_classifier_figures(
    db_url: str, db: Engine
) -> None:
    v1_text = (FIXTURES / "profile_v1.json").read_text()
    v1 = loads(v1_text)
    assert v1.format_version == 1 and v1.task == "classification"
    rng = np.random.default_rng(8)
    n = 400
    frame = pd.DataFrame(
        {
            "tenure_months": rng.integers(0, 72, n).astype(float),
            "contract_type": rng.choice(["month-to-month", "one-year", "two-year", "weekly"], n),
        }
    )
    score = rng.random(n)
    predicted = np.where(score > 0.6, "1", "0")
    truth = np.where(rng.random(n) < 0.8, predicted, np.where(predicted == "1", "0", "1"))
    probabilities = [{"0": 1 - s, "1": s} for s in score]
    for version in ("1", "2"):
        ids = log_rows(
            db, frame, list(predicted), model_name="churn", version=version,
            probabilities=probabilities,
        )  # fmt: skip
        log_labels(db, ids[:200], list(truth[:200]))
    documents = {("churn", "1"): v1_text, ("churn", "2"): dumps(v1)}  # the current version
    assert json.loads(documents[("churn", "2")])["format_version"] == FORMAT_VERSION
    old, new = engine_for(db_url, documents).run_cycle().versions
    for v in (old, new):
        perf = v.performance
        assert v.task == "classification" and perf is not None and perf.average == "binary"
        y, p = truth[:200], predicted[:200]
        assert perf.f1 == f1_score(y, p, pos_label="1")
        assert perf.precision == precision_score(y, p, pos_label="1")
        assert perf.per_class == () and v.regression_errors is None
        check_features(v, frame, v1)
    assert replace(old, version="2", run_id=new.run_id) == new


# --- what `driftline exporter once --json` prints ------------------------------------------


def test_once_json_carries_regression_and_per_class_figures(db_url: str, db: Engine) -> None:
    live = houses(300, seed=9)
    predicted = predict_price(live)
    ids = log_houses(db, live, predicted)
    log_labels(db, ids, [value_text(y) for y in live["price"]])
    tiers = tier_of(predicted)
    tier_ids = log_rows(db, live[FEATURES], list(tiers), model_name="tier")
    log_labels(db, tier_ids, list(tier_of(live["price"].to_numpy())))
    documents = {("houses", "1"): dumps(regression_profile()), ("tier", "1"): dumps(tier_profile())}
    results = engine_for(db_url, documents).run_cycle()
    doc = json.loads(json.dumps(_as_json(results), sort_keys=True))
    houses_doc, tier_doc = sorted(doc["versions"], key=lambda v: v["model"])
    errors = houses_doc["regression_errors"]
    assert houses_doc["task"] == "regression"
    assert errors["mean_absolute_error"] == mean_absolute_error(live["price"], predicted)
    assert set(errors) == {
        "samples", "mean_absolute_error", "root_mean_squared_error", "r2", "mean_error",
    }  # fmt: skip
    assert houses_doc["prediction_ks_statistic"] is not None
    assert houses_doc["holdout_mean_absolute_error"] is not None
    assert tier_doc["performance"]["average"] == "macro"
    assert [c["name"] for c in tier_doc["performance"]["per_class"]] == list(TIERS)


def test_once_text_shows_a_regression_versions_errors(
    db_url: str, db: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    live = houses(300, seed=9)
    predicted = predict_price(live)
    ids = log_houses(db, live, predicted)
    log_labels(db, ids, [value_text(y) for y in live["price"]])
    results = engine_for(db_url, {("houses", "1"): dumps(regression_profile())}).run_cycle()
    _print_text(results)
    out = capsys.readouterr().out
    mae = mean_absolute_error(live["price"], predicted)
    assert f"mean_absolute_error={mae}" in out
    assert "holdout mae=" in out and "prediction_ks=" in out
