"""Performance figures equal scikit-learn's on the same labelled rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from exporter.stats.performance import performance


def _data(seed: int, n: int, p_pos: float, skill: float) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    truth = rng.random(n) < p_pos
    score = np.clip(0.5 + skill * (truth - 0.5) + rng.normal(0, 0.3, n), 0, 1).round(3)
    pred = score >= 0.5
    return truth, pred, score


@pytest.mark.parametrize(
    "seed,n,p_pos,skill",
    [(1, 1000, 0.3, 0.6), (2, 57, 0.5, 0.2), (3, 20000, 0.1, 0.8), (4, 5, 0.5, 0.0)],
)
def test_equal_to_sklearn(seed: int, n: int, p_pos: float, skill: float) -> None:
    truth, pred, score = _data(seed, n, p_pos, skill)
    got = performance(truth == pred, truth, pred, score)
    assert got.samples == n
    assert got.accuracy == accuracy_score(truth, pred)
    if pred.any():
        assert got.precision == precision_score(truth, pred)
    if truth.any():
        assert got.recall == recall_score(truth, pred)
    if truth.any() or pred.any():
        assert got.f1 == f1_score(truth, pred)
    if 0 < truth.sum() < n:
        assert got.roc_auc == pytest.approx(roc_auc_score(truth, score), rel=1e-12, abs=1e-15)


def test_string_classes_like_the_log() -> None:
    labels = np.array(["0", "1", "1", "0", "1", "0", "0", "1"])
    preds = np.array(["0", "1", "0", "0", "1", "1", "0", "1"])
    got = performance(labels == preds, labels == "1", preds == "1", None)
    assert got.accuracy == accuracy_score(labels, preds)
    assert got.precision == precision_score(labels, preds, pos_label="1")
    assert got.recall == recall_score(labels, preds, pos_label="1")
    assert got.f1 == f1_score(labels, preds, pos_label="1")
    assert got.roc_auc is None  # no scores given


def test_undefined_figures_are_none_not_zero() -> None:
    truth = np.array([False, False, False])
    pred = np.array([False, False, False])
    got = performance(truth == pred, truth, pred, np.array([0.1, 0.2, 0.3]))
    assert got.accuracy == 1.0
    assert (got.precision, got.recall, got.f1, got.roc_auc) == (None, None, None, None)


def test_auc_needs_both_classes_and_every_score() -> None:
    truth = np.array([True, False, True, False])
    pred = truth.copy()
    assert performance(truth == pred, truth, pred, np.array([0.9, 0.1, 0.8, 0.2])).roc_auc == 1.0
    with_nan = np.array([0.9, np.nan, 0.8, 0.2])
    assert performance(truth == pred, truth, pred, with_nan).roc_auc is None


def test_empty() -> None:
    empty = np.array([], dtype=bool)
    assert performance(empty, empty, empty).accuracy is None


def test_auc_with_heavy_ties_and_random_scores() -> None:
    from exporter.stats.performance import roc_auc

    rng = np.random.default_rng(8)
    for _ in range(50):
        n = int(rng.integers(2, 3000))
        truth = rng.random(n) < rng.uniform(0.05, 0.95)
        if truth.all() or not truth.any():
            continue
        score = (rng.random(n) + truth * rng.uniform(0, 1)).round(int(rng.integers(0, 4)))
        assert roc_auc(truth, score) == pytest.approx(roc_auc_score(truth, score), rel=1e-12)
