"""Performance figures equal scikit-learn's on the same labelled rows (binary and multiclass)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from exporter.stats.performance import confusion_performance, multiclass_performance, performance


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


# --- multiclass: macro averages and per-class figures -------------------------------


def _multiclass(
    seed: int, n: int, k: int, skill: float, unknown: float = 0.0
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Classes, string labels and predictions, and their codes (-1: not a model class)."""
    rng = np.random.default_rng(seed)
    classes = [f"c{i:02d}" for i in range(k)]
    weights = rng.dirichlet(np.ones(k))
    truth = rng.choice(k, size=n, p=weights)
    pred = np.where(rng.random(n) < skill, truth, rng.choice(k, size=n, p=weights))
    truth = np.where(rng.random(n) < unknown, -1, truth)  # labels the model never had
    names = np.array([*classes, "other"])
    return classes, names[truth], names[pred], truth.astype(np.int64), pred.astype(np.int64)


MULTICLASS_CASES = [
    (11, 1000, 3, 0.6, 0.0),
    (12, 57, 4, 0.2, 0.0),
    (13, 20000, 3, 0.8, 0.0),
    (14, 300, 12, 0.5, 0.0),  # more classes than numpy's pairwise-sum block of 8
    (15, 500, 5, 0.4, 0.05),
    (16, 60, 7, 0.1, 0.0),  # small window: some classes never predicted or never labelled
]


@pytest.mark.parametrize("seed,n,k,skill,unknown", MULTICLASS_CASES)
def test_multiclass_equal_to_sklearn_macro_and_per_class(
    seed: int, n: int, k: int, skill: float, unknown: float
) -> None:
    classes, y, p, y_code, p_code = _multiclass(seed, n, k, skill, unknown)
    got = multiclass_performance(p_code, y_code, classes)
    assert (got.samples, got.average, got.roc_auc) == (n, "macro", None)
    assert got.accuracy == accuracy_score(y, p)
    kw: dict[str, Any] = {"labels": classes, "zero_division": np.nan}
    for figure, score in (
        ("precision", precision_score),
        ("recall", recall_score),
        ("f1", f1_score),
    ):
        macro = score(y, p, average="macro", **kw)
        assert getattr(got, figure) == (None if np.isnan(macro) else macro), figure
        each = score(y, p, average=None, **kw)
        assert [c.name for c in got.per_class] == classes
        assert [getattr(c, figure) for c in got.per_class] == [
            None if np.isnan(v) else v for v in each
        ], figure


def test_multiclass_macro_equals_what_training_logs() -> None:
    """training/train.py logs f1_score(y, pred, average="macro") on its holdout."""
    for seed in range(20):
        classes, y, p, y_code, p_code = _multiclass(seed, 2000, 3, 0.7)
        assert set(y) == set(p) == set(classes)
        got = multiclass_performance(p_code, y_code, classes)
        assert got.f1 == f1_score(y, p, average="macro")
        assert got.precision == precision_score(y, p, average="macro")
        assert got.recall == recall_score(y, p, average="macro")


def test_multiclass_is_not_the_last_class() -> None:
    """The issue's case: the last class's F1 is not the model's F1."""
    classes = ["high", "low", "medium"]
    y = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2, 1])
    p = np.array([0, 1, 1, 1, 2, 2, 2, 0, 2, 1])
    got = multiclass_performance(p, y, classes)
    names = np.array(classes)
    assert got.f1 == f1_score(names[y], names[p], average="macro")
    assert got.f1 != got.per_class[-1].f1


def test_multiclass_undefined_figures_are_none_and_left_out_of_the_average() -> None:
    classes = ["a", "b", "c"]
    y = np.array([0, 0, 1, 1])  # c never labelled
    p = np.array([0, 0, 0, 2])  # b never predicted
    got = multiclass_performance(p, y, classes)
    a, b, c = got.per_class
    assert (b.precision, c.recall) == (None, None)
    assert b.recall == 0.0 and c.precision == 0.0
    assert got.precision == (a.precision + c.precision) / 2  # type: ignore[operator]
    assert got.recall == (a.recall + b.recall) / 2  # type: ignore[operator]
    empty = multiclass_performance(np.array([], np.int64), np.array([], np.int64), classes)
    assert (empty.samples, empty.f1, empty.per_class) == (0, None, ())
    none_known = multiclass_performance(np.array([-1, -1]), np.array([-1, -1]), classes)
    assert none_known.accuracy == 0.0 and none_known.f1 is None


def test_confusion_counts_give_no_auc_when_the_score_rows_miss_a_class() -> None:
    confusion = np.array([[0, 0, 0], [0, 40, 10], [0, 5, 45]])
    held = (np.array([0.9, 0.8]), np.zeros(0))  # the kept rows hold no negative
    got = confusion_performance(confusion, ("0", "1"), held)
    assert got.samples == 100 and got.accuracy == 0.85 and got.roc_auc is None


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_confusion_counts_give_the_row_figures(k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 500
    predicted = rng.integers(-1, k, n)  # -1: a class the model does not have
    label = np.where(rng.random(n) < 0.6, predicted, rng.integers(-1, k, n))
    score = np.round(rng.random(n), 2)  # ties
    classes = tuple(str(c) for c in range(k))
    confusion = np.zeros((k + 1, k + 1), dtype=np.int64)
    np.add.at(confusion, (predicted + 1, label + 1), 1)
    positive = label == k - 1
    got = confusion_performance(confusion, classes, (score[positive], score[~positive]))
    if k > 2:
        assert got == multiclass_performance(predicted, label, classes)
    else:
        want = performance(
            correct=(predicted == label) & (label >= 0),
            actual_positive=positive,
            predicted_positive=predicted == k - 1,
            positive_score=score if k == 2 else None,
        )
        if k == 1:
            got = confusion_performance(confusion, classes, None)
        assert got == want
