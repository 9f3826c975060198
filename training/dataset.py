"""Load a user's tabular data set: column roles, which columns are numeric or categorical,
and the task.

Identifiers, the time column and dropped columns are settled first
(reference/column_roles.py) and never become features; the time column's values
are kept beside the features to split the holdout by time (training/split.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import numpy as np
import pandas as pd

from driftline.tasks import Task
from reference.column_roles import ColumnRoles, RoleError, ordering_key, settle
from reference.role_flags import RoleFlags
from training import house_prices, synthetic
from training.task_choice import TaskChoice, TaskChoiceError, choose_task

# The built-in data sets `driftline train` uses without --data.
SyntheticName = Literal["churn", "houses"]
SYNTHETIC_SETS: Final[tuple[SyntheticName, ...]] = ("churn", "houses")


class DatasetError(ValueError):
    """The data set cannot be used for training; the message says why."""


@dataclass(frozen=True)
class Dataset:
    frame: pd.DataFrame  # features only
    target: pd.Series
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    source: str
    task_choice: TaskChoice  # the task, and whether it was given or inferred from the target
    # Numeric features whose values are booleans (as 0/1); served as JSON booleans.
    boolean: tuple[str, ...] = ()
    roles: ColumnRoles = field(default_factory=ColumnRoles)
    # The time column's values as a sort key, aligned with ``frame``; None without one.
    time: pd.Series | None = None

    @property
    def target_name(self) -> str:
        return str(self.target.name)

    @property
    def task(self) -> Task:
        return self.task_choice.task


def _as_categorical(column: pd.Series) -> pd.Series:
    return column.map(lambda v: None if pd.isna(v) else str(v)).astype(object)


def is_boolean(column: pd.Series) -> bool:
    """True for a bool column, nullable or not, and for text-free objects that are all bools."""
    if pd.api.types.is_bool_dtype(column):
        return True
    if not pd.api.types.is_object_dtype(column):
        return False
    present = column.dropna()
    return not present.empty and all(isinstance(v, bool | np.bool_) for v in present)


def _as_number(column: pd.Series) -> pd.Series:
    # Through object: a nullable boolean's NA does not convert to float64 directly.
    plain = column.astype(object).where(column.notna(), None)
    return pd.to_numeric(plain, errors="coerce").astype("float64")


def coerce_features(
    frame: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]
) -> pd.DataFrame:
    """``frame``'s columns as the model sees them: numeric as float64, categorical as text."""
    out = frame.copy()
    for col in numeric:
        out[col] = _as_number(out[col])
    for col in categorical:
        out[col] = _as_categorical(out[col])
    return out


def read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DatasetError(f"data file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".csv", ".txt"):
            return pd.read_csv(path)
    except Exception as exc:  # pandas raises many types for unreadable files
        raise DatasetError(f"cannot read {path}: {exc}") from exc
    raise DatasetError(f"{path}: unsupported file type {suffix!r} (use .csv or .parquet)")


def from_frame(
    frame: pd.DataFrame,
    target: str,
    *,
    source: str,
    numeric: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    task: Task | None = None,
    roles: RoleFlags | None = None,
    boolean: Sequence[str] = (),
) -> Dataset:
    """Split ``frame`` into features and target; infer column kinds and task unless given.

    ``roles``: settle identifier, time and dropped columns by these flags and detection
    (reference/column_roles.py) and leave them out of the features; None takes every
    column but the target as a feature (a known table: synthetic, retraining's).
    A column is numeric when pandas reads it as a number or boolean and it is not
    named in ``categorical``; every other column is categorical. A numeric column is
    boolean when its values are (or it is named in ``boolean``: retraining's mix of
    stored 0/1 and live ``true``). The task rules are training/task_choice.py's; a
    target that does not fit the task is a DatasetError.
    """
    if frame.empty:
        raise DatasetError(f"{source}: the data set has no rows")
    if target not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise DatasetError(f"{source}: target column {target!r} not found (columns: {columns})")
    y = frame[target]
    if y.isna().any():
        raise DatasetError(
            f"{source}: target column {target!r} has {int(y.isna().sum())} missing values"
        )
    try:
        choice = choose_task(y, task, where=f"{source}: target column {target!r}")
    except TaskChoiceError as exc:
        raise DatasetError(str(exc)) from exc
    settled = ColumnRoles()
    if roles is not None:
        try:
            settled = settle(frame, target, roles, [*(numeric or ()), *(categorical or ())])
        except RoleError as exc:
            raise DatasetError(f"{source}: {exc}") from exc
    time_column = settled.time_column
    x = frame.drop(columns=[target, *settled.not_features])
    if x.shape[1] == 0:
        raise DatasetError(f"{source}: no feature columns besides the target")
    forced_num = set(numeric or ())
    forced_cat = set(categorical or ())
    unknown = (forced_num | forced_cat) - set(map(str, x.columns))
    if unknown:
        raise DatasetError(f"{source}: unknown columns named as overrides: {sorted(unknown)}")
    both = forced_num & forced_cat
    if both:
        raise DatasetError(f"{source}: columns named both numeric and categorical: {sorted(both)}")
    num: list[str] = []
    cat: list[str] = []
    for col in map(str, x.columns):
        if col in forced_num:
            converted = pd.to_numeric(x[col], errors="coerce")
            if converted.isna().sum() > x[col].isna().sum():
                raise DatasetError(
                    f"{source}: column {col!r} was named numeric but has text values"
                )
            num.append(col)
        elif col in forced_cat or not (pd.api.types.is_numeric_dtype(x[col]) or is_boolean(x[col])):
            cat.append(col)
        else:
            num.append(col)
    return Dataset(
        frame=coerce_features(x, num, cat),
        target=y,
        numeric=tuple(num),
        categorical=tuple(cat),
        source=source,
        task_choice=choice,
        boolean=tuple(c for c in num if c in boolean or is_boolean(x[c])),
        roles=settled,
        time=None if time_column is None else ordering_key(frame[time_column]),
    )


def load(
    path: Path | None,
    target: str | None,
    *,
    numeric: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    rows: int = 20_000,
    seed: int = 0,
    task: Task | None = None,
    synthetic_set: SyntheticName = "churn",
    roles: RoleFlags | None = None,
) -> Dataset:
    """The user's file when ``path`` is given, else the synthetic data set ``synthetic_set``.

    ``task`` None infers it from the target (the synthetic sets infer theirs:
    classification for churn, regression for houses). A file's column roles are
    settled by ``roles`` (no flags: detection alone); the synthetic sets have none.
    """
    if path is None:
        if synthetic_set == "houses":
            return from_frame(
                house_prices.generate(rows, seed=seed),
                house_prices.TARGET,
                source="synthetic house-price data",
                numeric=house_prices.NUMERIC_FEATURES,
                categorical=house_prices.CATEGORICAL_FEATURES,
                task=task,
            )
        if synthetic_set != "churn":
            raise DatasetError(
                f"unknown synthetic data set {synthetic_set!r} "
                f"(choose from {', '.join(SYNTHETIC_SETS)})"
            )
        return from_frame(
            synthetic.generate(rows, seed=seed),
            synthetic.TARGET,
            source="synthetic churn data",
            numeric=synthetic.NUMERIC_FEATURES,
            categorical=synthetic.CATEGORICAL_FEATURES,
            task=task,
        )
    if not target:
        raise DatasetError("--target is required with --data")
    return from_frame(
        read_table(path),
        target,
        source=str(path),
        numeric=numeric,
        categorical=categorical,
        task=task,
        roles=roles or RoleFlags(),
    )
