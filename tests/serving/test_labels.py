"""Feedback labels: a classifier's class, or a regression version's finite number."""

from __future__ import annotations

import json

import pytest

from serving.labels import LabelError, class_label, value_label
from serving.validation import NonFiniteConstant, RequestError, parse_json


@pytest.mark.parametrize(("sent", "stored"), [(3, "3.0"), (3.0, "3.0"), (-0.0, "0.0"),
                                              (0.1, "0.1"), (1e300, "1e+300")])  # fmt: skip
def test_equal_numbers_are_one_label(sent: float, stored: str) -> None:
    assert value_label(sent) == stored


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        ("3.5", "wrong_type"),  # a numeric string is refused, not parsed
        (True, "wrong_type"),
        (None, "wrong_type"),
        ([3], "wrong_type"),
        (float("inf"), "not_finite"),  # 1e999 parses to this
        (10**400, "not_finite"),
        (NonFiniteConstant("NaN"), "not_finite"),
        (NonFiniteConstant("-Infinity"), "not_finite"),
    ],
)
def test_anything_but_a_finite_number_is_refused(sent: object, code: str) -> None:
    with pytest.raises(LabelError) as refused:
        value_label(sent)
    assert refused.value.code == code
    assert "'label'" in refused.value.message


def test_class_labels_are_unchanged() -> None:
    assert class_label(1, ("0", "1")) == class_label("1", ("0", "1")) == "1"
    for sent, code in [(2, "invalid_label"), (1.0, "wrong_type"), (True, "wrong_type"),
                       (NonFiniteConstant("NaN"), "wrong_type")]:  # fmt: skip
        with pytest.raises(LabelError) as refused:
            class_label(sent, ("0", "1"))
        assert refused.value.code == code


def test_marked_constants_parse_only_when_asked() -> None:
    body = b'{"a": NaN, "b": [Infinity, -Infinity], "c": 1.5}'
    assert parse_json(body, mark_constants=True) == {
        "a": NonFiniteConstant("NaN"),
        "b": [NonFiniteConstant("Infinity"), NonFiniteConstant("-Infinity")],
        "c": 1.5,
    }
    with pytest.raises(RequestError) as refused:
        parse_json(body)
    assert refused.value.code == "invalid_json"
    assert parse_json(json.dumps({"x": 1}).encode(), mark_constants=True) == {"x": 1}
