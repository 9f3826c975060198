"""Load a user's tabular data set and decide which columns are numeric or categorical."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from training import synthetic


class DatasetError(ValueError):
    """The data set cannot be used for training; the message says why."""


@dataclass(frozen=True)
class Dataset:
    frame: pd.DataFrame  # features only
    target: pd.Series
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    source: str

    @property
    def target_name(self) -> str:
        return str(self.target.name)


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
) -> Dataset:
    """Split ``frame`` into features and target; infer column kinds unless overridden.

    A column is numeric when pandas reads it as a number or boolean and it is not
    named in ``categorical``; every other column is categorical.
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
    if y.nunique() < 2:
        raise DatasetError(f"{source}: target column {target!r} has only one class")
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
    )


def load(
    path: Path | None,
    target: str | None,
    *,
    numeric: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    rows: int = 20_000,
    seed: int = 0,
) -> Dataset:
    """The user's file when ``path`` is given, else the synthetic churn data set."""
    if path is None:
        frame = synthetic.generate(rows, seed=seed)
        return from_frame(
            frame,
            synthetic.TARGET,
            source="synthetic churn data",
            numeric=synthetic.NUMERIC_FEATURES,
            categorical=synthetic.CATEGORICAL_FEATURES,
        )
    if not target:
        raise DatasetError("--target is required with --data")
    return from_frame(
        read_table(path), target, source=str(path), numeric=numeric, categorical=categorical
    )
