"""Holm correction and the drift rule."""

from __future__ import annotations

import pytest

from exporter.stats.verdict import (
    FeatureEvidence,
    PredictionEvidence,
    VerdictRule,
    decide,
    holm,
)


def test_holm_known_answer() -> None:
    # sorted p: 0.01, 0.02, 0.03, 0.5 -> 4*0.01, 3*0.02, max(2*0.03, .06), max(1*0.5, ...)
    assert holm([0.03, 0.01, 0.5, 0.02]) == pytest.approx([0.06, 0.04, 0.5, 0.06])
    assert holm([0.9, 0.4]) == pytest.approx([0.9, 0.8])
    assert holm([0.9, 0.8]) == [1.0, 1.0]  # capped at 1
    assert holm([]) == []


def num(name: str, ks: float, p: float, psi: float = 0.01) -> FeatureEvidence:
    return FeatureEvidence(name=name, kind="numeric", psi=psi, p_value=p, ks_statistic=ks)


def cat(name: str, psi: float, p: float, unseen: float = 0.0) -> FeatureEvidence:
    return FeatureEvidence(name=name, kind="categorical", psi=psi, p_value=p, unseen_ratio=unseen)


RULE = VerdictRule()


def test_significant_but_tiny_shift_is_not_drift() -> None:
    v = decide(
        [num("a", ks=0.02, p=1e-9), num("b", ks=0.01, p=0.5)], PredictionEvidence(psi=0.0), RULE
    )
    assert v.flagged == {"a": False, "b": False}
    assert not v.drift


def test_large_and_significant_shift_is_drift() -> None:
    v = decide(
        [num("a", ks=0.08, p=1e-9), num("b", ks=0.01, p=0.5)], PredictionEvidence(psi=0.0), RULE
    )
    assert v.flagged == {"a": True, "b": False}
    assert v.drift and v.drifted_features == 1


def test_large_but_not_significant_after_holm_is_not_drift() -> None:
    # 0.01 alone would pass alpha=0.05, but 20 features make it 0.2 after Holm
    features = [num("a", ks=0.3, p=0.01)] + [num(f"f{i}", ks=0.0, p=0.9) for i in range(19)]
    v = decide(features, PredictionEvidence(psi=0.0), RULE)
    assert not v.flagged["a"]
    assert v.adjusted_p_values["a"] == pytest.approx(0.2)


def test_psi_above_the_hard_limit_flags_whatever_the_p_value() -> None:
    v = decide([num("a", ks=0.01, p=0.9, psi=0.3)], None, RULE)
    assert v.flagged["a"]


def test_unseen_categories_and_categorical_shift() -> None:
    v = decide(
        [
            cat("c", psi=0.001, p=0.9, unseen=0.02),
            cat("d", psi=0.05, p=1e-6),
            cat("e", psi=0.005, p=1e-6),
        ],
        None,
        RULE,
    )
    assert v.flagged == {"c": True, "d": True, "e": False}


def test_prediction_psi_raises_the_model_verdict_alone() -> None:
    v = decide([num("a", ks=0.01, p=0.9)], PredictionEvidence(psi=0.15), RULE)
    assert v.prediction_drift and v.drift and v.drifted_features == 0


def test_features_without_figures_are_never_flagged() -> None:
    v = decide([FeatureEvidence(name="x", kind="numeric", psi=None, p_value=None)], None, RULE)
    assert v.flagged == {"x": False} and not v.drift


def test_min_drifted_features() -> None:
    rule = VerdictRule(min_drifted_features=2)
    assert not decide([num("a", ks=0.2, p=1e-9)], PredictionEvidence(psi=0.0), rule).drift
    assert decide(
        [num("a", ks=0.2, p=1e-9), num("b", ks=0.2, p=1e-9)], PredictionEvidence(psi=0.0), rule
    ).drift


def test_bad_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="alpha"):
        VerdictRule(alpha=0)
    with pytest.raises(ValueError, match="ks_min"):
        VerdictRule(ks_min=-1)


# --- predicted values of a regression model ------------------------------------------


def values(psi: float, ks: float, p: float) -> PredictionEvidence:
    return PredictionEvidence(psi=psi, p_value=p, ks_statistic=ks)


def test_predicted_values_large_and_significant_shift_raises_the_verdict() -> None:
    v = decide([num("a", ks=0.01, p=0.9)], values(psi=0.05, ks=0.08, p=1e-9), RULE)
    assert v.prediction_drift and v.drift and v.drifted_features == 0
    assert v.prediction_adjusted_p_value == pytest.approx(2e-9)  # Holm over 2 tests


def test_predicted_values_significant_but_tiny_or_large_but_noisy_is_not_drift() -> None:
    tiny = decide([num("a", ks=0.01, p=0.9)], values(psi=0.01, ks=0.02, p=1e-12), RULE)
    assert not tiny.prediction_drift and not tiny.drift
    # 0.03 alone passes alpha; among 3 tests Holm makes it 0.09
    noisy = decide(
        [num("a", ks=0.0, p=0.9), num("b", ks=0.0, p=0.8)], values(psi=0.01, ks=0.3, p=0.03), RULE
    )
    assert noisy.prediction_adjusted_p_value == pytest.approx(0.09)
    assert not noisy.prediction_drift


def test_predicted_values_psi_alone_raises_the_verdict() -> None:
    v = decide([], values(psi=0.12, ks=0.01, p=0.9), RULE)
    assert v.prediction_drift and v.drift


def test_prediction_p_value_joins_the_features_holm_family() -> None:
    # Alone, feature a's 0.01 stays 0.01; beside the prediction's test Holm doubles it.
    v = decide([num("a", ks=0.2, p=0.01)], values(psi=0.0, ks=0.0, p=0.3), RULE)
    assert v.adjusted_p_values["a"] == pytest.approx(0.02)
    assert v.prediction_adjusted_p_value == pytest.approx(0.3)
    alone = decide([num("a", ks=0.2, p=0.01)], None, RULE)
    assert alone.adjusted_p_values["a"] == 0.01 and alone.prediction_adjusted_p_value is None
