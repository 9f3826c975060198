"""Which task a target asks for (training/task_choice.py), and every target a task refuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.tasks import Task
from training.dataset import DatasetError, from_frame
from training.task_choice import (
    MAX_CLASSES,
    MAX_INFERRED_CLASSES,
    MIN_REGRESSION_ROWS,
    TaskChoiceError,
    choose_task,
    infer_task,
    is_numeric_target,
)


def _target(values: list[object] | np.ndarray, dtype: str | None = None) -> pd.Series:
    return pd.Series(values, name="y", dtype=dtype)


def test_the_threshold_is_the_issues_twenty() -> None:
    assert MAX_INFERRED_CLASSES == 20
    assert MAX_CLASSES > MAX_INFERRED_CLASSES


@pytest.mark.parametrize(
    ("values", "dtype", "task"),
    [
        ([0, 1, 0, 1], None, "classification"),
        (list(range(MAX_INFERRED_CLASSES)) * 2, None, "classification"),  # exactly 20
        (list(range(MAX_INFERRED_CLASSES + 1)) * 2, None, "regression"),  # 21
        ([1.0, 2.0, 3.0, 1.0], None, "classification"),  # integral floats are integers
        ([1.0, 2.5, 1.0, 1.0], None, "regression"),  # one non-integer is enough
        ([0.5, 1.5], None, "regression"),
        (["low", "high", "mid"], None, "classification"),
        ([str(i) for i in range(200)], None, "classification"),  # text is never regression
        ([True, False, True], None, "classification"),
        ([1, 2, 3.5], "object", "regression"),  # numbers in an object column are numbers
        ([-3, 7, 12], "int8", "classification"),
    ],
)
def test_inference_rule(values: list[object], dtype: str | None, task: Task) -> None:
    assert infer_task(_target(values, dtype)) == task


def test_is_numeric_target() -> None:
    assert is_numeric_target(_target([1, 2]))
    assert is_numeric_target(_target([1, 2.5], "object"))
    assert not is_numeric_target(_target([True, False]))
    assert not is_numeric_target(_target(["1.5", "2.5"]))
    assert not is_numeric_target(_target([1, "a"], "object"))


def test_inferred_choice_is_printed_with_its_reason() -> None:
    prices = _target(np.arange(1234) * 1000.0)
    assert choose_task(prices, None, where="w").describe() == (
        "task: regression (inferred: 1,234 distinct integer values)"
    )
    minutes = _target([12.5, 30.0, 41.25] * 4)
    assert choose_task(minutes, None, where="w").describe() == (
        "task: regression (inferred: 3 distinct numeric values, not all integers)"
    )
    churn = _target([0, 1, 1, 0])
    assert choose_task(churn, None, where="w").describe() == (
        "task: classification (inferred: 2 distinct integer values)"
    )
    tiers = _target(["low", "high"])
    assert choose_task(tiers, None, where="w").describe() == (
        "task: classification (inferred: 2 distinct non-numeric values)"
    )
    given = choose_task(_target([1, 2, 3] * 4), "regression", where="w")
    assert (given.task, given.inferred) == ("regression", False)
    assert given.describe() == "task: regression (given)"


def test_a_given_task_wins_where_the_target_allows_it() -> None:
    # Few integer values can be a quantity (rooms), non-integer values classes (grades).
    assert choose_task(_target([1, 2, 3] * 4), "regression", where="w").task == "regression"
    assert choose_task(_target([0.5, 1.5] * 4), "classification", where="w").task == (
        "classification"
    )
    at_limit = _target(list(range(MAX_CLASSES)))
    assert choose_task(at_limit, "classification", where="w").task == "classification"


REFUSALS: list[tuple[pd.Series, Task | None, str]] = [
    (_target([7] * 30), None, r"w has only one class \(7\) in 30 rows: nothing to learn"),
    (_target([7] * 30), "classification", "only one class"),
    (_target([7.5] * 30), None, r"only one value \(7.5\)"),
    (_target([7] * 30), "regression", "only one value"),
    (_target(["a"] * 30), "regression", "only one value"),
    (
        _target(list(range(MAX_CLASSES + 1))),
        "classification",
        "51 distinct values, too many classes for classification \\(at most 50\\) "
        "\\(a quantity\\? use --task regression\\)",
    ),
    (_target(np.arange(5000) / 7), "classification", "5,000 distinct values, too many"),
    # Inferred classification of many text values is refused by the same rule.
    (_target([f"id-{i}" for i in range(60)]), None, "60 distinct values, too many classes"),
    (_target(["cheap", "dear"] * 5), "regression", "non-numeric values \\('cheap', ...\\)"),
    (_target([True, False] * 5), "regression", "boolean values"),
    (
        _target(list(range(MIN_REGRESSION_ROWS - 1))),
        "regression",
        f"has 7 rows: regression needs at least {MIN_REGRESSION_ROWS}",
    ),
    (_target([1.0, np.inf, 2.0, -np.inf]), None, "w has 2 infinite values"),
    (_target([1.0, np.inf, 2.0]), "classification", "infinite values"),
]


@pytest.mark.parametrize(("target", "task", "message"), REFUSALS)
def test_refusals_name_the_problem(target: pd.Series, task: Task | None, message: str) -> None:
    with pytest.raises(TaskChoiceError, match=message):
        choose_task(target, task, where="w")


def test_the_data_set_reports_refusals_as_dataset_errors_naming_source_and_column() -> None:
    frame = pd.DataFrame({"x": range(100), "price": np.arange(100) * 1.5})
    with pytest.raises(DatasetError, match=r"^houses\.csv: target column 'price' has 100 distinct"):
        from_frame(frame, "price", source="houses.csv", task="classification")
    ds = from_frame(frame, "price", source="houses.csv")
    assert ds.task == "regression"
    assert ds.task_choice.inferred
