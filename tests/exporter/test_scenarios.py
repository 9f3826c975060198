"""Drift scenarios from the synthetic generator, predicted by the real champion.

Windows of 5,000 predictions flow through one exporter that reads incrementally.
"""

from __future__ import annotations

from typing import Any

import pytest
from sklearn.metrics import accuracy_score
from sqlalchemy import Engine

from driftline.config import Settings
from exporter.results import VersionResult
from exporter.settings import ExporterConfig
from tests.exporter.conftest import make_engine
from tests.exporter.logdata import log_labels, log_traffic
from training.synthetic import NEW_CATEGORY_VALUE, Drift, generate

WINDOW = 5000
CONFIG = ExporterConfig(window_size=WINDOW, label_window_size=WINDOW)


def flagged(result: VersionResult) -> set[str]:
    return {f.name for f in result.features if f.drift}


def test_no_drift_raises_no_verdict_over_many_windows(
    model: Any, log_db: Engine, log_settings: Settings
) -> None:
    engine = make_engine(log_settings, CONFIG)
    for seed in range(200, 208):
        log_traffic(log_db, model, generate(WINDOW, seed=seed))
        (result,) = engine.run_cycle().versions
        assert result.window_samples == WINDOW
        assert result.drift is False, (seed, flagged(result))
        assert result.drifted_features == 0


def test_covariate_shift_flags_that_feature_only(
    model: Any, log_db: Engine, log_settings: Settings
) -> None:
    engine = make_engine(log_settings, CONFIG)
    log_traffic(log_db, model, generate(WINDOW, seed=300))
    assert engine.run_cycle().versions[0].drift is False
    shifted = generate(WINDOW, seed=301, drifts=[Drift("covariate", 0.3, ("monthly_charges",))])
    log_traffic(log_db, model, shifted)
    (result,) = engine.run_cycle().versions
    assert flagged(result) == {"monthly_charges"}
    assert result.drift is True and result.drifted_features == 1


def test_new_category_is_flagged_with_its_share(
    model: Any, log_db: Engine, log_settings: Settings
) -> None:
    data = generate(WINDOW, seed=310, drifts=[Drift("new_category", 0.05, ("region",))])
    log_traffic(log_db, model, data)
    (result,) = make_engine(log_settings, CONFIG).run_cycle().versions
    region = next(f for f in result.features if f.name == "region")
    assert region.unseen_ratio == (data["region"] == NEW_CATEGORY_VALUE).mean()
    assert flagged(result) == {"region"}
    assert result.drift is True


def test_prior_shift_moves_predictions(model: Any, log_db: Engine, log_settings: Settings) -> None:
    log_traffic(log_db, model, generate(WINDOW, seed=320, drifts=[Drift("prior", 0.6)]))
    (result,) = make_engine(log_settings, CONFIG).run_cycle().versions
    assert result.prediction_psi is not None and result.prediction_psi >= 0.1
    assert result.drift is True


def test_concept_drift_shows_once_labels_arrive(
    model: Any, log_db: Engine, log_settings: Settings
) -> None:
    engine = make_engine(log_settings, CONFIG)
    before = log_traffic(log_db, model, generate(WINDOW, seed=330))
    log_labels(log_db, before.ids, before.truth)
    baseline = engine.run_cycle().versions[0]
    assert baseline.performance is not None and baseline.drift is False

    after = log_traffic(log_db, model, generate(WINDOW, seed=331, drifts=[Drift("concept", 1.0)]))
    unlabelled = engine.run_cycle().versions[0]
    assert unlabelled.drift is False  # the inputs did not move
    # the labelled window is the newest 5,000 predictions: none of them has a label yet
    assert unlabelled.labelled_samples == 0 and unlabelled.performance is None

    log_labels(log_db, after.ids, after.truth, received_at=1_700_000_900.0)
    labelled = engine.run_cycle().versions[0]
    assert labelled.labelled_samples == WINDOW
    assert labelled.performance is not None and baseline.performance is not None
    assert labelled.performance.accuracy == accuracy_score(after.truth, after.predicted)
    assert labelled.performance.accuracy is not None
    assert baseline.performance.accuracy is not None
    assert labelled.performance.accuracy < baseline.performance.accuracy - 0.1
    assert labelled.drift is False


@pytest.mark.parametrize("strength", [0.5])
def test_scale_drift_is_caught_by_ks(
    strength: float, model: Any, log_db: Engine, log_settings: Settings
) -> None:
    data = generate(WINDOW, seed=340, drifts=[Drift("scale", strength, ("data_usage_gb",))])
    log_traffic(log_db, model, data)
    (result,) = make_engine(log_settings, CONFIG).run_cycle().versions
    assert flagged(result) == {"data_usage_gb"}
