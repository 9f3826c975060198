"""The synthetic house-price data set: a known price rule and three scenarios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from training import house_prices as hp
from training.house_prices import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    TARGET,
    generate,
    records,
    true_price,
)

FEATURES = [*NUMERIC_FEATURES, *CATEGORICAL_FEATURES]


def test_columns_ranges_and_reproducibility() -> None:
    a = generate(5000, seed=4)
    assert list(a.columns) == [*FEATURES, TARGET]
    pd.testing.assert_frame_equal(a, generate(5000, seed=4))
    assert not a.equals(generate(5000, seed=5))
    assert a[TARGET].min() > 0
    assert (a[TARGET] % 100 == 0).all()  # listing prices, rounded to 100
    assert 150_000 < a[TARGET].median() < 250_000
    assert a["size_sqm"].between(20, 320).all()
    assert a["rooms"].between(1, 10).all()
    for name in CATEGORICAL_FEATURES:
        assert set(a[name]) == set(hp.CATEGORIES[name])
    assert a[TARGET].nunique() > 1000  # a regression target by the inference rule


def test_price_follows_the_known_rule_with_about_seven_percent_noise() -> None:
    a = generate(20_000, seed=1)
    ratio = a[TARGET] / true_price(a)
    assert ratio.median() == pytest.approx(1.0, abs=0.005)
    assert np.log(ratio).std() == pytest.approx(hp.NOISE_SIGMA, rel=0.05)
    bigger = a.assign(size_sqm=a["size_sqm"] * 1.2)
    assert (true_price(bigger) > true_price(a)).all()
    farther = a.assign(distance_to_center_km=a["distance_to_center_km"] + 5)
    assert (true_price(farther) < true_price(a)).all()


def test_inflation_moves_the_target_and_not_the_inputs() -> None:
    steady = generate(5000, seed=2)
    inflated = generate(5000, seed=2, scenario="inflation", t=1.0)
    # The very same houses...
    pd.testing.assert_frame_equal(inflated[FEATURES], steady[FEATURES])
    # ...at 25% higher prices (each rounded to 100 after the rise).
    expected = steady[TARGET] * (1 + hp.ANNUAL_INFLATION)
    assert np.abs(inflated[TARGET] - expected).max() <= 125
    assert hp.price_level("inflation", 2.0) == pytest.approx(1.25**2)
    assert hp.price_level("steady", 2.0) == 1.0
    at_start = generate(5000, seed=2, scenario="inflation", t=0.0)
    pd.testing.assert_frame_equal(at_start, steady)


def test_new_market_moves_the_inputs_into_a_region_training_barely_saw() -> None:
    steady = generate(10_000, seed=3)
    opened = generate(10_000, seed=3, scenario="new-market", t=1.0)
    for feature in ("size_sqm", "distance_to_center_km"):
        assert ks_2samp(steady[feature], opened[feature]).statistic > 0.4
        assert opened[feature].median() > 2 * steady[feature].median()
    # Barely seen: few training houses are as large and as far out as the new ones.
    region = (steady["size_sqm"] > 150) & (steady["distance_to_center_km"] > 20)
    assert region.mean() < 0.005
    new_region = (opened["size_sqm"] >= 120) & (opened["distance_to_center_km"] >= 25)
    assert new_region.mean() == pytest.approx(hp.NEW_MARKET_SHARE, abs=0.03)
    # The price rule itself does not change.
    assert (opened[TARGET] / true_price(opened)).median() == pytest.approx(1.0, abs=0.005)
    # Rows outside the new market are the steady ones; half-way, half the share.
    kept = ~new_region
    pd.testing.assert_frame_equal(opened[kept], steady[kept])
    half = generate(10_000, seed=3, scenario="new-market", t=0.5)
    half_region = (half["size_sqm"] >= 120) & (half["distance_to_center_km"] >= 25)
    assert half_region.mean() == pytest.approx(hp.NEW_MARKET_SHARE / 2, abs=0.03)
    pd.testing.assert_frame_equal(generate(2000, seed=3, scenario="new-market"),
                                  generate(2000, seed=3))  # fmt: skip


def test_missing_values_blank_features_never_the_price() -> None:
    a = generate(4000, seed=6, missing_rate=0.1)
    assert a[TARGET].notna().all()
    for name in FEATURES:
        assert a[name].isna().mean() == pytest.approx(0.1, abs=0.03)


def test_records_are_json_ready_with_their_price() -> None:
    got = records(50, seed=7, scenario="inflation", t=0.5)
    frame = generate(50, seed=7, scenario="inflation", t=0.5)
    assert [price for _, price in got] == frame[TARGET].tolist()
    record, price = got[0]
    assert list(record) == FEATURES
    assert all(type(record[f]) is float for f in NUMERIC_FEATURES)
    assert all(type(record[f]) is str for f in CATEGORICAL_FEATURES)
    assert type(price) is float


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "at least 1"),
        ({"n": 5, "scenario": "deflation"}, "unknown scenario 'deflation'"),
        ({"n": 5, "t": -1.0}, "t is years since training"),
        ({"n": 5, "t": float("nan")}, "t is years since training"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(**kwargs)  # type: ignore[arg-type]
