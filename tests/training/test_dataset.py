from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import training.cli
from training import house_prices
from training.dataset import SYNTHETIC_SETS, DatasetError, from_frame, load, read_table


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [30, 40, None, 50],
            "plan": ["a", "b", "a", None],
            "zip": [1001, 1002, 1001, 1003],
            "flag": [True, False, True, True],
            "y": [0, 1, 0, 1],
        }
    )


def test_infers_numeric_and_categorical_columns() -> None:
    ds = from_frame(_frame(), "y", source="t")
    assert ds.numeric == ("age", "zip", "flag")
    assert ds.categorical == ("plan",)
    assert ds.frame["plan"].tolist() == ["a", "b", "a", None]
    assert ds.frame["age"].dtype == "float64"


def test_overrides_win_over_inference() -> None:
    ds = from_frame(_frame(), "y", source="t", categorical=["zip"])
    assert "zip" in ds.categorical
    assert ds.frame["zip"].tolist() == ["1001", "1002", "1001", "1003"]


@pytest.mark.parametrize(
    ("frame", "target", "kwargs", "message"),
    [
        (pd.DataFrame({"y": []}), "y", {}, "no rows"),
        (_frame(), "label", {}, "target column 'label' not found"),
        (_frame().assign(y=1), "y", {}, r"target column 'y' has only one class \(1\) in 4 rows"),
        (_frame().assign(y=[0.0, float("nan"), 1.0, 1.0]), "y", {}, "missing values"),
        (_frame()[["y"]], "y", {}, "no feature columns"),
        (_frame(), "y", {"numeric": ["nope"]}, "unknown columns"),
        (_frame(), "y", {"numeric": ["plan"]}, "has text values"),
        (
            _frame(),
            "y",
            {"numeric": ["age"], "categorical": ["age"]},
            "both numeric and categorical",
        ),
    ],
)
def test_unusable_data_gets_a_clear_error(
    frame: pd.DataFrame, target: str, kwargs: dict[str, list[str]], message: str
) -> None:
    with pytest.raises(DatasetError, match=message):
        from_frame(frame, target, source="t", numeric=kwargs.get("numeric"),
                   categorical=kwargs.get("categorical"))  # fmt: skip


def test_reads_csv_and_parquet(tmp_path: Path) -> None:
    df = _frame()
    df.to_csv(tmp_path / "d.csv", index=False)
    df.to_parquet(tmp_path / "d.parquet", index=False)
    for name in ("d.csv", "d.parquet"):
        ds = load(tmp_path / name, "y")
        assert len(ds.frame) == 4


def test_unreadable_files_get_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "d.xlsx").write_text("x")
    with pytest.raises(DatasetError, match="unsupported file type"):
        read_table(tmp_path / "d.xlsx")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(DatasetError, match="cannot read"):
        read_table(tmp_path / "bad.parquet")
    with pytest.raises(DatasetError, match="--target is required"):
        load(tmp_path / "d.xlsx", None)


def test_default_is_the_synthetic_data_set() -> None:
    ds = load(None, None, rows=300)
    assert ds.target_name == "churned"
    assert len(ds.numeric) == 10
    assert len(ds.categorical) == 10


def test_the_synthetic_sets_and_their_tasks() -> None:
    churn = load(None, None, rows=300)
    assert (churn.task, churn.task_choice.inferred) == ("classification", True)
    houses = load(None, None, rows=300, synthetic_set="houses")
    assert houses.target_name == "price"
    assert houses.task == "regression"
    assert houses.numeric == house_prices.NUMERIC_FEATURES
    assert houses.categorical == house_prices.CATEGORICAL_FEATURES
    assert houses.source == "synthetic house-price data"
    with pytest.raises(DatasetError, match="too many classes"):
        load(None, None, rows=300, synthetic_set="houses", task="classification")
    with pytest.raises(DatasetError, match="unknown synthetic data set 'fish'"):
        load(None, None, rows=300, synthetic_set="fish")  # type: ignore[arg-type]


def test_the_cli_offers_the_synthetic_sets_without_importing_pandas() -> None:
    assert training.cli.SYNTHETIC_SETS == SYNTHETIC_SETS


def test_a_users_file_gets_the_task_it_asks_for(tmp_path: Path) -> None:
    frame = house_prices.generate(200, seed=1)
    frame.to_csv(tmp_path / "houses.csv", index=False)
    inferred = load(tmp_path / "houses.csv", "price")
    assert inferred.task == "regression"
    assert inferred.task_choice.describe().startswith("task: regression (inferred: ")
    given = load(tmp_path / "houses.csv", "rooms", task="regression")
    assert (given.task, given.task_choice.inferred) == ("regression", False)
    assert load(tmp_path / "houses.csv", "rooms").task == "classification"
