"""Estimated performance: equal to a plain recomputation, and right for a calibrated model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from exporter.stats.estimation import (
    BAND_Z,
    confidence_sums,
    error_sums,
    estimate_errors,
    estimate_performance,
    expected_roc_auc,
)
from exporter.stats.performance import performance


def _window(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scores = rng.random(n).round(2)  # ties on purpose
    calibrated = np.clip(scores + rng.normal(0, 0.05, n), 0, 1)
    predicted_positive = scores > 0.5
    return scores, calibrated, predicted_positive


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_estimate_equals_a_plain_recomputation_from_the_calibrated_probabilities(
    seed: int,
) -> None:
    _, p, d = _window(60, seed)
    p[3] = np.nan  # a prediction logged without its probability is left out
    keep = np.isfinite(p)
    ps, ds = p[keep].tolist(), d[keep].tolist()
    n = len(ps)
    tp = sum(pi for pi, di in zip(ps, ds, strict=True) if di)
    fp = sum(1 - pi for pi, di in zip(ps, ds, strict=True) if di)
    fn = sum(pi for pi, di in zip(ps, ds, strict=True) if not di)
    tn = sum(1 - pi for pi, di in zip(ps, ds, strict=True) if not di)
    var_acc = sum(pi * (1 - pi) for pi in ps) / n**2
    ece = 0.02
    est = estimate_performance(confidence_sums(p, d), ece)
    assert est is not None and est.samples == n == 59
    assert est.accuracy.estimate == pytest.approx((tp + tn) / n, rel=1e-12)
    half = BAND_Z * math.sqrt(var_acc + ece**2)
    assert est.accuracy.lower == pytest.approx(est.accuracy.estimate - half, rel=1e-12)
    assert est.accuracy.upper == pytest.approx(est.accuracy.estimate + half, rel=1e-12)
    assert est.precision is not None and est.recall is not None and est.f1 is not None
    assert est.precision.estimate == pytest.approx(tp / (tp + fp), rel=1e-12)
    assert est.recall.estimate == pytest.approx(tp / (tp + fn), rel=1e-12)
    assert est.f1.estimate == pytest.approx(2 * tp / (2 * tp + fp + fn), rel=1e-12)
    # Precision's spread: TP's variance over the fixed count of predicted positives.
    var_tp = sum(pi * (1 - pi) for pi, di in zip(ps, ds, strict=True) if di)
    npp = sum(ds)
    half_p = BAND_Z * math.sqrt(var_tp / npp**2 + ece**2)
    assert est.precision.upper - est.precision.estimate == pytest.approx(
        min(half_p, 1 - est.precision.estimate), rel=1e-9
    )


def test_sums_merge_by_addition() -> None:
    _, p, d = _window(300, seed=5)
    whole = confidence_sums(p, d)
    parts = confidence_sums(p[:100], d[:100]) + confidence_sums(p[100:], d[100:])
    assert parts.n == whole.n and parts.predicted_positive == whole.predicted_positive
    for field in ("tp", "tp_var", "fn", "fn_var"):
        assert getattr(parts, field) == pytest.approx(getattr(whole, field), rel=1e-12)


def test_expected_auc_equals_the_weighted_pair_count() -> None:
    scores, p, _ = _window(80, seed=3)
    wins = pairs = 0.0
    for i in range(80):
        for j in range(80):
            if i == j:
                continue
            w = p[i] * (1 - p[j])
            pairs += w
            wins += w * (1.0 if scores[i] > scores[j] else 0.5 if scores[i] == scores[j] else 0.0)
    band = expected_roc_auc(scores, p)
    assert band is not None
    assert band.estimate == pytest.approx(wins / pairs, rel=1e-12)
    assert band.lower < band.estimate < band.upper
    assert expected_roc_auc(scores, np.zeros(80)) is None  # no positive expected


def test_a_perfectly_calibrated_model_is_estimated_at_its_realized_figures() -> None:
    rng = np.random.default_rng(11)
    n = 200_000
    p = rng.beta(2, 5, n)  # the true probability, which the model's score is
    y = rng.random(n) < p
    d = p > 0.35
    realized = performance(
        correct=d == y, actual_positive=y, predicted_positive=d, positive_score=p
    )
    est = estimate_performance(confidence_sums(p, d), 0.0, expected_roc_auc(p, p))
    assert est is not None and est.precision and est.recall and est.f1 and est.roc_auc
    pairs = [
        (est.accuracy, realized.accuracy),
        (est.precision, realized.precision),
        (est.recall, realized.recall),
        (est.f1, realized.f1),
        (est.roc_auc, realized.roc_auc),
    ]
    for band, value in pairs:
        assert value is not None
        assert band.estimate == pytest.approx(value, abs=0.004)
        assert band.lower <= value <= band.upper


def test_band_coverage_of_a_calibrated_model_is_near_its_level() -> None:
    rng = np.random.default_rng(12)
    inside = 0
    for _ in range(400):
        p = rng.beta(2, 5, 2000)
        y = rng.random(2000) < p
        d = p > 0.35
        est = estimate_performance(confidence_sums(p, d), 0.0)
        assert est is not None
        inside += est.accuracy.lower <= float(np.mean(d == y)) <= est.accuracy.upper
    assert 0.91 <= inside / 400 <= 0.99  # a 95% band


def test_estimated_errors_equal_a_plain_recomputation() -> None:
    rng = np.random.default_rng(6)
    a = rng.gamma(2.0, 10.0, 500)
    s = a**2 * rng.uniform(1.0, 2.0, 500)
    a[7] = np.nan  # no estimate for this row
    est = estimate_errors(error_sums(a, s))
    keep = np.isfinite(a)
    ak, sk = a[keep], s[keep]
    n = int(keep.sum())
    assert est is not None and est.samples == n == 499
    mae_half = BAND_Z * math.sqrt(float(np.sum(sk - ak**2))) / n
    assert est.mean_absolute_error.estimate == pytest.approx(ak.mean(), rel=1e-12)
    assert est.mean_absolute_error.upper == pytest.approx(ak.mean() + mae_half, rel=1e-12)
    mse_half = BAND_Z * math.sqrt(float(np.sum(2 * sk**2))) / n
    rmse = est.root_mean_squared_error
    assert rmse.estimate == pytest.approx(math.sqrt(sk.mean()), rel=1e-12)
    assert rmse.lower == pytest.approx(math.sqrt(sk.mean() - mse_half), rel=1e-12)
    assert rmse.upper == pytest.approx(math.sqrt(sk.mean() + mse_half), rel=1e-12)
    assert estimate_errors(error_sums(np.array([np.nan]), np.array([1.0]))) is None


def test_normal_errors_of_known_spread_are_estimated_and_covered() -> None:
    rng = np.random.default_rng(7)
    inside = 0
    for _ in range(300):
        sigma = rng.uniform(1, 5, 3000)
        e = rng.normal(0, sigma)
        # The expected errors a perfect estimator would give for normal errors.
        est = estimate_errors(error_sums(sigma * math.sqrt(2 / math.pi), sigma**2))
        assert est is not None
        mae = est.mean_absolute_error
        rmse = est.root_mean_squared_error
        inside += (mae.lower <= np.abs(e).mean() <= mae.upper) and (
            rmse.lower <= math.sqrt(np.mean(e**2)) <= rmse.upper
        )
    assert inside / 300 >= 0.88
