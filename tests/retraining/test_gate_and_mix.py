from __future__ import annotations

import math

import pandas as pd
import pytest

from driftline.retrain_contract import GATE_METRICS
from retraining.data_mix import MixPolicy, NotEnoughData, mix
from retraining.gate import decide, improvement


def test_gate_promotes_only_past_the_margin() -> None:
    assert decide(0.80, 0.70, 0.01).promote
    assert decide(0.711, 0.70, 0.01).promote
    assert not decide(0.705, 0.70, 0.01).promote
    assert not decide(0.70, 0.70, 0.01).promote
    assert decide(0.70, 0.70, 0.0).promote
    no_champion = decide(0.5, None, 0.01)
    assert no_champion.promote and math.isnan(no_champion.champion_score)
    assert "needs 0.0100" in decide(0.70, 0.70, 0.01).reason


def _frames(n_original: int, n_recent: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    original = pd.DataFrame({"x": range(-n_original, 0), "y": [i % 2 for i in range(n_original)]})
    recent = pd.DataFrame(
        {
            "x": range(1000, 1000 + n_recent),
            "y": [i % 2 for i in range(n_recent)],
            "created_at": [float(n_recent - i) for i in range(n_recent)],  # newest first
        }
    )
    return original, recent


def test_newest_recent_rows_are_the_holdout_and_never_trained_on() -> None:
    original, recent = _frames(5000, 1000)
    policy = MixPolicy(original_share=0.5)
    out = mix(original, recent, target="y", time_column="created_at", policy=policy)
    assert len(out.holdout) == 300
    # created_at counts down, so the newest rows are the first x values
    assert set(out.holdout["x"]) == set(range(1000, 1300))
    assert not set(out.holdout["x"]) & set(out.train["x"])
    assert out.recent_train_rows == 700
    # the original data is capped at half of the training set
    assert out.original_rows == 700
    assert len(out.train) == 1400
    assert list(out.train.columns) == ["x", "y"]


def test_default_mix_keeps_the_original_to_a_fifth() -> None:
    original, recent = _frames(5000, 1000)
    out = mix(original, recent, target="y", time_column="created_at", policy=MixPolicy())
    assert out.original_rows == 175
    assert out.original_rows / len(out.train) == 0.2


def test_small_original_is_kept_whole() -> None:
    original, recent = _frames(100, 1000)
    out = mix(original, recent, target="y", time_column="created_at", policy=MixPolicy())
    assert out.original_rows == 100


def test_too_few_or_single_class_recent_rows_are_refused() -> None:
    original, recent = _frames(100, 50)
    with pytest.raises(NotEnoughData, match="50 labelled recent predictions"):
        mix(original, recent, target="y", time_column="created_at", policy=MixPolicy())
    original, recent = _frames(100, 400)
    recent["y"] = 1
    with pytest.raises(NotEnoughData, match="single class"):
        mix(original, recent, target="y", time_column="created_at", policy=MixPolicy())


MAE = GATE_METRICS["regression"]


def test_the_error_gate_needs_the_mae_lower_by_a_share_of_the_champions() -> None:
    assert decide(900.0, 1000.0, 0.05, MAE).promote  # 10% lower
    assert decide(950.0, 1000.0, 0.05, MAE).promote  # exactly 5% lower
    assert not decide(960.0, 1000.0, 0.05, MAE).promote
    assert not decide(1000.0, 1000.0, 0.01, MAE).promote  # a tie buys nothing
    assert decide(1000.0, 1000.0, 0.0, MAE).promote
    assert not decide(1100.0, 1000.0, 0.01, MAE).promote
    # The same share whatever the unit: euros or thousands of euros.
    assert decide(0.9, 1.0, 0.05, MAE).promote == decide(900.0, 1000.0, 0.05, MAE).promote


def test_the_error_gate_says_which_way_and_by_how_much() -> None:
    assert decide(900.0, 1000.0, 0.05, MAE).reason.startswith("challenger mae lower by 10.00%")
    worse = decide(1100.0, 1000.0, 0.01, MAE).reason
    assert worse.startswith("challenger mae higher by 10.00%, needs 1.00% lower")
    assert "challenger 1100 vs champion 1000" in worse


def test_a_perfect_champion_leaves_no_share_to_win() -> None:
    assert improvement(0.0, 0.0, MAE) == 0.0
    assert improvement(1.0, 0.0, MAE) == -math.inf
    assert not decide(0.0, 0.0, 0.01, MAE).promote


def test_accuracy_stays_an_absolute_gain() -> None:
    assert decide(0.80, 0.70, 0.01) == decide(0.80, 0.70, 0.01, GATE_METRICS["classification"])
    assert improvement(0.80, 0.70, GATE_METRICS["classification"]) == pytest.approx(0.10)


def test_a_single_recent_price_is_refused_as_a_value() -> None:
    original, recent = _frames(100, 400)
    recent["y"] = 250_000.0
    with pytest.raises(NotEnoughData, match="single value"):
        mix(original, recent, target="y", time_column="created_at", policy=MixPolicy(),
            task="regression")  # fmt: skip


def test_with_a_time_column_the_newest_original_rows_are_kept() -> None:
    original, recent = _frames(5000, 1000)
    # applied_at counts up with x: the newest original rows are the largest x (-1, -2, ...).
    shuffled = original.assign(applied_at=pd.date_range("2025-01-01", periods=5000, freq="h"))
    shuffled = shuffled.sample(frac=1.0, random_state=2)
    policy = MixPolicy()
    out = mix(shuffled, recent, target="y", time_column="created_at", policy=policy,
              original_time_column="applied_at")  # fmt: skip
    assert out.original_rows == 175
    kept = set(out.train["x"]) - set(range(1000, 2000))
    assert kept == set(range(-175, 0))
    assert list(out.train.columns) == ["x", "y"]
