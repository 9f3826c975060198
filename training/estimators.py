"""The estimators `driftline train` can fit, by task: names only, no scikit-learn.

training/pipeline.py builds them; training/cli.py offers them without importing
scikit-learn, so `driftline --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from driftline.tasks import Task

CLASSIFIERS: Final = ("logreg", "gbm", "forest")
REGRESSORS: Final = ("ridge", "gbm", "forest")
ESTIMATORS: Final[Mapping[Task, tuple[str, ...]]] = {
    "classification": CLASSIFIERS,
    "regression": REGRESSORS,
}
# The fast linear model of each task: what `train` fits unless told otherwise.
DEFAULT_ESTIMATOR: Final[Mapping[Task, str]] = {
    "classification": "logreg",
    "regression": "ridge",
}
# The kind a challenger records when it is scikit-learn's ``clone`` of its champion (an
# adopted model's own estimator class and parameters; retraining/challenger.py).
CLONED_ESTIMATOR: Final = "champion-clone"
# Every name any task knows, for the CLI's choices; whether it fits the task is checked later.
ALL_ESTIMATORS: Final = tuple(dict.fromkeys((*CLASSIFIERS, *REGRESSORS)))


def check_estimator(kind: str, task: Task) -> str:
    """``kind`` if ``task`` has it; ValueError naming the task's estimators otherwise."""
    if kind not in ESTIMATORS[task]:
        raise ValueError(
            f"estimator {kind!r} is not one for {task} (choose from {', '.join(ESTIMATORS[task])})"
        )
    return kind
