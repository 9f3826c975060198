"""Which task a target asks for, and the targets a task refuses.

Without ``--task`` the target decides: a numeric target with non-integer values
or more than ``MAX_INFERRED_CLASSES`` distinct values is regression, any other
target classification. Given or inferred, the task then checks the target:

- one distinct value is refused for either task (there is nothing to learn);
- classification refuses more than ``MAX_CLASSES`` classes: such a target is
  almost always a quantity (a price, a count) or an identifier, and a classifier
  over it would be slow, huge and meaningless;
- regression refuses a target that is not numeric (text, booleans) and fewer than
  ``MIN_REGRESSION_ROWS`` rows (the holdout's R² needs two rows);
- a numeric target with infinite values is refused for either task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from driftline.tasks import Task

# The rule: up to 20 distinct integers look like classes (ratings, tiers, counts).
MAX_INFERRED_CLASSES: Final = 20
# Above this many distinct values, --task classification is refused.
MAX_CLASSES: Final = 50
# A 25% holdout of 8 rows has 2, the fewest R² is defined on.
MIN_REGRESSION_ROWS: Final = 8

_NUMERIC_KINDS: Final = frozenset({"integer", "floating", "mixed-integer-float", "decimal"})


class TaskChoiceError(ValueError):
    """The target does not fit the task; the message says why."""


@dataclass(frozen=True)
class TaskChoice:
    task: Task
    inferred: bool
    reason: str  # why the target fits (or was taken as) this task

    def describe(self) -> str:
        """The line `driftline train` prints, e.g. ``task: regression (inferred: ...)``."""
        return f"task: {self.task} ({'inferred: ' if self.inferred else ''}{self.reason})"


def is_numeric_target(target: pd.Series) -> bool:
    """True for numbers, also in an object column; False for text and booleans."""
    if pd.api.types.is_bool_dtype(target):
        return False
    if pd.api.types.is_numeric_dtype(target):
        return True
    return pd.api.types.infer_dtype(target, skipna=True) in _NUMERIC_KINDS


def _first(target: pd.Series) -> object:
    """The first value as Python has it (``7``, not ``np.int64(7)``), for messages."""
    return target.iloc[:1].tolist()[0] if len(target) else None


def _values(target: pd.Series) -> np.ndarray:
    return np.asarray(pd.to_numeric(target), dtype=np.float64)


def _describe_values(target: pd.Series, distinct: int) -> str:
    if not is_numeric_target(target):
        kind = "boolean" if pd.api.types.is_bool_dtype(target) else "non-numeric"
        return f"{distinct:,} distinct {kind} values"
    values = _values(target)
    if not np.all(values == np.round(values)):
        return f"{distinct:,} distinct numeric values, not all integers"
    return f"{distinct:,} distinct integer values"


def infer_task(target: pd.Series) -> Task:
    """The task the target's values suggest (the module docstring's rule)."""
    if not is_numeric_target(target):
        return "classification"
    values = _values(target)
    finite = values[np.isfinite(values)]
    if not np.all(finite == np.round(finite)):
        return "regression"
    return "regression" if pd.unique(finite).size > MAX_INFERRED_CLASSES else "classification"


def choose_task(target: pd.Series, task: Task | None, *, where: str) -> TaskChoice:
    """``task`` (None: inferred) checked against ``target``; TaskChoiceError if it does not fit.

    ``where`` starts every message (the data source and column). ``target`` has no
    missing values (the caller refuses them first).
    """
    distinct = int(target.nunique())
    numeric = is_numeric_target(target)
    if numeric:
        infinite = int(np.isinf(_values(target)).sum())
        if infinite:
            raise TaskChoiceError(f"{where} has {infinite} infinite values")
    chosen = infer_task(target) if task is None else task
    if distinct < 2:
        only = _first(target)
        what = "class" if chosen == "classification" else "value"
        raise TaskChoiceError(
            f"{where} has only one {what} ({only!r}) in {len(target)} rows: nothing to learn"
        )
    if chosen == "classification" and distinct > MAX_CLASSES:
        hint = " (a quantity? use --task regression)" if numeric else ""
        raise TaskChoiceError(
            f"{where} has {distinct:,} distinct values, too many classes for classification "
            f"(at most {MAX_CLASSES}){hint}"
        )
    if chosen == "regression":
        if not numeric:
            kind = "boolean" if pd.api.types.is_bool_dtype(target) else "non-numeric"
            raise TaskChoiceError(
                f"{where} has {kind} values ({_first(target)!r}, ...): regression needs numbers"
            )
        if len(target) < MIN_REGRESSION_ROWS:
            raise TaskChoiceError(
                f"{where} has {len(target)} rows: regression needs at least {MIN_REGRESSION_ROWS}"
            )
    reason = _describe_values(target, distinct) if task is None else "given"
    return TaskChoice(task=chosen, inferred=task is None, reason=reason)
