"""The exposition: golden file from fixed inputs, promtool-clean, catalog names only."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from driftline.metric_catalog import METRICS
from exporter.collector import DriftCollector
from exporter.results import CycleResults, FeatureResult, VersionResult
from exporter.stats.estimation import Band, EstimatedErrors, EstimatedPerformance
from exporter.stats.performance import ClassFigures, Performance
from exporter.stats.regression import RegressionErrors

GOLDEN = Path(__file__).parent / "golden" / "exposition.prom"

FIXED = CycleResults(
    versions=(
        VersionResult(
            model="churn",
            version="2",
            run_id="bbbb",
            window_samples=5000,
            labelled_samples=1200,
            last_label_at=1_700_000_100.0,
            features=(
                FeatureResult(
                    name="tenure_months",
                    kind="numeric",
                    samples=4990,
                    missing_ratio=0.002,
                    psi=0.0123,
                    ks_statistic=0.031,
                    ks_p_value=0.00042,
                    adjusted_p_value=0.00084,
                    drift=False,
                ),
                FeatureResult(
                    name="region",
                    kind="categorical",
                    samples=5000,
                    missing_ratio=0.0,
                    psi=0.5,
                    chi2_statistic=812.5,
                    chi2_p_value=1e-170,
                    unseen_ratio=0.1,
                    adjusted_p_value=2e-170,
                    drift=True,
                ),
            ),
            prediction_psi=0.004,
            performance=Performance(
                samples=1200, accuracy=0.8, precision=0.75, recall=0.5, f1=0.6, roc_auc=0.85
            ),
            drift=True,
            drifted_features=1,
            # Estimated over all 5,000 predictions; recall's band is undefined here.
            estimated_performance=EstimatedPerformance(
                samples=5000,
                accuracy=Band(0.75, 0.73, 0.77),
                precision=Band(0.625, 0.5, 0.75),
                recall=None,
                f1=Band(0.5, 0.25, 0.75),
                roc_auc=Band(0.8125, 0.8, 0.825),
                calibration_error=0.0125,
            ),
        ),
        VersionResult(
            model="churn",
            version="1",
            run_id="aaaa",
            window_samples=40,
            labelled_samples=0,
            last_label_at=None,
            features=(
                FeatureResult(name="tenure_months", kind="numeric", samples=40, missing_ratio=None),
            ),
            prediction_psi=None,
            performance=None,
            drift=None,
            drifted_features=None,
        ),
        # A 3-class model: macro averages on the version series, per-class figures beside.
        VersionResult(
            model="tier",
            version="1",
            run_id="cccc",
            window_samples=900,
            labelled_samples=300,
            last_label_at=1_700_000_150.0,
            features=(),
            prediction_psi=0.02,
            performance=Performance(
                samples=300,
                accuracy=0.7,
                precision=0.6875,
                recall=0.5,
                f1=0.55,
                roc_auc=None,
                average="macro",
                per_class=(
                    ClassFigures("high", precision=0.75, recall=0.5, f1=0.6),
                    ClassFigures("low", precision=None, recall=0.0, f1=0.0),
                    ClassFigures("medium", precision=0.625, recall=1.0, f1=0.7692307692307693),
                ),
            ),
            drift=False,
            drifted_features=0,
        ),
        # A regression model: error figures and the predicted values' PSI and KS.
        VersionResult(
            model="houses",
            version="4",
            run_id="dddd",
            window_samples=2000,
            labelled_samples=800,
            last_label_at=1_700_000_160.0,
            features=(
                FeatureResult(
                    name="area_m2",
                    kind="numeric",
                    samples=2000,
                    missing_ratio=0.0,
                    psi=0.01,
                    ks_statistic=0.02,
                    ks_p_value=0.4,
                    adjusted_p_value=0.8,
                    drift=False,
                ),
            ),
            prediction_psi=0.31,
            performance=None,
            drift=True,
            drifted_features=0,
            task="regression",
            prediction_ks_statistic=0.21,
            prediction_ks_p_value=3e-40,
            prediction_adjusted_p_value=6e-40,
            prediction_drift=True,
            regression_errors=RegressionErrors(
                samples=800,
                mean_absolute_error=21500.5,
                root_mean_squared_error=30250.25,
                r2=-0.125,
                mean_error=-18000.0,
            ),
            holdout_mean_absolute_error=16000.0,
            estimated_performance=EstimatedErrors(
                samples=2000,
                mean_absolute_error=Band(20000.5, 19000.25, 21000.75),
                root_mean_squared_error=Band(28000.0, 27000.0, 29000.0),
            ),
        ),
    ),
    last_run_at=1_700_000_200.0,
    last_success_at=1_700_000_170.0,
    run_duration_seconds=0.125,
    errors={"store": 2, "registry": 0, "compute": 0},
    started_at=1_700_000_000.0,
)


def render(results: CycleResults, now: float) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DriftCollector(lambda: results, clock=lambda: now))
    return generate_latest(registry).decode()


def test_exposition_matches_golden_file() -> None:
    text = render(FIXED, now=1_700_000_230.0)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_metrics_page_equals_the_collector_and_refreshes_staleness() -> None:
    from exporter.collector import MetricsPage

    now = [1_700_000_230.0]
    page = MetricsPage(lambda: FIXED, clock=lambda: now[0])
    assert page().decode() == GOLDEN.read_text()
    now[0] += 10
    assert "driftline_exporter_staleness_seconds 70.0" in page().decode()


def test_every_family_is_in_the_catalog_with_its_labels() -> None:
    catalog = {m.name: m for m in METRICS if m.component == "exporter"}
    seen = set()
    for fam in text_string_to_metric_families(render(FIXED, 1_700_000_230.0)):
        name = fam.name + "_total" if fam.type == "counter" else fam.name
        spec = catalog[name]
        assert fam.type == spec.type
        for sample in fam.samples:
            assert tuple(sorted(sample.labels)) == tuple(sorted(spec.labels))
        seen.add(name)
    assert seen == set(catalog)


def test_figures_below_minimum_are_absent_not_zero() -> None:
    text = render(FIXED, 1_700_000_230.0)
    v1 = 'feature="tenure_months",model="churn",version="1"'
    assert f"driftline_feature_samples{{{v1}}} 40.0" in text
    assert 'driftline_feature_psi{feature="tenure_months",model="churn",version="1"}' not in text
    assert 'driftline_model_drift_detected{model="churn",version="1"}' not in text
    assert 'driftline_window_samples{kind="labelled",model="churn",version="1"} 0.0' in text


def test_staleness_grows_from_the_last_success() -> None:
    assert "driftline_exporter_staleness_seconds 60.0" in render(FIXED, 1_700_000_230.0)
    empty = CycleResults(started_at=100.0, errors={})
    text = render(empty, 130.0)
    assert "driftline_exporter_staleness_seconds 30.0" in text
    assert 'driftline_exporter_errors_total{stage="store"} 0.0' in text


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_promtool_accepts_the_exposition() -> None:
    out = subprocess.run(
        ["promtool", "check", "metrics"],
        input=render(FIXED, 1e9).encode(),
        capture_output=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stdout.decode() + out.stderr.decode()


def test_multiclass_versions_export_macro_and_per_class_figures() -> None:
    text = render(FIXED, 1_700_000_230.0)
    assert 'driftline_model_f1_ratio{model="tier",version="1"} 0.55' in text
    assert 'driftline_model_class_f1_ratio{class="medium",model="tier",version="1"} 0.769' in text
    # undefined (never predicted) is absent, not 0; binary versions have no per-class series
    assert 'driftline_model_class_precision_ratio{class="low"' not in text
    assert 'driftline_model_class_recall_ratio{class="low",model="tier",version="1"} 0.0' in text
    assert 'driftline_model_roc_auc_ratio{model="tier"' not in text
    assert 'driftline_model_class_f1_ratio{class="1",model="churn"' not in text


def test_regression_versions_export_error_figures_and_prediction_ks() -> None:
    text = render(FIXED, 1_700_000_230.0)
    mv = 'model="houses",version="4"'
    assert f"driftline_model_mean_absolute_error{{{mv}}} 21500.5" in text
    assert f"driftline_model_root_mean_squared_error{{{mv}}} 30250.25" in text
    assert f"driftline_model_r2{{{mv}}} -0.125" in text
    assert f"driftline_model_mean_error{{{mv}}} -18000.0" in text
    assert f"driftline_reference_mean_absolute_error{{{mv}}} 16000.0" in text
    assert f"driftline_prediction_psi{{{mv}}} 0.31" in text
    assert f"driftline_prediction_ks_statistic{{{mv}}} 0.21" in text
    assert f"driftline_prediction_ks_p_value{{{mv}}} 3e-40" in text
    assert f"driftline_model_drift_detected{{{mv}}} 1.0" in text
    # no classifier figures for a regression version, no error figures for a classifier
    assert f"driftline_model_accuracy_ratio{{{mv}}}" not in text
    assert 'driftline_model_mean_absolute_error{model="churn"' not in text
    assert 'driftline_prediction_ks_statistic{model="churn"' not in text


def test_regression_figures_below_the_minimum_are_absent() -> None:
    houses = next(v for v in FIXED.versions if v.model == "houses")
    few = replace(houses, labelled_samples=10, regression_errors=None)
    no_r2 = replace(
        houses,
        version="5",
        regression_errors=replace(houses.regression_errors, r2=None),  # type: ignore[type-var]
    )
    text = render(CycleResults(versions=(few, no_r2)), 1_700_000_230.0)
    assert 'driftline_model_mean_absolute_error{model="houses",version="4"}' not in text
    assert 'driftline_window_samples{kind="labelled",model="houses",version="4"} 10.0' in text
    assert 'driftline_model_mean_absolute_error{model="houses",version="5"} 21500.5' in text
    assert 'driftline_model_r2{model="houses",version="5"}' not in text
    # the holdout's figure is the profile's: there whatever the labelled count
    assert 'driftline_reference_mean_absolute_error{model="houses",version="4"} 16000.0' in text
