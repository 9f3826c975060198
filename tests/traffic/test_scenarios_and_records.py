from __future__ import annotations

import itertools
import json
import math

import pytest

from traffic.generator import TrafficStats, score
from traffic.records import phase_records, to_records
from traffic.scenarios import (
    CHURN_SCENARIOS,
    DATA_SET_TASKS,
    HOUSE_SCENARIOS,
    SCENARIOS,
    Market,
    Phase,
    scenario,
)
from training import house_prices
from training.dataset import SYNTHETIC_SETS, load
from training.synthetic import TARGET, generate


def test_records_are_json_ready_with_nulls_for_missing_values() -> None:
    frame = generate(50, seed=1, missing_rate=0.2)
    pairs = to_records(frame)
    assert len(pairs) == 50
    record, label = pairs[0]
    assert TARGET not in record and label in (0, 1)
    text = json.dumps([r for r, _ in pairs], allow_nan=False)  # no NaN sneaks through
    assert "null" in text
    assert all(not (isinstance(v, float) and math.isnan(v)) for r, _ in pairs for v in r.values())


def test_every_scenario_starts_steady_and_states_its_expectations() -> None:
    for name in SCENARIOS:
        s = scenario(name, 30.0)
        assert s.phases[0].name == "steady" and not s.phases[0].drifts
        market = s.phases[0].market
        assert market is None or market.scenario == "steady"
        assert s.phases[-1].seconds is None  # runs until stopped
        assert not (s.expect_promotion and not s.expect_retrain)
    assert scenario("drift-retrain", 30.0).expect_promotion
    assert not scenario("covariate-only", 30.0).expect_retrain
    assert scenario("bad-retrain", 30.0).retrain_args == ("--margin", "0.5")
    with pytest.raises(ValueError, match="unknown scenario 'nope'"):
        scenario("nope", 1.0)


def test_covariate_only_drift_leaves_the_label_rule_alone() -> None:
    phase = scenario("covariate-only", 30.0).phases[1]
    assert [d.kind for d in phase.drifts] == ["covariate"]
    drifted = scenario("drift-retrain", 30.0).phases[1]
    assert "concept" in [d.kind for d in drifted.drifts]


def test_client_side_accuracy_needs_twenty_answers_per_version() -> None:
    stats = TrafficStats()
    for i in range(40):
        stats.recent.append(("1", float(i % 4 != 0)))
    for _ in range(5):
        stats.recent.append(("2", 1.0))
    assert stats.mean_by_version() == {"1": 0.75}


def test_house_scenarios_send_houses_to_the_price_model() -> None:
    for name in HOUSE_SCENARIOS:
        s = scenario(name, 30.0)
        assert s.data_set == s.model_name == "houses" and s.task == "regression"
        assert all(p.market is not None and not p.drifts for p in s.phases)
        assert s.phases[0].market == Market("steady", 0.0)
    phases = [p for n in HOUSE_SCENARIOS for p in scenario(n, 1.0).phases]
    assert {p.market.scenario for p in phases if p.market} == set(house_prices.SCENARIOS)
    assert set(SCENARIOS) == set(CHURN_SCENARIOS) | set(HOUSE_SCENARIOS)
    inflation = scenario("inflation", 30.0)
    assert inflation.onset is not None and inflation.onset.name == "inflation"
    assert inflation.onset.market == Market("inflation", 1.0)
    assert inflation.expect_promotion and not scenario("steady-prices", 1.0).expect_retrain
    churn = scenario("drift-retrain", 30.0)
    assert (churn.model_name, churn.task) == ("churn", "classification")
    assert scenario("steady", 1.0).onset is None


def test_house_records_carry_their_true_price_as_the_label() -> None:
    def first(market: Market) -> list[tuple[dict[str, object], float]]:
        return list(itertools.islice(phase_records(Phase("p", None, market=market), 3), 600))

    steady, inflated = first(Market("steady", 0.0)), first(Market("inflation", 1.0))
    assert len(steady) == 600  # more than one chunk
    record, price = steady[0]
    assert house_prices.TARGET not in record and isinstance(price, float) and price > 0
    json.dumps([r for r, _ in steady], allow_nan=False)
    # The same houses, a quarter dearer (prices are rounded to 100 euros).
    assert [r for r, _ in inflated] == [r for r, _ in steady]
    ratio = sum(p for _, p in inflated) / sum(p for _, p in steady)
    assert ratio == pytest.approx(1.25, rel=1e-3)


def test_churn_records_are_unchanged_by_phase_records() -> None:
    phase = scenario("drift-retrain", 1.0).phases[1]
    first = list(itertools.islice(phase_records(phase, 2), 5))
    assert first == to_records(generate(500, seed=2 * 100_003, drifts=phase.drifts))[:5]


def test_a_regression_answer_scores_its_absolute_error() -> None:
    assert score({"prediction_id": "a", "prediction": 250_000.0}, 262_500.0) == 12_500.0
    assert score({"prediction_id": "a", "predicted_class": "1"}, 1) == 1.0
    assert score({"prediction_id": "a", "predicted_class": "0"}, 1) == 0.0
    stats = TrafficStats()
    for error in (1000.0, 3000.0) * 10:
        stats.recent.append(("4", error))
    assert stats.mean_by_version() == {"4": 2000.0}


def test_each_data_sets_task_is_the_one_training_gives_it() -> None:
    assert set(DATA_SET_TASKS) == set(SYNTHETIC_SETS)
    for name, task in DATA_SET_TASKS.items():
        assert load(None, None, rows=300, synthetic_set=name).task == task
