from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reference.binning import bin_counts, bin_indices, quantile_edges
from reference.calibration import Calibrator
from reference.profile import (
    FORMAT_VERSION,
    HOLDOUT_ERROR_KEYS,
    PREDICTED_VALUES_NAME,
    CategoricalReference,
    ErrorEstimation,
    NumericReference,
    ProfileFormatError,
    ReferenceProfile,
    build_numeric,
    build_profile,
    build_regression_profile,
    dumps,
    loads,
)

V1_FIXTURE = Path(__file__).parent / "fixtures" / "profile_v1.json"


def test_bin_rule_is_left_open_right_closed_with_open_outer_bins() -> None:
    edges = np.array([1.0, 2.0, 3.0])
    values = np.array([-100.0, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0001, 100.0])
    assert bin_indices(values, edges).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert bin_counts(values, edges).tolist() == [2, 2, 2, 2]


def test_deciles_of_continuous_data_give_ten_equal_bins() -> None:
    values = np.random.default_rng(0).normal(size=10_000)
    edges = quantile_edges(values)
    assert edges.size == 9
    fractions = bin_counts(values, edges) / values.size
    assert np.allclose(fractions, 0.1, atol=0.001)


def test_discrete_feature_gets_deduplicated_edges() -> None:
    values = np.array([0.0] * 70 + [1.0] * 20 + [2.0] * 10)
    edges = quantile_edges(values)
    assert edges.tolist() == [0.0, 1.0]
    assert len(set(edges.tolist())) == edges.size
    assert bin_counts(values, edges).sum() == 100


def test_constant_and_empty_inputs() -> None:
    assert quantile_edges(np.full(50, 7.0)).tolist() == [7.0]
    assert quantile_edges(np.array([np.nan, np.inf])).size == 0
    assert bin_counts(np.array([1.0, np.nan, 2.0]), np.empty(0)).tolist() == [2]
    with pytest.raises(ValueError):
        quantile_edges(np.arange(5.0), n_bins=1)


def _profile() -> object:
    frame = pd.DataFrame(
        {
            "x": np.r_[np.arange(100.0), [np.nan] * 4],
            "c": ["a"] * 50 + ["b"] * 30 + [None] * 4 + ["c"] * 20,
        }
    )
    return build_profile(
        model_name="m",
        features=frame,
        numeric=["x"],
        categorical=["c"],
        target="y",
        classes=[0, 1],
        holdout_predictions=[0, 0, 1, 0],
        created_at=123.0,
        sample_size=50,
    )


def test_profile_contents() -> None:
    p = _profile()
    x = p.feature("x")  # type: ignore[attr-defined]
    c = p.feature("c")  # type: ignore[attr-defined]
    assert isinstance(x, NumericReference)
    assert isinstance(c, CategoricalReference)
    assert x.count == 100
    assert x.missing_ratio == pytest.approx(4 / 104)
    assert len(x.bin_fractions) == len(x.bin_edges) + 1
    assert sum(x.bin_fractions) == pytest.approx(1.0)
    assert len(x.sample) == 50
    assert list(x.sample) == sorted(x.sample)
    assert c.frequencies == {"a": 0.5, "b": 0.3, "c": 0.2}
    assert c.missing_ratio == pytest.approx(4 / 104)
    assert p.prediction_class_fractions == {"0": 0.75, "1": 0.25}  # type: ignore[attr-defined]
    assert p.classes == ("0", "1")  # type: ignore[attr-defined]


def test_profile_round_trips_through_json() -> None:
    p = _profile()
    assert loads(dumps(p)) == p  # type: ignore[arg-type]


def test_reader_refuses_other_formats_and_versions() -> None:
    doc = json.loads(dumps(_profile()))  # type: ignore[arg-type]
    for unknown in (5, 0, True, "2", None):
        with pytest.raises(ProfileFormatError, match=f"format_version {unknown!r}"):
            loads(json.dumps({**doc, "format_version": unknown}))
    with pytest.raises(ProfileFormatError, match="not a reference profile"):
        loads(json.dumps({**doc, "format": "other"}))
    broken = {**doc, "features": [{"name": "x", "kind": "numeric"}]}
    with pytest.raises(ProfileFormatError, match="missing"):
        loads(json.dumps(broken))


def test_a_classifier_profile_is_version_4_with_task_classification() -> None:
    p = _profile()
    assert isinstance(p, ReferenceProfile)
    assert (p.format_version, p.task) == (FORMAT_VERSION, "classification") == (4, "classification")
    assert (p.predicted_values, p.target_values, p.holdout_errors) == (None, None, None)
    doc = json.loads(dumps(p))
    assert doc["format_version"] == 4
    assert doc["task"] == "classification"
    # Every reader sees every key: a classifier's regression keys are null.
    assert doc["predicted_values"] is doc["target_values"] is doc["holdout_errors"] is None


def test_the_committed_version_1_document_still_loads_as_a_classifier() -> None:
    text = V1_FIXTURE.read_text()
    assert json.loads(text)["format_version"] == 1
    assert "task" not in json.loads(text)
    p = loads(text)
    assert p.format_version == 1
    assert p.task == "classification"
    assert (p.predicted_values, p.target_values, p.holdout_errors) == (None, None, None)
    assert (p.model_name, p.target, p.rows, p.created_at) == ("churn", "churned", 40, 1795000000.0)
    assert p.classes == ("0", "1")
    assert p.prediction_rows == 14
    assert p.prediction_class_fractions == pytest.approx({"0": 9 / 14, "1": 5 / 14})
    tenure = p.feature("tenure_months")
    assert isinstance(tenure, NumericReference)
    assert (tenure.count, len(tenure.sample), len(tenure.bin_edges)) == (38, 20, 9)
    assert tenure.missing_ratio == pytest.approx(2 / 40)
    contract = p.feature("contract_type")
    assert isinstance(contract, CategoricalReference)
    assert sum(contract.frequencies.values()) == pytest.approx(1.0)
    assert p.extra == {"note": "written by driftline format version 1"}
    # Written again, it is a current document that reads back as the same classifier.
    again = loads(dumps(p))
    assert again.format_version == FORMAT_VERSION
    assert again == ReferenceProfile(**{**p.__dict__, "format_version": FORMAT_VERSION})


def _regression_profile(sample_size: int = 50) -> ReferenceProfile:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"size": rng.normal(80, 20, 300), "kind": rng.choice(["a", "b"], 300)})
    target = pd.Series(frame["size"] * 3000 + rng.normal(0, 100, 300), name="price")
    preds = (frame["size"] * 3000).to_numpy()[:120]
    errors = {"mae": 80.5, "rmse": 100.25, "r2": 0.99, "mean_error": -1.5}
    return build_regression_profile(
        model_name="houses",
        features=frame,
        numeric=["size"],
        categorical=["kind"],
        target="price",
        target_values=target,
        holdout_predictions=list(preds),
        holdout_errors=errors,
        created_at=5.0,
        sample_size=sample_size,
    )


def test_regression_profile_contents() -> None:
    p = _regression_profile()
    assert p.task == "regression"
    assert p.classes == ()
    assert p.prediction_class_fractions == {}
    assert p.prediction_rows == 120
    assert p.rows == 300
    assert p.holdout_errors == {"mae": 80.5, "rmse": 100.25, "r2": 0.99, "mean_error": -1.5}
    assert p.predicted_values is not None and p.target_values is not None
    assert p.predicted_values.name == PREDICTED_VALUES_NAME
    assert p.target_values.name == "price"
    # The same bins and bounded KS sample as a numeric feature, from build_numeric.
    rng = np.random.default_rng(3)
    frame_size = rng.normal(80, 20, 300)
    assert p.predicted_values == build_numeric(
        PREDICTED_VALUES_NAME, pd.Series(frame_size[:120] * 3000), sample_size=50
    )
    assert p.target_values.count == 300
    assert len(p.target_values.sample) == 50
    assert len(p.target_values.bin_fractions) == 10
    assert p.feature_names == ("size", "kind")


def test_regression_profile_round_trips_through_json() -> None:
    p = _regression_profile()
    doc = json.loads(dumps(p))
    assert doc["task"] == "regression"
    assert doc["classes"] == []
    assert doc["predictions"] == {"rows": 120, "class_fractions": {}}
    assert doc["predicted_values"]["kind"] == "numeric"
    assert list(doc["holdout_errors"]) == list(HOLDOUT_ERROR_KEYS)
    assert loads(dumps(p)) == p


def test_regression_profile_needs_exactly_the_four_errors() -> None:
    with pytest.raises(ProfileFormatError, match="exactly mae, rmse, r2, mean_error"):
        build_regression_profile(
            model_name="m",
            features=pd.DataFrame({"x": [1.0, 2.0]}),
            numeric=["x"],
            categorical=[],
            target="y",
            target_values=pd.Series([1.0, 2.0]),
            holdout_predictions=[1.5],
            holdout_errors={"mae": 1.0, "rmse": 1.0, "r2": 0.5},
            created_at=0.0,
        )


def _mutated(doc: dict[str, Any], **changes: Any) -> str:
    return json.dumps({**doc, **changes})


def test_reader_refuses_inconsistent_version_2_documents() -> None:
    reg = json.loads(dumps(_regression_profile()))
    cls = json.loads(dumps(_profile()))  # type: ignore[arg-type]
    cases = [
        (_mutated(reg, task="ranking"), "unknown task 'ranking'"),
        (_mutated(reg, predicted_values=None), r"lacks \['predicted_values'\]"),
        (_mutated(reg, holdout_errors=None), r"lacks \['holdout_errors'\]"),
        (_mutated(reg, classes=["0"]), "regression profile has classes"),
        (_mutated(reg, holdout_errors={"mae": 1.0}), "must have exactly"),
        (
            _mutated(reg, holdout_errors={**reg["holdout_errors"], "rmse": "NaN"}),
            "holdout_errors.rmse is not a finite number",
        ),
        (_mutated(cls, target_values=reg["target_values"]), "classification profile has"),
        (json.dumps({k: v for k, v in reg.items() if k != "task"}), "missing"),
        (json.dumps({k: v for k, v in cls.items() if k != "holdout_errors"}), "missing"),
    ]
    for text, message in cases:
        with pytest.raises(ProfileFormatError, match=message):
            loads(text)


# --- version 3: what estimating performance needs ------------------------------------------

_CALIBRATOR = Calibrator("isotonic", (0.1, 0.5, 0.9), (0.05, 0.4, 0.95), 0.012, 0.03, 400)


def test_a_calibrator_and_an_error_estimation_round_trip_through_json() -> None:
    p = _profile()
    assert isinstance(p, ReferenceProfile)
    with_cal = replace(p, calibration=_CALIBRATOR)
    doc = json.loads(dumps(with_cal))
    assert doc["calibration"]["method"] == "isotonic" and doc["error_estimation"] is None
    assert loads(dumps(with_cal)) == with_cal
    reg = replace(
        _regression_profile(),
        error_estimation=ErrorEstimation("estimation/error_estimator.skops", 120, 0.02, 0.05),
    )
    assert loads(dumps(reg)) == reg
    assert json.loads(dumps(reg))["error_estimation"]["squared_bias"] == 0.05


def test_a_version_2_document_loads_without_estimation_parts() -> None:
    doc = json.loads(dumps(replace(_regression_profile(), format_version=2)))
    for key in ("calibration", "error_estimation"):
        del doc[key]
    old = loads(json.dumps({**doc, "format_version": 2}))
    assert (old.format_version, old.calibration, old.error_estimation) == (2, None, None)


def test_estimation_parts_of_the_wrong_task_or_shape_are_refused() -> None:
    base = _profile()
    assert isinstance(base, ReferenceProfile)
    cal = json.loads(dumps(replace(base, calibration=_CALIBRATOR)))["calibration"]
    reg = json.loads(dumps(_regression_profile()))
    with pytest.raises(ProfileFormatError, match="only a classification profile"):
        loads(json.dumps({**reg, "calibration": cal}))
    cls = json.loads(dumps(base))
    est = {"artifact": "a", "rows": 1, "absolute_bias": 0.0, "squared_bias": 0.0}
    with pytest.raises(ProfileFormatError, match="only a regression profile"):
        loads(json.dumps({**cls, "error_estimation": est}))
    with pytest.raises(ProfileFormatError, match="calibration: unknown calibration method"):
        loads(json.dumps({**cls, "calibration": {**cal, "method": "beta"}}))
    with pytest.raises(ProfileFormatError, match="missing"):
        loads(json.dumps({key: v for key, v in cls.items() if key != "calibration"}))
