from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from reference.binning import bin_counts, bin_indices, quantile_edges
from reference.profile import (
    CategoricalReference,
    NumericReference,
    ProfileFormatError,
    build_profile,
    dumps,
    loads,
)


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
    with pytest.raises(ProfileFormatError, match="format_version 2"):
        loads(json.dumps({**doc, "format_version": 2}))
    with pytest.raises(ProfileFormatError, match="not a reference profile"):
        loads(json.dumps({**doc, "format": "other"}))
    broken = {**doc, "features": [{"name": "x", "kind": "numeric"}]}
    with pytest.raises(ProfileFormatError, match="missing"):
        loads(json.dumps(broken))
