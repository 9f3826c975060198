"""labelled_frame: features become columns, in first-seen order."""

from __future__ import annotations

import math

import pytest

from predictionlog.feature_frame import LabelledRow, labelled_frame


def test_features_become_columns_in_first_seen_order() -> None:
    frame = labelled_frame(
        [
            LabelledRow("a", 1.0, "1", '{"z": 1, "y": "u"}', "0", "0"),
            LabelledRow("b", 2.0, "2", '{"y": null, "x": 2.5}', "1", "0"),
        ]
    )

    assert list(frame.columns) == [
        "prediction_id", "created_at", "model_version", "z", "y", "x", "predicted_class", "label",
    ]  # fmt: skip
    assert frame["z"].iloc[0] == 1 and math.isnan(frame["z"].iloc[1])
    assert list(frame["y"]) == ["u", None]
    assert math.isnan(frame["x"].iloc[0]) and frame["x"].iloc[1] == 2.5
    assert list(frame["predicted_class"]) == ["0", "1"]


def test_no_rows_give_the_fixed_columns() -> None:
    frame = labelled_frame([])
    assert list(frame.columns) == [
        "prediction_id", "created_at", "model_version", "predicted_class", "label",
    ]  # fmt: skip
    assert frame.empty


def test_a_feature_named_like_a_fixed_column_is_refused() -> None:
    with pytest.raises(ValueError, match="'label'"):
        labelled_frame([LabelledRow("a", 1.0, "1", '{"label": 1}', "0", "0")])
