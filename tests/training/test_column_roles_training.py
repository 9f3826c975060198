"""`driftline train` on real-shaped tables: roles said on the terminal, kept out of the
model, stored in the run and the profile; the holdout by time; booleans in the signature."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest

from driftline.cli_errors import EXIT_BAD_INPUT, EXIT_OK
from driftline.config import Settings
from driftline.mlflow_setup import connect
from driftline.registry_contract import PROFILE_ARTIFACT_PATH
from reference.profile import loads
from reference.role_flags import RoleFlags
from tests.training.tables import LOAN_FEATURES, loans, payments
from tests.training.test_train_cli import run
from training.dataset import from_frame
from training.split import split


def _run_of(version: str) -> tuple[dict[str, str], str]:
    settings = Settings.from_env()
    client = connect(settings)
    run_id = str(client.get_model_version(settings.model_name, version).run_id)
    return client.get_run(run_id).data.params, run_id


def _train(capsys: pytest.CaptureFixture[str], path: Path, frame: pd.DataFrame, target: str) -> str:
    """`driftline train` on ``frame`` written to ``path`` (CSV or Parquet); its stdout."""
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    code, out, err = run(capsys, "train", "--data", str(path), "--target", target)
    assert code == EXIT_OK, err
    return out


def test_loans_train_without_the_id_and_the_timestamp_and_say_so(
    home: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv = tmp_path / "loans.csv"
    out = _train(capsys, csv, loans(1200), "defaulted")
    assert "column loan_id: identifier, not a model feature (detected: " in out
    assert "column applied_at: time column, not a model feature (detected: " in out
    params, run_id = _run_of("1")
    assert (params["id_columns"], params["time_column"]) == ("loan_id", "applied_at")
    features = params["numeric_features"].split(",") + params["categorical_features"].split(",")
    assert sorted(features) == sorted(LOAN_FEATURES)
    info = mlflow.models.get_model_info("models:/churn/1")
    assert info.signature is not None
    assert sorted(info.signature.inputs.input_names()) == sorted(LOAN_FEATURES)
    profile = loads(mlflow.artifacts.load_text(f"runs:/{run_id}/{PROFILE_ARTIFACT_PATH}"))
    assert sorted(profile.feature_names) == sorted(LOAN_FEATURES)
    assert (profile.roles.id_columns, profile.roles.time_column) == (("loan_id",), "applied_at")
    # The holdout is the newest quarter of the loans.
    assert int(params["holdout_rows"]) == 300

    code, out, _ = run(
        capsys, "train", "--data", str(csv), "--target", "defaulted",
        "--id-column", "loan_id", "--time-column", "applied_at", "--strict",
    )  # fmt: skip
    assert code == EXIT_OK
    assert "column loan_id: identifier, not a model feature (given)" in out
    profile = loads(mlflow.artifacts.load_text(f"runs:/{_run_of('2')[1]}/{PROFILE_ARTIFACT_PATH}"))
    assert [d.source for d in profile.roles.decisions] == ["given", "given"]


def test_strict_refuses_naming_both_columns_and_trains_nothing(
    home: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv = tmp_path / "loans.csv"
    loans(300).to_csv(csv, index=False)
    code, _, err = run(capsys, "train", "--data", str(csv), "--target", "defaulted", "--strict")
    assert code == EXIT_BAD_INPUT
    assert "loan_id: looks like identifier" in err
    assert "applied_at: looks like time column" in err
    assert "--id-column loan_id --time-column applied_at" in err
    assert not (home / "mlflow.db").exists()
    code, _, err = run(capsys, "train", "--id-column", "loan_id")
    assert code == EXIT_BAD_INPUT and "need --data" in err


def test_the_holdout_is_the_newest_rows() -> None:
    table = loans(400).sample(frac=1.0, random_state=3)  # the file is not in time order
    data = from_frame(table, "defaulted", source="t", roles=RoleFlags())
    assert data.time is not None
    x_train, x_hold, _, _ = split(data.frame, data.target, share=0.25, seed=0,
                                  task="classification", time=data.time)  # fmt: skip
    assert len(x_hold) == 100
    assert data.time.loc[x_train.index].max() <= data.time.loc[x_hold.index].min()


def test_boolean_features_and_target_from_parquet(
    home: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = _train(capsys, tmp_path / "payments.parquet", payments(800), "fraud")
    assert "column payment_id: identifier" in out
    params, _ = _run_of("1")
    assert params["boolean_features"] == "is_weekend"
    info = mlflow.models.get_model_info("models:/churn/1")
    assert info.signature is not None
    types = {c["name"]: c["type"] for c in info.signature.inputs.to_dict()}
    assert types == {"amount": "double", "is_weekend": "boolean", "hour": "double"}
    model = mlflow.sklearn.load_model("models:/churn/1")
    assert model.classes_.tolist() == [False, True]


def test_nullable_booleans_are_numeric_zero_one_with_missing() -> None:
    table = pd.DataFrame(
        {"flag": pd.array([True, None, False] * 20, dtype="boolean"), "y": [0, 1] * 30}
    )
    data = from_frame(table, "y", source="t")
    assert data.boolean == ("flag",) and data.numeric == ("flag",)
    assert data.frame["flag"].head(3).tolist()[::2] == [1.0, 0.0]
    assert pd.isna(data.frame["flag"].iloc[1])
