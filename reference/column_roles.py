"""Which columns of a table are not model features: identifiers, the time column, dropped ones.

Real exports carry a row id and a timestamp beside the features. Used as categorical
features they are unique per row, so every new prediction is an unseen category
and the drift verdict fires forever. The rules here decide their roles, from the
user's flags first and by detection for the rest; pure functions on a DataFrame.

Detection (docs/your-data.md):

- a **time** column has a datetime dtype (a Parquet timestamp) or text whose values
  all parse as ISO 8601 dates or datetimes; with several, the one with the most
  distinct values is the time column and the others are dropped;
- an **identifier** has a distinct value in at least ``ID_DISTINCT_SHARE`` of its
  non-missing rows and is not numeric-continuous: text without spaces (``L100000``,
  a UUID), or integers that are all distinct and either increase down the file or
  fill a dense range (an auto-increment key), unlike integer amounts;
- near-unique text *with* spaces is free text, not a key: it is **dropped**.

Tables with fewer than ``MIN_ROWS_FOR_DETECTION`` rows are too small to tell a key
from a rare category, so nothing is detected in them. A role given by a flag is
never second-guessed. ``strict`` turns every detection into a refusal naming the
columns and the flags that state them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import pandas as pd

from driftline.version_facts import DROPPED_COLUMNS_PARAM, ID_COLUMNS_PARAM, TIME_COLUMN_PARAM
from reference.role_flags import RoleFlags

# Share of non-missing rows with a distinct value from which a column is a key:
# "unique, or nearly" (a few duplicated rows in an export must not hide an id).
ID_DISTINCT_SHARE: Final = 0.95
# Below this many non-missing rows nothing is detected: any text column is unique there.
MIN_ROWS_FOR_DETECTION: Final = 50
# A key's integers span at most this many times their count (gaps from deleted rows).
DENSE_SPAN_FACTOR: Final = 2
# Text values tried as dates; all of them must parse.
DATE_SAMPLE: Final = 500
# The training run's parameters naming the roles (comma-separated; empty when none) are
# named with the rest of a version's facts (driftline/version_facts.py). Serving reads the
# first two: a record may carry those columns (serving/feature_schema.py).

Role = Literal["identifier", "time", "dropped"]
# How the terminal names each role.
ROLE_WORDS: Final[dict[Role, str]] = {
    "identifier": "identifier", "time": "time column", "dropped": "dropped",
}  # fmt: skip
Source = Literal["given", "detected"]


class RoleError(ValueError):
    """The roles cannot be settled; the message names the columns and the flags to use."""


@dataclass(frozen=True)
class RoleDecision:
    column: str
    role: Role
    source: Source
    reason: str

    def describe(self) -> str:
        how = "given" if self.source == "given" else f"detected: {self.reason}"
        return f"{self.column}: {ROLE_WORDS[self.role]}, not a model feature ({how})"

    def to_dict(self) -> dict[str, str]:
        return {"column": self.column, "role": self.role, "source": self.source,
                "reason": self.reason}  # fmt: skip


@dataclass(frozen=True)
class ColumnRoles:
    """The settled roles of a table's non-feature columns, in table order."""

    decisions: tuple[RoleDecision, ...] = ()

    def _named(self, role: Role) -> tuple[str, ...]:
        return tuple(d.column for d in self.decisions if d.role == role)

    @property
    def id_columns(self) -> tuple[str, ...]:
        return self._named("identifier")

    @property
    def time_column(self) -> str | None:
        named = self._named("time")
        return named[0] if named else None

    @property
    def dropped(self) -> tuple[str, ...]:
        return self._named("dropped")

    @property
    def not_features(self) -> tuple[str, ...]:
        return tuple(d.column for d in self.decisions)

    def run_params(self) -> dict[str, str]:
        return {
            ID_COLUMNS_PARAM: ",".join(self.id_columns),
            TIME_COLUMN_PARAM: self.time_column or "",
            DROPPED_COLUMNS_PARAM: ",".join(self.dropped),
        }

    def describe(self) -> list[str]:
        """One terminal line per decision."""
        return [f"column {d.describe()}" for d in self.decisions]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id_columns": list(self.id_columns),
            "time_column": self.time_column,
            "dropped": list(self.dropped),
            "decisions": [d.to_dict() for d in self.decisions],
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ColumnRoles:
        return cls(
            tuple(
                RoleDecision(str(d["column"]), d["role"], d["source"], str(d["reason"]))
                for d in doc["decisions"]
            )
        )


def context_columns(params: Mapping[str, str]) -> tuple[str, ...]:
    """The identifier and time columns named by a run's parameters (``run_params``)."""
    ids = [c for c in params.get(ID_COLUMNS_PARAM, "").split(",") if c]
    time_column = params.get(TIME_COLUMN_PARAM, "")
    return tuple([*ids, time_column] if time_column else ids)


def time_values(column: pd.Series) -> pd.Series | None:
    """``column`` as datetimes when it is a time column by the rules above, else None."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        return None
    present = column.dropna()
    if present.empty or not all(isinstance(v, str) for v in present.head(DATE_SAMPLE)):
        return None
    sample = present.head(DATE_SAMPLE)
    # ISO 8601 only: lenient parsing reads "1" or "L100" as dates.
    if pd.to_datetime(sample, format="ISO8601", errors="coerce", utc=True).isna().any():
        return None
    parsed = pd.to_datetime(column, format="ISO8601", errors="coerce", utc=True)
    return parsed if parsed.notna().sum() == len(present) else None


def _key_reason(column: pd.Series) -> tuple[Role, str] | None:
    """(identifier or dropped, why) when ``column`` is near-unique and not a measurement."""
    present = column.dropna()
    n = len(present)
    if n < MIN_ROWS_FOR_DETECTION or pd.api.types.is_bool_dtype(column):
        return None
    distinct = int(present.nunique())
    if distinct < ID_DISTINCT_SHARE * n:
        return None
    share = f"{distinct} distinct values in {n} rows"
    if pd.api.types.is_integer_dtype(column):
        span = int(present.max()) - int(present.min()) + 1
        if distinct == n and (present.is_monotonic_increasing or span <= DENSE_SPAN_FACTOR * n):
            return "identifier", f"{share}, integers counting up like a key"
        return None
    if pd.api.types.is_numeric_dtype(column):
        return None  # floats are measurements, however many distinct values they take
    text = present.astype(str)
    if text.str.contains(r"\s", regex=True).mean() > 0.5:
        return "dropped", f"{share}, free text"
    return "identifier", share


def _check_named(frame: pd.DataFrame, target: str, flags: RoleFlags) -> None:
    named = [*flags.id_columns, *flags.drop, *([flags.time_column] if flags.time_column else [])]
    unknown = [c for c in named if c not in frame.columns]
    if unknown:
        raise RoleError(
            f"unknown columns named in role flags: {', '.join(unknown)} "
            f"(columns: {', '.join(map(str, frame.columns))})"
        )
    if target in named:
        raise RoleError(f"the target {target!r} cannot also be an identifier, time or dropped")
    twice = sorted({c for c in named if named.count(c) > 1})
    if twice:
        raise RoleError(f"columns given more than one role: {', '.join(twice)}")
    time_column = frame[flags.time_column] if flags.time_column else None
    if time_column is not None and ordering_key(time_column).isna().all():
        raise RoleError(
            f"--time-column {flags.time_column}: values are neither ISO 8601 dates nor numbers"
        )


def _given(flags: RoleFlags) -> dict[str, RoleDecision]:
    given: dict[str, RoleDecision] = {}
    for c in flags.id_columns:
        given[c] = RoleDecision(c, "identifier", "given", "--id-column")
    if flags.time_column:
        given[flags.time_column] = RoleDecision(flags.time_column, "time", "given", "--time-column")
    for c in flags.drop:
        given[c] = RoleDecision(c, "dropped", "given", "--drop")
    return given


def _detected(frame: pd.DataFrame, skip: set[str], time_given: bool) -> dict[str, RoleDecision]:
    found: dict[str, RoleDecision] = {}
    dates: list[tuple[int, str]] = []
    for col in map(str, frame.columns):
        if col in skip:
            continue
        parsed = time_values(frame[col])
        if parsed is not None:
            dates.append((int(parsed.nunique()), col))
            continue
        key = _key_reason(frame[col])
        if key is not None:
            found[col] = RoleDecision(col, key[0], "detected", key[1])
    # The finest-grained date is the time column; any other date is dropped.
    finest = None if time_given or not dates else max(dates)[1]
    for distinct, col in dates:
        if col == finest:
            found[col] = RoleDecision(col, "time", "detected", f"dates, {distinct} distinct")
        else:
            found[col] = RoleDecision(col, "dropped", "detected", f"dates, {distinct} distinct")
    return found


def _refusal(detected: Sequence[RoleDecision]) -> str:
    flag = {"identifier": "--id-column", "time": "--time-column", "dropped": "--drop"}
    lines = [f"  {d.column}: looks like {ROLE_WORDS[d.role]} ({d.reason})" for d in detected]
    flags = " ".join(f"{flag[d.role]} {d.column}" for d in detected)
    return (
        "--strict: column roles were not given for:\n"
        + "\n".join(lines)
        + f"\nname them ({flags}), or leave out --strict to accept the detection"
    )


def settle(
    frame: pd.DataFrame, target: str, flags: RoleFlags, features: Sequence[str] = ()
) -> ColumnRoles:
    """The roles of ``frame``'s columns other than ``target``: the flags', then detected ones.

    ``features``: columns the user named as features (``--numeric``, ``--categorical``),
    never detected as anything else.

    RoleError for flags naming unknown columns or the target, a time column that is
    neither dates nor numbers, and, with ``flags.strict``, any detected role.
    """
    _check_named(frame, target, flags)
    given = _given(flags)
    detected = _detected(frame, {target, *given, *features}, flags.time_column is not None)
    if flags.strict and detected:
        raise RoleError(_refusal([detected[c] for c in map(str, frame.columns) if c in detected]))
    decided = {**given, **detected}
    return ColumnRoles(tuple(decided[c] for c in map(str, frame.columns) if c in decided))


def ordering_key(column: pd.Series) -> pd.Series:
    """The time column's values as something to sort by: datetimes, or the numbers."""
    parsed = time_values(column)
    return parsed if parsed is not None else pd.to_numeric(column, errors="coerce")
