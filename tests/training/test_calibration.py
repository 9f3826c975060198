"""The probability calibrator: fitted by scikit-learn, applied as numbers, judged out of fold."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from reference import calibration
from reference.calibration import (
    CalibrationError,
    Calibrator,
    expected_calibration_error,
    fit_calibrator,
    out_of_fold,
)


def _overconfident(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores pushed towards 0 and 1 from the true probability: a model that needs calibrating."""
    rng = np.random.default_rng(seed)
    true_p = rng.beta(2, 3, n)
    logit = np.log(true_p / (1 - true_p))
    scores = 1 / (1 + np.exp(-2.5 * logit))
    return scores, rng.random(n) < true_p


def test_ece_equals_a_per_bin_recomputation() -> None:
    rng = np.random.default_rng(0)
    p = rng.random(500)
    p[:5] = [0.0, 0.1, 0.999, 1.0, 0.5]  # bin edges, and 1.0 in the last bin
    y = rng.random(500) < p**2
    expected = 0.0
    for b in range(10):
        in_bin = (p >= b / 10) & ((p < (b + 1) / 10) | ((b == 9) & (p == 1.0)))
        if in_bin.any():
            expected += in_bin.mean() * abs(y[in_bin].mean() - p[in_bin].mean())
    assert expected_calibration_error(p, y) == pytest.approx(expected, rel=1e-12)


def test_a_stored_calibrator_applies_as_scikit_learn_predicts() -> None:
    scores, y = _overconfident(3000, seed=1)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, y)
    stored = Calibrator("isotonic", tuple(iso.X_thresholds_), tuple(iso.y_thresholds_), 0, 0, 1)
    probe = np.r_[np.linspace(-0.2, 1.2, 301), scores[:200]]
    np.testing.assert_allclose(stored.apply(probe), iso.predict(probe), rtol=1e-12, atol=1e-15)
    logistic = LogisticRegression(C=np.inf).fit(scores.reshape(-1, 1), y)
    sig = Calibrator(
        "sigmoid", (float(logistic.coef_[0, 0]),), (float(logistic.intercept_[0]),), 0, 0, 1
    )
    np.testing.assert_allclose(
        sig.apply(probe), logistic.predict_proba(probe.reshape(-1, 1))[:, 1], rtol=1e-12
    )
    assert np.isnan(stored.apply(np.array([np.nan]))).all()


def test_fit_picks_the_method_with_the_lower_out_of_fold_error() -> None:
    scores, y = _overconfident(4000, seed=2)
    fitted = fit_calibrator(scores, y, seed=3)
    errors = {
        m: expected_calibration_error(out_of_fold(m, scores, y, seed=3), y)
        for m in calibration.METHODS
    }
    assert fitted.method == min(errors, key=lambda m: errors[m])
    assert fitted.ece == errors[fitted.method]
    assert fitted.uncalibrated_ece == expected_calibration_error(scores, y)
    # An over-confident model is far off before and close after.
    assert fitted.uncalibrated_ece > 0.05 > 0.02 > fitted.ece
    assert fitted.rows == 4000


def test_out_of_fold_probabilities_come_from_maps_fitted_on_the_other_folds() -> None:
    scores, y = _overconfident(1000, seed=4)
    oof = out_of_fold("isotonic", scores, y, seed=0)
    folds = StratifiedKFold(n_splits=calibration.CROSS_FIT_FOLDS, shuffle=True, random_state=0)
    for train, test in folds.split(scores.reshape(-1, 1), y):
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        iso.fit(scores[train], y[train])
        np.testing.assert_allclose(oof[test], iso.predict(scores[test]), rtol=1e-12, atol=1e-15)
    # In sample, isotonic regression fits the holdout's noise; out of fold it cannot.
    in_sample = IsotonicRegression(out_of_bounds="clip").fit(scores, y).predict(scores)
    assert expected_calibration_error(in_sample, y) < expected_calibration_error(oof, y)


def test_too_small_or_broken_holdouts_are_refused() -> None:
    with pytest.raises(CalibrationError, match="at least 10 holdout rows of each class"):
        fit_calibrator(np.linspace(0, 1, 100), np.arange(100) < 5)
    with pytest.raises(CalibrationError, match="finite"):
        fit_calibrator(np.array([0.1, np.nan] * 50), np.arange(100) % 2 == 0)
    with pytest.raises(CalibrationError, match="aligned"):
        fit_calibrator(np.zeros(10), np.zeros(9, dtype=bool))


def test_round_trip_and_refusals_of_the_stored_form() -> None:
    scores, y = _overconfident(2000, seed=5)
    fitted = fit_calibrator(scores, y)
    doc = json.loads(json.dumps(calibration.to_dict(fitted)))
    assert calibration.from_dict(doc) == fitted
    with pytest.raises(CalibrationError, match="unknown calibration method"):
        calibration.from_dict({**doc, "method": "beta"})
    with pytest.raises(CalibrationError, match="sigmoid calibrator has 2 x"):
        calibration.from_dict({**doc, "method": "sigmoid", "x": [1, 2], "y": [1, 2]})
