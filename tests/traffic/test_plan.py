"""traffic/plan.py: one story beside steady models, and where each model's labels go."""

from __future__ import annotations

import pytest

from tests.support.driftline_command import run_driftline
from traffic.plan import MODELS, feedback_urls, parse_models, plan
from traffic.scenarios import STEADY_SCENARIOS, scenario


def test_the_story_drives_its_model_and_the_others_stay_steady() -> None:
    story = scenario("drift-retrain", 30.0)
    plans = plan(("churn", "houses"), story)
    assert list(plans) == ["churn", "houses"]
    assert plans["churn"] is story
    assert plans["houses"].name == "steady-prices" and plans["houses"].model_name == "houses"
    assert not plans["houses"].expect_retrain and plans["houses"].onset is None
    prices = plan(("churn", "houses"), scenario("inflation", 30.0))
    assert (prices["churn"].name, prices["houses"].name) == ("steady", "inflation")
    assert list(plan((), story)) == ["churn"]  # no list: the story's model alone
    assert set(STEADY_SCENARIOS) == set(MODELS)
    for model, name in STEADY_SCENARIOS.items():
        assert scenario(name, 1.0).model_name == model


def test_a_story_for_a_model_the_stack_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="drives the houses model, which is not in --models churn"):
        plan(("churn",), scenario("inflation", 30.0))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("churn,,houses", "empty model name"),
        ("churn,cars", "unknown model 'cars'"),
        ("houses,houses", "names a model twice"),
    ],
)
def test_model_lists_are_checked(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_models(text)


def test_feedback_urls_pair_each_model_with_its_server() -> None:
    assert feedback_urls(["churn"], ["http://127.0.0.1:8000"]) == {"churn": "http://127.0.0.1:8000"}
    both = ["churn=http://a:8000", "houses=http://b:8010"]
    assert feedback_urls(["churn", "houses"], both) == {
        "churn": "http://a:8000", "houses": "http://b:8010",
    }  # fmt: skip
    with pytest.raises(ValueError, match="no inference server for houses"):
        feedback_urls(["churn", "houses"], both[:1])
    with pytest.raises(ValueError, match="a bare URL only serves a single model"):
        feedback_urls(["churn", "houses"], ["http://a:8000"])
    with pytest.raises(ValueError, match="cars is not one of churn"):
        feedback_urls(["churn"], ["cars=http://a:8000"])


def test_the_traffic_and_demo_commands_refuse_a_bad_model_list_with_exit_2() -> None:
    traffic = run_driftline(
        {}, "traffic", "--router", "http://127.0.0.1:9", "--feedback", "http://127.0.0.1:9",
        "--models", "churn,houses", "--duration", "1",
    )  # fmt: skip
    assert traffic.returncode == 2, traffic.stderr
    assert "a bare URL only serves a single model" in traffic.stderr
    demo = run_driftline({}, "demo", "--models", "churn", "--scenario", "inflation")
    assert demo.returncode == 2, demo.stderr
    assert "drives the houses model, which is not in --models churn" in demo.stderr
