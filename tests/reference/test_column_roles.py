"""Column-role detection: identifiers, time columns and dropped columns, and the flags."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest

from reference.column_roles import (
    MIN_ROWS_FOR_DETECTION,
    ColumnRoles,
    RoleError,
    context_columns,
    settle,
)
from reference.role_flags import RoleFlags
from tests.training.tables import loans

N = 400


def _roles(frame: pd.DataFrame, flags: RoleFlags | None = None) -> dict[str, str]:
    settled = settle(frame.assign(y=np.arange(len(frame)) % 2), "y", flags or RoleFlags())
    return {d.column: d.role for d in settled.decisions}


def _with(**columns: object) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    base = {"x": rng.normal(size=N), "kind": rng.choice(["a", "b", "c"], N)}
    return pd.DataFrame({**base, **columns})


def test_the_loans_export_has_an_identifier_and_a_time_column() -> None:
    settled = settle(loans(2000), "defaulted", RoleFlags())
    assert settled.id_columns == ("loan_id",)
    assert settled.time_column == "applied_at"
    assert settled.dropped == ()
    assert [d.source for d in settled.decisions] == ["detected", "detected"]
    assert settled.describe() == [
        "column loan_id: identifier, not a model feature "
        "(detected: 2000 distinct values in 2000 rows)",
        "column applied_at: time column, not a model feature (detected: dates, 2000 distinct)",
    ]


def test_uuids_are_identifiers() -> None:
    assert _roles(_with(ref=[str(uuid.uuid4()) for _ in range(N)])) == {"ref": "identifier"}


def test_counting_integers_are_identifiers_but_integer_amounts_are_not() -> None:
    rng = np.random.default_rng(1)
    shuffled_keys = rng.permutation(np.arange(5000, 5000 + N))
    amounts = rng.choice(np.arange(10_000, 2_000_000), N, replace=False)  # distinct, sparse
    found = _roles(_with(customer_no=shuffled_keys, amount_cents=amounts))
    assert found == {"customer_no": "identifier"}


def test_floats_are_measurements_however_many_values() -> None:
    assert _roles(_with(price=np.random.default_rng(2).lognormal(size=N))) == {}


def test_dates_as_text_and_as_parquet_timestamps(tmp_path: pytest.TempPathFactory) -> None:
    days = pd.date_range("2024-01-01", periods=N, freq="h")
    frame = _with(created=days.strftime("%Y-%m-%d %H:%M:%S"), day=days.strftime("%Y-%m-%d"))
    # The finest-grained date is the time column; the other one is dropped.
    assert _roles(frame) == {"created": "time", "day": "dropped"}
    path = tmp_path / "t.parquet"  # type: ignore[operator]
    _with(stamp=days.tz_localize("UTC")).to_parquet(path)
    assert _roles(pd.read_parquet(path)) == {"stamp": "time"}


def test_a_low_cardinality_date_column_is_still_the_time_column() -> None:
    months = np.random.default_rng(3).choice(["2024-01-01", "2024-02-01", "2024-03-01"], N)
    assert _roles(_with(month=months)) == {"month": "time"}


def test_near_unique_free_text_is_dropped_not_an_identifier() -> None:
    rng = np.random.default_rng(4)
    words = np.array(["late", "payment", "called", "twice", "asked", "for", "refund", "ok"])
    notes = [" ".join(rng.choice(words, 6)) + f" #{i % (N - 5)}" for i in range(N)]
    found = settle(_with(note=notes).assign(y=0), "y", RoleFlags())
    [decision] = found.decisions
    assert (decision.column, decision.role) == ("note", "dropped")
    assert "free text" in decision.reason


def test_categories_numbers_booleans_and_small_tables_are_left_alone() -> None:
    rng = np.random.default_rng(5)
    frame = _with(
        zip_code=rng.choice([f"Z{i}" for i in range(N // 2)], N),  # repeats: a category
        flag=rng.random(N) < 0.5,
        words=rng.choice(["a b", "c d"], N),
    )
    assert _roles(frame) == {}
    small = _with(ref=[str(uuid.uuid4()) for _ in range(N)]).head(MIN_ROWS_FOR_DETECTION - 1)
    assert _roles(small) == {}


def test_flags_win_and_detection_fills_in_the_rest() -> None:
    frame = loans(500)
    flags = RoleFlags(id_columns=("loan_id",), drop=("purpose",))
    settled = settle(frame, "defaulted", flags)
    assert [(d.column, d.role, d.source) for d in settled.decisions] == [
        ("loan_id", "identifier", "given"),
        ("applied_at", "time", "detected"),
        ("purpose", "dropped", "given"),
    ]
    # A column the user names as a feature is never detected as anything else.
    assert settle(frame, "defaulted", RoleFlags(), ["loan_id"]).id_columns == ()


def test_strict_refuses_naming_each_column_and_its_flag() -> None:
    with pytest.raises(RoleError) as refused:
        settle(loans(500), "defaulted", RoleFlags(strict=True))
    message = str(refused.value)
    assert "loan_id" in message and "applied_at" in message
    assert "--id-column loan_id --time-column applied_at" in message
    flags = RoleFlags(id_columns=("loan_id",), time_column="applied_at", strict=True)
    assert settle(loans(500), "defaulted", flags).not_features == ("loan_id", "applied_at")


@pytest.mark.parametrize(
    ("flags", "match"),
    [
        (RoleFlags(id_columns=("nope",)), "unknown columns named in role flags: nope"),
        (RoleFlags(drop=("defaulted",)), "the target 'defaulted'"),
        (RoleFlags(id_columns=("loan_id",), drop=("loan_id",)), "more than one role: loan_id"),
        (RoleFlags(time_column="purpose"), "neither ISO 8601 dates nor numbers"),
    ],
)
def test_bad_flags_are_refused_by_name(flags: RoleFlags, match: str) -> None:
    with pytest.raises(RoleError, match=match):
        settle(loans(100), "defaulted", flags)


def test_roles_round_trip_and_name_the_run_parameters() -> None:
    settled = settle(loans(300), "defaulted", RoleFlags(drop=("home",)))
    assert ColumnRoles.from_dict(settled.to_dict()) == settled
    params = settled.run_params()
    assert params == {"id_columns": "loan_id", "time_column": "applied_at",
                      "dropped_columns": "home"}  # fmt: skip
    assert context_columns(params) == ("loan_id", "applied_at")
    assert context_columns({}) == ()
