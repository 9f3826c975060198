"""A version's task: the training run's ``task`` parameter, else what the model can do."""

from __future__ import annotations

import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor

from serving.model_task import ModelTaskError, task_of


def test_a_recorded_task_is_the_task() -> None:
    assert task_of({"task": "regression"}, DummyRegressor()) == "regression"
    assert task_of({"task": "classification"}, DummyClassifier()) == "classification"


def test_without_the_parameter_a_model_with_probabilities_is_a_classifier() -> None:
    # Versions trained before the task was recorded (driftline/tasks.py: DEFAULT_TASK).
    assert task_of({"model_kind": "logreg"}, DummyClassifier()) == "classification"
    assert task_of({}, DummyRegressor()) == "regression"


@pytest.mark.parametrize(
    ("params", "model", "message"),
    [
        ({"task": "ranking"}, DummyClassifier(), "task='ranking'"),
        ({"task": "classification"}, DummyRegressor(), "no predict_proba"),
        ({"task": "regression"}, object(), "no predict"),
    ],
)
def test_a_task_the_model_cannot_do_fails_the_load(
    params: dict[str, str], model: object, message: str
) -> None:
    with pytest.raises(ModelTaskError, match=message):
        task_of(params, model)
