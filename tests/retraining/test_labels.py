from __future__ import annotations

import pandas as pd
import pytest

from retraining.labels import BadLabels, training_targets


def _ids(n: int) -> pd.Series:
    return pd.Series([f"p{i}" for i in range(n)])


def test_regression_labels_are_the_numbers_their_text_holds() -> None:
    labels = pd.Series(["250000.0", "1e5", "-0.0"])
    out = training_targets(labels, _ids(3), task="regression", like=pd.Series([1.0]))
    assert out.dtype == "float64" and out.tolist() == [250000.0, 100000.0, 0.0]


@pytest.mark.parametrize("bad", ["cheap", "", "inf", "nan", "1,5"])
def test_a_label_that_is_no_finite_number_is_named(bad: str) -> None:
    labels = pd.Series(["1.0", bad, "2.0"])
    with pytest.raises(BadLabels, match=r"1 of 3 recent labels are not finite numbers.*p1"):
        training_targets(labels, _ids(3), task="regression", like=pd.Series([1.0]))


def test_the_message_quotes_a_few_and_counts_all() -> None:
    labels = pd.Series(["x"] * 10)
    with pytest.raises(BadLabels) as caught:
        training_targets(labels, _ids(10), task="regression", like=pd.Series([1.0]))
    assert str(caught.value).count("'x'") == 3 and str(caught.value).endswith(", ...")


def test_classifier_labels_take_the_training_targets_type() -> None:
    like = pd.Series([0, 1], dtype="int64")
    out = training_targets(pd.Series(["1", "0"]), _ids(2), task="classification", like=like)
    assert out.dtype == "int64" and out.tolist() == [1, 0]
    text = training_targets(pd.Series(["yes"]), _ids(1), task="classification",
                            like=pd.Series(["no"], dtype=object))  # fmt: skip
    assert text.tolist() == ["yes"]
    with pytest.raises(BadLabels, match="1 of 2 recent labels are not numbers"):
        training_targets(pd.Series(["1", "maybe"]), _ids(2), task="classification", like=like)


def test_a_boolean_targets_labels_are_booleans_again() -> None:
    like = pd.Series([False, True])
    out = training_targets(pd.Series(["True", "False"]), _ids(2), task="classification", like=like)
    assert out.dtype == bool and out.tolist() == [True, False]
    with pytest.raises(BadLabels, match="1 of 2 recent labels are not True or False"):
        training_targets(pd.Series(["True", "1"]), _ids(2), task="classification", like=like)
