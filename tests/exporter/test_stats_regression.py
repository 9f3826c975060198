"""Regression error figures equal scikit-learn's on the same labelled rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    mean_absolute_error,
    r2_score,
    root_mean_squared_error,
)

from exporter.stats.regression import regression_errors


def _data(seed: int, n: int, scale: float, bias: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.lognormal(np.log(scale), 0.5, n)
    pred = truth * rng.normal(1.0, 0.15, n) + bias * scale
    return pred, truth


CASES = [
    (1, 1000, 250_000.0, 0.0),  # house prices
    (2, 57, 35.0, 0.1),  # delivery minutes, biased high
    (3, 100_000, 1.0, -0.2),
    (4, 2, 10.0, 0.0),
    (5, 5000, 1e-6, 0.05),
    (6, 333, 1e9, 0.0),
]


@pytest.mark.parametrize("seed,n,scale,bias", CASES)
def test_equal_to_sklearn(seed: int, n: int, scale: float, bias: float) -> None:
    pred, truth = _data(seed, n, scale, bias)
    got = regression_errors(pred, truth)
    assert got.samples == n
    assert got.mean_absolute_error == mean_absolute_error(truth, pred)
    assert got.root_mean_squared_error == root_mean_squared_error(truth, pred)
    assert got.r2 == r2_score(truth, pred)
    assert got.mean_error == np.mean(pred - truth)
    assert got.mean_error == pytest.approx(float(np.sum(pred - truth)) / n, rel=1e-12)


def test_random_sizes_and_rounded_values_with_ties() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(2, 4000))
        truth = rng.normal(rng.uniform(-100, 100), rng.uniform(0.1, 50), n).round(
            int(rng.integers(0, 4))
        )
        pred = (truth + rng.normal(0, rng.uniform(0.01, 20), n)).round(int(rng.integers(0, 4)))
        got = regression_errors(pred, truth)
        assert got.mean_absolute_error == mean_absolute_error(truth, pred)
        assert got.root_mean_squared_error == root_mean_squared_error(truth, pred)
        if np.ptp(truth) > 0:
            assert got.r2 == r2_score(truth, pred)
        assert got.mean_error == np.mean(pred - truth)


def test_signs() -> None:
    truth = np.array([10.0, 20.0, 30.0])
    high = regression_errors(truth + 2.0, truth)
    assert high.mean_error == 2.0 and high.mean_absolute_error == 2.0
    assert high.root_mean_squared_error == 2.0
    assert regression_errors(truth - 1.0, truth).mean_error == -1.0
    perfect = regression_errors(truth, truth)
    assert (perfect.r2, perfect.mean_absolute_error) == (1.0, 0.0)
    worse_than_mean = regression_errors(truth[::-1].copy(), truth)
    assert worse_than_mean.r2 == r2_score(truth, truth[::-1]) == -3.0


def test_r2_undefined_for_constant_labels_or_one_row() -> None:
    constant = np.full(100, 7.0)
    got = regression_errors(constant + np.linspace(-1, 1, 100), constant)
    assert got.r2 is None  # sklearn: an arbitrary 0.0 (force_finite) or -inf
    assert got.mean_absolute_error == mean_absolute_error(
        constant, constant + np.linspace(-1, 1, 100)
    )
    one = regression_errors(np.array([3.0]), np.array([2.0]))
    assert (one.samples, one.r2, one.mean_error) == (1, None, 1.0)


def test_empty_and_mismatched() -> None:
    empty = regression_errors(np.array([]), np.array([]))
    assert (empty.samples, empty.mean_absolute_error, empty.r2) == (0, None, None)
    with pytest.raises(ValueError, match="shape"):
        regression_errors(np.zeros(3), np.zeros(4))
