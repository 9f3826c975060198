"""The frames Evidently's page compares: the stored reference sample and the logged window."""

from __future__ import annotations

import math

import pandas as pd

from exporter.evidently_page import Columns, columns_of, reference_frame, window_frame
from tests.support.synthetic_profile import synthetic_profile
from training.synthetic import CATEGORICAL_FEATURES, NUMERIC_FEATURES, generate


def test_reference_frame_holds_the_samples_and_the_category_shares() -> None:
    profile = synthetic_profile(generate(3000, seed=4), "churn")
    frame = reference_frame(profile)
    cols = columns_of(profile)
    assert cols == Columns(NUMERIC_FEATURES, CATEGORICAL_FEATURES)
    for f in profile.features:
        column = frame[f.name]
        if f.name in NUMERIC_FEATURES:
            assert sorted(column.dropna()) == sorted(f.sample)  # type: ignore[union-attr]
        else:
            shares = column.value_counts(normalize=True)
            for category, share in f.frequencies.items():  # type: ignore[union-attr]
                assert math.isclose(shares.get(category, 0.0), share, abs_tol=1 / len(frame))
    assert frame.equals(reference_frame(profile))  # seeded: the same page every time


def test_window_frame_coerces_values_and_keeps_missing_ones_missing() -> None:
    cols = Columns(("age",), ("plan",))
    frame = window_frame([{"age": "41", "plan": 3}, {"age": None, "plan": None}, {}], cols)
    assert list(frame.columns) == ["age", "plan"]
    assert frame["age"].iloc[0] == 41.0 and pd.isna(frame["age"].iloc[1])
    assert frame["plan"].iloc[0] == "3" and frame["plan"].iloc[1:].isna().all()
