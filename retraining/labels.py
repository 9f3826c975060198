"""Recent labels, stored as text in the prediction log, as training targets. Pure, no I/O.

A regression version's labels are the canonical text of finite numbers
(driftline/regression_values.py); a classifier's are ``str()`` of its classes and
take the champion's training target's type back. A label that does not fit is
refused with a message naming how many, which and why, before anything is trained:
a challenger fitted on rows with made-up targets would be judged on them too.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from driftline.regression_values import parse_value_text
from driftline.tasks import Task

# Examples a message quotes at most.
_QUOTED: Final = 3


class BadLabels(ValueError):
    """Recent labels that cannot be the task's targets; the message says which."""


def _quote(labels: pd.Series, prediction_ids: pd.Series, bad: pd.Series) -> str:
    quoted = zip(labels[bad].head(_QUOTED), prediction_ids[bad].head(_QUOTED), strict=True)
    more = ", ..." if int(bad.sum()) > _QUOTED else ""
    return ", ".join(f"{label!r} (prediction {pid})" for label, pid in quoted) + more


def _numbers(labels: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(parsed values, True where a label is not a finite number's text)."""
    values: list[float] = []
    bad: list[bool] = []
    for text in labels.tolist():
        try:
            values.append(parse_value_text(text))
            bad.append(False)
        except ValueError:
            values.append(float("nan"))
            bad.append(True)
    return (
        pd.Series(values, index=labels.index, dtype="float64"),
        pd.Series(bad, index=labels.index, dtype=bool),
    )


def training_targets(
    labels: pd.Series, prediction_ids: pd.Series, *, task: Task, like: pd.Series
) -> pd.Series:
    """``labels`` as targets of ``task``, typed like the champion's training target ``like``.

    Raises BadLabels when a regression label is not a finite number, or a classifier's
    label cannot take the type of a numeric training target.
    """
    if task == "regression":
        values, bad = _numbers(labels)
        if bad.any():
            raise BadLabels(
                f"{int(bad.sum())} of {len(labels)} recent labels are not finite numbers, "
                f"which a regression model's labels must be: {_quote(labels, prediction_ids, bad)}"
            )
        return values
    if pd.api.types.is_bool_dtype(like):
        # Serving stores a boolean target's labels as "True"/"False" (serving/labels.py).
        flags = labels.map({"True": True, "False": False})
        bad = flags.isna()
        if bad.any():
            raise BadLabels(
                f"{int(bad.sum())} of {len(labels)} recent labels are not True or False like "
                f"the training target's classes: {_quote(labels, prediction_ids, bad)}"
            )
        return flags.astype(bool)
    if pd.api.types.is_numeric_dtype(like):
        numbers = pd.to_numeric(labels, errors="coerce")
        bad = numbers.isna()
        if bad.any():
            raise BadLabels(
                f"{int(bad.sum())} of {len(labels)} recent labels are not numbers like the "
                f"training target's classes: {_quote(labels, prediction_ids, bad)}"
            )
        return numbers.astype(like.dtype)
    return labels.astype(like.dtype)
