"""What a model predicts: the one definition of the tasks driftline knows.

A version's task decides its answer format (serving), what its labels are
(a class, or a finite number), its performance figures (exporter) and how the
gate judges a challenger (retraining). Training records it as the run
parameter ``task`` and in the reference profile (docs/reference-profile.md).

mypy cannot build a ``Literal`` from a tuple, so the ``Literal`` is spelled
beside its tuple; tests/contracts/test_enumerations.py holds the two equal.
"""

from __future__ import annotations

from typing import Final, Literal

Task = Literal["classification", "regression"]
TASKS: Final[tuple[Task, ...]] = ("classification", "regression")
# Versions trained before the task was recorded are classifiers.
DEFAULT_TASK: Final[Task] = "classification"
# The run parameter that holds a version's task.
TASK_PARAM: Final = "task"
