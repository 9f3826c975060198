"""Which task a loaded model version has, from its training run; a pure function.

Training records the task as the run parameter ``task`` (driftline/tasks.py).
Versions trained before it was recorded are classifiers, as are models that
say nothing but can give probabilities; a model without the parameter and
without ``predict_proba`` can only be served as a regressor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftline.tasks import TASK_PARAM, TASKS, Task


class ModelTaskError(ValueError):
    """The version's recorded task is unknown, or its model cannot do it."""


def task_of(run_params: Mapping[str, str], model: Any) -> Task:
    """The task to serve ``model`` for, given its training run's parameters."""
    recorded = run_params.get(TASK_PARAM)
    can_classify = hasattr(model, "predict_proba")
    if recorded is None:
        return "classification" if can_classify else "regression"
    for task in TASKS:
        if recorded == task:
            break
    else:
        raise ModelTaskError(
            f"the training run records {TASK_PARAM}={recorded!r}; "
            f"this server serves {', '.join(TASKS)}"
        )
    method = "predict_proba" if task == "classification" else "predict"
    if not hasattr(model, method):
        raise ModelTaskError(
            f"the training run records {TASK_PARAM}={task} but the model has no {method}"
        )
    return task
