"""Estimated performance through the real engine: versions trained by driftline, stored in a
real MLflow store (calibrator in the profile, error estimator as a run artifact), traffic
logged as serving logs it, and figures compared with the pure functions on the logged rows."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, insert

from driftline.monitoring_render import load_thresholds
from driftline.regression_values import value_text
from exporter.cli import _as_json
from exporter.collector import families
from exporter.settings import ExporterConfig
from exporter.stats.estimation import (
    EstimatedErrors,
    EstimatedPerformance,
    confidence_sums,
    error_sums,
    estimate_errors,
    estimate_performance,
    expected_roc_auc,
)
from predictionlog.schema import predictions
from tests.exporter.conftest import make_engine
from tests.exporter.logdata import log_labels, log_traffic, open_log
from tests.support.model_store import RegressionStore, make_regression_store, regression_data
from traffic.scenarios import scenario
from training.synthetic import Drift, generate


def test_a_classifier_is_estimated_over_every_prediction_before_any_label(
    model: Any, log_db: Engine, log_settings: Any
) -> None:
    logged = log_traffic(log_db, model, generate(1500, seed=21))
    engine = make_engine(log_settings, ExporterConfig(min_labelled=50))
    (v,) = engine.run_cycle().versions
    assert v.labelled_samples == 0 and v.performance is None
    est = v.estimated_performance
    assert isinstance(est, EstimatedPerformance)
    calibrator = engine.windows[("churn", "1")].prepared.calibrator
    assert calibrator is not None
    calibrated = calibrator.apply(logged.score)
    positive = np.array(logged.predicted) == "1"
    expected = estimate_performance(
        confidence_sums(calibrated, positive),
        calibrator.ece,
        expected_roc_auc(logged.score, calibrated),
    )
    assert est == expected and est.samples == 1500
    # Beside the realized figures once labels come, and in the JSON and the exposition.
    log_labels(log_db, logged.ids[:600], logged.truth[:600])
    (v,) = engine.run_cycle().versions
    assert v.performance is not None and v.estimated_performance == expected
    doc = json.loads(json.dumps(_as_json(engine.latest())))
    estimated = doc["versions"][0]["estimated_performance"]
    assert estimated["accuracy"]["estimate"] == est.accuracy.estimate
    assert estimated["calibration_error"] == calibrator.ece
    names = {m.name: m for m in families(engine.latest())}
    accuracy = names["driftline_model_estimated_accuracy_ratio"]
    bounds = {s.labels["bound"]: s.value for s in accuracy.samples}
    assert bounds == {
        "estimate": est.accuracy.estimate,
        "lower": est.accuracy.lower,
        "upper": est.accuracy.upper,
    }


def test_a_shift_into_the_models_weak_region_lowers_the_estimate_as_labels_later_show(
    model: Any, log_db: Engine, log_settings: Any
) -> None:
    steady = generate(3000, seed=22)
    shifted = generate(
        3000, seed=23, drifts=[Drift("covariate", 1.5, ("satisfaction_score", "tenure_months"))]
    )
    results = {}
    for name, data, version in (("steady", steady, "1"), ("shifted", shifted, "1")):
        settings = replace(
            log_settings,
            prediction_db_url=log_settings.prediction_db_url.replace(".db", f"-{name}.db"),
        )
        db = open_log(settings.prediction_db_url)
        logged = log_traffic(db, model, data, version=version)
        log_labels(db, logged.ids, logged.truth)
        (v,) = make_engine(settings, ExporterConfig(min_labelled=50)).run_cycle().versions
        results[name] = v
    for v in results.values():
        assert v.performance is not None and v.performance.accuracy is not None
        est = v.estimated_performance
        assert isinstance(est, EstimatedPerformance)
        # The band holds the realized accuracy, and the estimate is close to it.
        assert est.accuracy.lower <= v.performance.accuracy <= est.accuracy.upper
        assert abs(est.accuracy.estimate - v.performance.accuracy) < 0.03
    # The estimate moves with the realized accuracy.
    moved = {
        name: (v.estimated_performance.accuracy.estimate, v.performance.accuracy)  # type: ignore[union-attr]
        for name, v in results.items()
    }
    print(moved)
    estimated_change = moved["shifted"][0] - moved["steady"][0]
    realized_change = moved["shifted"][1] - moved["steady"][1]  # type: ignore[operator]
    assert abs(estimated_change - realized_change) < 0.02


@pytest.fixture(scope="module")
def revenue_store(tmp_path_factory: pytest.TempPathFactory) -> RegressionStore:
    return make_regression_store(tmp_path_factory.mktemp("revenue"), rows=3000, seed=4)


def _log_values(db: Engine, frame: pd.DataFrame, predicted: np.ndarray, name: str) -> None:
    records = frame.to_dict(orient="records")
    rows = [
        {
            "prediction_id": f"p{i}",
            "created_at": 1_700_000_000.0,
            "model_name": name,
            "model_version": "1",
            "features": json.dumps(
                {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
            ),
            "predicted_class": value_text(float(p)),
            "probabilities": "{}",
        }
        for i, (r, p) in enumerate(zip(records, predicted, strict=True))
    ]
    with db.begin() as conn:
        conn.execute(insert(predictions), rows)


def test_a_regression_version_is_estimated_by_its_stored_error_estimator(
    revenue_store: RegressionStore, tmp_path: Path
) -> None:
    settings = replace(
        revenue_store.settings, prediction_db_url=f"sqlite:///{tmp_path / 'predictions.db'}"
    )
    db = open_log(settings.prediction_db_url)
    live = regression_data(800, seed=31)
    predicted = revenue_store.model.predict(live.frame)
    _log_values(db, live.frame, predicted, settings.model_name)
    engine = make_engine(settings, ExporterConfig())
    (v,) = engine.run_cycle().versions
    est = v.estimated_performance
    assert isinstance(est, EstimatedErrors) and est.samples == 800
    estimator = engine.windows[(settings.model_name, "1")].prepared.error_estimator
    assert estimator is not None  # fetched from the run by MlflowProfileSource
    logged = pd.DataFrame.from_records(
        [json.loads(json.dumps(r)) for r in live.frame.to_dict(orient="records")]
    )
    absolute, squared = estimator.expected_errors(logged, predicted.astype(np.float64))
    info = engine.windows[(settings.model_name, "1")].prepared.profile.error_estimation
    assert info is not None and info.absolute_bias > 0
    expected = estimate_errors(error_sums(absolute, squared), info.absolute_bias, info.squared_bias)
    assert expected is not None
    assert est.mean_absolute_error.estimate == pytest.approx(
        expected.mean_absolute_error.estimate, rel=1e-9
    )
    assert est.root_mean_squared_error.upper == pytest.approx(
        expected.root_mean_squared_error.upper, rel=1e-9
    )
    # Close to what the labels will say: the revenue rule is known and the noise is even.
    # (How often the band holds the realized figure is bench/exporter_estimation.py's job.)
    truth = live.target.to_numpy(dtype=np.float64)
    realized = float(np.mean(np.abs(predicted - truth)))
    assert est.mean_absolute_error.estimate == pytest.approx(realized, rel=0.1)


def test_the_covariate_only_story_shows_drift_with_no_estimated_loss(
    model: Any, log_db: Engine, log_settings: Any
) -> None:
    """The demo's covariate-only shift: the verdict is raised, the estimate holds (and so do
    the labels), so the estimated-performance alert has nothing to say."""
    shift = scenario("covariate-only", 0.0).phases[1].drifts
    logged = log_traffic(log_db, model, generate(3000, seed=24, drifts=list(shift)))
    log_labels(log_db, logged.ids, logged.truth)
    (v,) = make_engine(log_settings, ExporterConfig(min_labelled=50)).run_cycle().versions
    est = v.estimated_performance
    assert v.drift is True and isinstance(est, EstimatedPerformance)
    assert v.performance is not None and v.performance.accuracy is not None
    accuracy_min = load_thresholds()["accuracy_min"]
    assert est.accuracy.upper > est.accuracy.estimate > accuracy_min
    assert v.performance.accuracy > accuracy_min
    assert est.accuracy.lower <= v.performance.accuracy <= est.accuracy.upper
