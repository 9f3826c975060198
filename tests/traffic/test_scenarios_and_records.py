from __future__ import annotations

import json
import math

import pytest

from traffic.generator import TrafficStats
from traffic.records import to_records
from traffic.scenarios import SCENARIOS, scenario
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
        stats.recent.append(("1", i % 4 != 0))
    for _ in range(5):
        stats.recent.append(("2", True))
    assert stats.accuracy_by_version() == {"1": 0.75}
