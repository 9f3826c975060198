"""driftline/regression_values.py: the one text form of a regression prediction or label."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from driftline.regression_values import parse_value_text, value_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3, "3.0"),
        (3.0, "3.0"),
        (np.int64(3), "3.0"),
        (np.float64(3.0), "3.0"),
        (0.1, "0.1"),
        (-2.5, "-2.5"),
        (-0.0, "0.0"),
        (1e300, "1e+300"),
        (Fraction(1, 4), "0.25"),
        (np.float32(0.5), "0.5"),
    ],
)
def test_equal_numbers_have_one_text(value: object, text: str) -> None:
    assert value_text(value) == text


def test_the_text_round_trips_exactly() -> None:
    rng = np.random.default_rng(0)
    values = [*rng.normal(0, 1e6, 500).tolist(), 5e-324, -1.7976931348623157e308, 0.1 + 0.2]
    for v in values:
        assert parse_value_text(value_text(v)) == v
        assert value_text(parse_value_text(value_text(v))) == value_text(v)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (float("nan"), "NaN"),
        (np.float64("nan"), "NaN"),
        (float("inf"), "infinity"),
        (-math.inf, "infinity"),
        (True, "boolean"),
        (np.bool_(False), "boolean"),
        ("3.5", "got str"),
        (None, "got NoneType"),
        ([1.0], "got list"),
        (10**400, "too large"),
        (1 + 2j, "got complex"),
    ],
)
def test_value_text_refuses_what_is_not_a_finite_number(value: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        value_text(value)


@pytest.mark.parametrize("text", ["", "abc", "nan", "inf", "-Infinity", "1e999", "3,5"])
def test_parse_refuses_text_that_is_not_a_finite_number(text: str) -> None:
    with pytest.raises(ValueError, match="regression value"):
        parse_value_text(text)


def test_parse_refuses_a_non_text() -> None:
    with pytest.raises(ValueError, match="must be str"):
        parse_value_text(3.0)  # type: ignore[arg-type]
