"""Load a user's tabular data set: which columns are numeric or categorical, and the task."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import pandas as pd

from driftline.tasks import Task
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

    @property
    def target_name(self) -> str:
        return str(self.target.name)

    @property
    def task(self) -> Task:
        return self.task_choice.task


def _as_categorical(column: pd.Series) -> pd.Series:
    return column.map(lambda v: None if pd.isna(v) else str(v)).astype(object)


def coerce_features(
    frame: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]
) -> pd.DataFrame:
    """``frame``'s columns as the model sees them: numeric as float64, categorical as text."""
    out = frame.copy()
    for col in numeric:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
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
) -> Dataset:
    """Split ``frame`` into features and target; infer column kinds and task unless given.

    A column is numeric when pandas reads it as a number or boolean and it is not
    named in ``categorical``; every other column is categorical. The task rules are
    training/task_choice.py's; a target that does not fit the task is a DatasetError.
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
    x = frame.drop(columns=[target])
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
        elif col in forced_cat or not (
            pd.api.types.is_numeric_dtype(x[col]) or pd.api.types.is_bool_dtype(x[col])
        ):
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
) -> Dataset:
    """The user's file when ``path`` is given, else the synthetic data set ``synthetic_set``.

    ``task`` None infers it from the target (the synthetic sets infer theirs:
    classification for churn, regression for houses).
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
    )
