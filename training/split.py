"""Train/holdout split: by time when the table has a time column, else at random.

A model is judged in production on rows newer than any it was trained on, so with a
time column the newest ``share`` of rows is the holdout, as production will judge
it (ties on the boundary go by table order). Without one, a random split,
stratified by class for a classifier whose every class has two rows or more.
"""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from driftline.tasks import Task


def split(
    x: pd.DataFrame,
    y: pd.Series,
    *,
    share: float,
    seed: int,
    task: Task,
    time: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """(x_train, x_holdout, y_train, y_holdout); ``time`` aligned with ``x`` by index."""
    if time is not None:
        order = time.sort_values(kind="stable", na_position="first").index
        n_hold = max(1, round(len(order) * share))
        train_idx, hold_idx = order[: len(order) - n_hold], order[len(order) - n_hold :]
        return x.loc[train_idx], x.loc[hold_idx], y.loc[train_idx], y.loc[hold_idx]
    # Stratify classes only: a regression target's values are not groups.
    stratify = y if task == "classification" and y.value_counts().min() >= 2 else None
    x_train, x_hold, y_train, y_hold = train_test_split(
        x, y, test_size=share, random_state=seed, stratify=stratify
    )
    return x_train, x_hold, y_train, y_hold
