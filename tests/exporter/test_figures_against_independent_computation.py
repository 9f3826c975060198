"""Every exported figure equals an independent computation on the logged rows.

Real MLflow store (reference profile of the champion), real SQLite prediction log,
predictions from the real champion model; the independent side reads the profile
itself and uses scipy / sklearn / a plain loop.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
from sqlalchemy import Engine

from driftline.config import Settings
from exporter.results import VersionResult
from exporter.settings import ExporterConfig
from reference.binning import bin_counts
from reference.profile import CategoricalReference, NumericReference, ReferenceProfile
from tests.exporter.conftest import make_engine
from tests.exporter.logdata import Logged, log_labels, log_traffic
from tests.exporter.test_stats_psi import plain_psi
from training.synthetic import Drift, generate

EPS = 1e-4


def _profile(engine: Any) -> ReferenceProfile:
    return next(iter(engine.windows.values())).prepared.profile  # type: ignore[no-any-return]


def check_features(result: VersionResult, frame: pd.DataFrame, profile: ReferenceProfile) -> None:
    by_name = {f.name: f for f in result.features}
    assert set(by_name) == set(profile.feature_names)
    n = len(frame)
    for ref in profile.features:
        got = by_name[ref.name]
        column = frame[ref.name]
        present = column.dropna()
        assert got.samples == len(present)
        assert got.missing_ratio == pytest.approx((n - len(present)) / n, abs=1e-15)
        if isinstance(ref, NumericReference):
            values = present.to_numpy(dtype=float)
            ks = stats.ks_2samp(values, np.array(ref.sample))
            assert got.ks_statistic == ks.statistic
            assert got.ks_p_value == ks.pvalue
            counts = bin_counts(values, np.array(ref.bin_edges))
            want = plain_psi(list(ref.bin_fractions), list(counts / counts.sum()), EPS)
            assert got.psi == pytest.approx(want, rel=1e-12, abs=1e-15)
        else:
            assert isinstance(ref, CategoricalReference)
            keys = present.map(str)
            known = [c for c in sorted(ref.frequencies)]
            observed = np.array([(keys == c).sum() for c in known])
            unseen = int((~keys.isin(known)).sum())
            assert got.unseen_ratio == unseen / len(keys)
            shares = np.array([ref.frequencies[c] for c in known])
            chi = stats.chisquare(observed, shares / shares.sum() * observed.sum())
            assert got.chi2_statistic == chi.statistic
            assert got.chi2_p_value == chi.pvalue
            want = plain_psi(
                [*shares.tolist(), 0.0], list(np.append(observed, unseen) / len(keys)), EPS
            )
            assert got.psi == pytest.approx(want, rel=1e-12, abs=1e-15)


def check_prediction_psi(result: VersionResult, logged: Logged, profile: ReferenceProfile) -> None:
    classes = list(profile.classes)
    shares = [profile.prediction_class_fractions[c] for c in classes]
    preds = pd.Series(logged.predicted)
    actual = [float((preds == c).mean()) for c in classes]
    assert result.prediction_psi == pytest.approx(plain_psi(shares, actual, EPS), rel=1e-12)


@pytest.mark.parametrize(
    "name,drifts,missing",
    [
        ("no drift", [], 0.0),
        ("missing values", [], 0.05),
        (
            "covariate + new category",
            [
                Drift("covariate", 0.7, ("age", "data_usage_gb")),
                Drift("new_category", 0.2, ("device",)),
            ],
            0.02,
        ),
        ("prior shift", [Drift("prior", 0.5)], 0.0),
    ],
)
def test_window_figures(
    name: str,
    drifts: list[Drift],
    missing: float,
    model: Any,
    log_db: Engine,
    log_settings: Settings,
) -> None:
    data = generate(3000, seed=101, drifts=drifts, missing_rate=missing)
    logged = log_traffic(log_db, model, data)
    engine = make_engine(log_settings)
    results = engine.run_cycle()
    assert results.errors == {"registry": 0, "store": 0, "compute": 0}
    (result,) = results.versions
    assert result.window_samples == 3000
    profile = _profile(engine)
    check_features(result, logged.frame, profile)
    check_prediction_psi(result, logged, profile)


def test_performance_over_late_labels(model: Any, log_db: Engine, log_settings: Settings) -> None:
    logged = log_traffic(log_db, model, generate(2000, seed=5))
    engine = make_engine(log_settings, ExporterConfig(min_labelled=50))
    first = engine.run_cycle().versions[0]
    assert first.labelled_samples == 0 and first.performance is None
    assert first.last_label_at is None
    # labels for a third of the predictions arrive after the first cycle
    idx = list(range(0, 2000, 3))
    log_labels(
        log_db,
        [logged.ids[i] for i in idx],
        [logged.truth[i] for i in idx],
        received_at=1_700_000_500.0,
    )
    second = engine.run_cycle().versions[0]
    assert second.labelled_samples == len(idx)
    assert second.last_label_at == 1_700_000_500.0
    truth = np.array([logged.truth[i] for i in idx])
    pred = np.array([logged.predicted[i] for i in idx])
    perf = second.performance
    assert perf is not None
    assert perf.accuracy == accuracy_score(truth, pred)
    assert perf.precision == precision_score(truth, pred, pos_label="1")
    assert perf.recall == recall_score(truth, pred, pos_label="1")
    assert perf.f1 == f1_score(truth, pred, pos_label="1")
    assert perf.roc_auc == pytest.approx(roc_auc_score(truth == "1", logged.score[idx]), rel=1e-12)


def test_backfill_joins_labels_already_there(
    model: Any, log_db: Engine, log_settings: Settings
) -> None:
    logged = log_traffic(log_db, model, generate(600, seed=8))
    log_labels(log_db, logged.ids[:300], logged.truth[:300])
    result = make_engine(log_settings).run_cycle().versions[0]
    assert result.labelled_samples == 300
    assert result.performance is not None
    assert result.performance.accuracy == accuracy_score(logged.truth[:300], logged.predicted[:300])


def test_below_minimum_nothing_is_exported(
    model: Any, log_db: Engine, log_settings: Settings
) -> None:
    log_traffic(log_db, model, generate(50, seed=3))
    result = make_engine(log_settings, ExporterConfig(min_samples=100)).run_cycle().versions[0]
    assert result.window_samples == 50
    assert result.drift is None and result.prediction_psi is None
    for f in result.features:
        assert f.samples == 50
        assert (f.psi, f.ks_p_value, f.chi2_p_value, f.missing_ratio, f.drift) == (
            None,
            None,
            None,
            None,
            None,
        )


def test_tiny_window_figures(model: Any, log_db: Engine, log_settings: Settings) -> None:
    logged = log_traffic(log_db, model, generate(3, seed=4))
    engine = make_engine(log_settings, ExporterConfig(min_samples=1, min_labelled=1))
    result = engine.run_cycle().versions[0]
    check_features(result, logged.frame, _profile(engine))
    assert not math.isnan(result.prediction_psi or 0.0)
