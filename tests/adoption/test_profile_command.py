"""`driftline profile` as a user types it, in-process through the real parser, against a
real MLflow store holding models logged with plain MLflow (scikit-learn and pyfunc)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.models import infer_signature
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from threadpoolctl import threadpool_limits

from cli.main import main
from driftline import version_facts
from driftline.cli_errors import EXIT_BAD_INPUT, EXIT_OK
from driftline.config import Settings
from driftline.loaded_model import load_registered
from driftline.mlflow_setup import connect
from driftline.registry_contract import ADOPTED_TAG, CHAMPION_ALIAS, PROFILE_ARTIFACT_PATH
from exporter.profiles import MlflowProfileSource
from reference.profile import NumericReference, build_numeric, loads
from retraining.run import RetrainRequest, retrain
from serving.served_facts import served_facts
from tests.adoption.byo import CATEGORICAL, NAME, NUMERIC, ByoStore
from tests.serving import pyfunc_models as pm
from training import house_prices
from training.synthetic import TARGET
from training.version_artifacts import read_training_table


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with threadpool_limits(1):
        code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _adopted(byo: ByoStore, name: str, version: str) -> str | None:
    tags = connect(byo.settings).get_model_version(name, version).tags
    return tags.get(ADOPTED_TAG)


def _artifacts(byo: ByoStore, run_id: str) -> list[str]:
    client = connect(byo.settings)
    return sorted(f.path for d in ("reference", "data") for f in client.list_artifacts(run_id, d))


def test_a_team_pipeline_is_adopted_from_its_signature(
    byo_env: ByoStore, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(byo_env.data)
    argv = ("profile", "--name", NAME, "--version", "1", "--data", data, "--target", TARGET)
    code, out, err = run(capsys, *argv, "--replace")
    assert code == EXIT_OK, err
    lines = out.splitlines()
    assert lines[0] == "task: classification (the model is a scikit-learn classifier)"
    assert lines[1].startswith("feature columns from the model's signature: 6 numeric (")
    assert "column customer_id: identifier, not a model feature (detected: " in out
    assert "column region: not an input of the model's signature, left out" in out
    assert "estimation: calibrator (" in out
    assert lines[-1].startswith(f"adopted {NAME} version 1 (classification, sklearn.pipeline")

    client = connect(byo_env.settings)
    facts = version_facts.require(client, NAME, "1")
    mv = client.get_model_version(NAME, "1")
    assert (facts.origin, facts.columns_from, facts.run_id) == ("adopted", "signature", mv.run_id)
    assert (facts.task, facts.target, facts.estimator) == (
        "classification", TARGET, "sklearn.pipeline.Pipeline",
    )  # fmt: skip
    assert (facts.numeric, facts.categorical) == (NUMERIC, CATEGORICAL)
    assert facts.context_columns == ("customer_id",)
    profile = loads(mlflow.artifacts.load_text(f"runs:/{facts.run_id}/{PROFILE_ARTIFACT_PATH}"))
    assert profile.feature_names == (*NUMERIC, *CATEGORICAL)
    assert (profile.rows, profile.classes) == (2000, ("0", "1"))
    assert profile.calibration is not None
    # The profile is the file's column as training would profile it.
    column = pd.read_csv(byo_env.data)[NUMERIC[0]]
    assert profile.feature(NUMERIC[0]) == build_numeric(NUMERIC[0], column)
    table = read_training_table(client, facts.run_id)
    assert list(table.columns) == [*NUMERIC, *CATEGORICAL, TARGET] and len(table) == 2000

    record = _adopted(byo_env, NAME, "1")
    code, _, err = run(capsys, *argv)
    assert code == EXIT_BAD_INPUT
    assert "has a reference profile already" in err and "pass --replace" in err
    assert _adopted(byo_env, NAME, "1") == record


def _without(path: Path, *columns: str) -> Callable[[ByoStore, Path], list[str]]:
    def argv(byo: ByoStore, tmp: Path) -> list[str]:
        pd.read_csv(byo.data).drop(columns=list(columns)).to_csv(tmp / "less.csv", index=False)
        return ["--version", "1", "--data", str(tmp / "less.csv"), "--target", TARGET]

    return argv


def _blank(column: str) -> Callable[[ByoStore, Path], list[str]]:
    def argv(byo: ByoStore, tmp: Path) -> list[str]:
        frame = pd.read_csv(byo.data).assign(**{column: np.nan})
        frame.to_csv(tmp / "blank.csv", index=False)
        return ["--version", "1", "--data", str(tmp / "blank.csv"), "--target", TARGET]

    return argv


REFUSALS: dict[str, tuple[Callable[[ByoStore, Path], list[str]], str]] = {
    "unknown version": (
        lambda byo, tmp: ["--version", "9", "--data", str(byo.data), "--target", TARGET],
        f"model '{NAME}' has no version '9'",
    ),
    "columns the signature needs": (
        _without(Path(), NUMERIC[0], CATEGORICAL[0]),
        f"lacks columns the model's signature needs: {NUMERIC[0]}, {CATEGORICAL[0]}",
    ),
    "unknown target": (
        lambda byo, tmp: ["--version", "1", "--data", str(byo.data), "--target", "nope"],
        "target column 'nope' not found",
    ),
    "no target and many candidates": (
        lambda byo, tmp: ["--version", "1", "--data", str(byo.data)],
        "the target is missing: name it with --target (columns outside the model's signature: "
        "customer_id, ",
    ),
    "the model's own error": (
        _blank(NUMERIC[0]),
        "cannot predict on",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refusal_names_what_is_wrong_and_writes_nothing(
    case: str, byo_env: ByoStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, message = REFUSALS[case]
    run_id = str(connect(byo_env.settings).get_model_version(NAME, "1").run_id)
    before = (_adopted(byo_env, NAME, "1"), _artifacts(byo_env, run_id))
    # --replace: the refusal is the data's, not the existing profile's.
    code, _, err = run(capsys, "profile", "--name", NAME, *argv(byo_env, tmp_path), "--replace")
    assert code == EXIT_BAD_INPUT, err
    assert message in err
    assert "Traceback" not in err
    assert (_adopted(byo_env, NAME, "1"), _artifacts(byo_env, run_id)) == before
    if case == "the model's own error":  # scikit-learn's words, not ours
        assert "Input X contains NaN" in err


def test_a_version_registered_without_a_run_gets_one_and_the_exporter_finds_its_profile(
    byo_env: ByoStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = connect(byo_env.settings)
    # Registered from a folder, as a model made elsewhere would be: no run.
    folder = mlflow.artifacts.download_artifacts(f"models:/{NAME}/1", dst_path=str(tmp_path))
    registered = client.create_model_version(NAME, folder, run_id=None)
    assert not registered.run_id
    version = str(registered.version)
    code, out, err = run(capsys, "profile", "--name", NAME, "--version", version,
                         "--data", str(byo_env.data), "--target", TARGET)  # fmt: skip
    assert code == EXIT_OK, err
    facts = version_facts.require(client, NAME, version)
    assert facts.run_id and f"version {version} has no run: made run {facts.run_id}" in out
    code, out, err = run(capsys, "profile", "--name", NAME, "--version", version, "--replace",
                         "--data", str(byo_env.data), "--target", TARGET)  # fmt: skip
    assert code == EXIT_OK and "has no run" not in out, err  # the run made the first time
    assert version_facts.require(client, NAME, version).run_id == facts.run_id
    uri = byo_env.settings.tracking_uri
    prepared = MlflowProfileSource(uri, uri).fetch(NAME, version)
    assert prepared.run_id == facts.run_id
    assert prepared.profile.feature_names == (*NUMERIC, *CATEGORICAL)
    # Serving reads the same facts: the made run's record, not the run its files name.
    uri = byo_env.settings.tracking_uri
    served = served_facts(client, load_registered(uri, uri, NAME, version))
    assert served.task == "classification"
    assert served.schema.names == (*NUMERIC, *CATEGORICAL)
    assert served.schema.context == ("customer_id",)


def _customers_with_outcome(n: int, seed: int) -> pd.DataFrame:
    frame = pm.customers(n, seed)
    leaves = np.random.default_rng(seed).random(n) < pm.leave_probability(frame)
    return frame.assign(outcome=np.where(leaves, "leaves", "stays"))


def test_a_pyfunc_model_is_adopted_with_its_target_found_beside_its_signature(
    byo_env: ByoStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = pm.PyfuncStore(Path(byo_env.env["DRIFTLINE_HOME"]), byo_env.env,
                           byo_env.settings.tracking_uri)  # fmt: skip
    version = pm.log_pyfunc(store, "scorer", pm.LogisticScorer(), pm.PROBABILITY_OUTPUTS)
    data = tmp_path / "customers.parquet"
    _customers_with_outcome(800, seed=3).to_parquet(data)
    code, out, err = run(capsys, "profile", "--name", "scorer", "--version", version,
                         "--data", str(data))  # fmt: skip
    assert code == EXIT_OK, err
    assert "target: outcome (the one column outside the model's signature)" in out
    assert "task: classification (the model gives class probabilities)" in out
    facts = version_facts.require(connect(byo_env.settings), "scorer", version)
    assert (facts.estimator, facts.numeric, facts.categorical) == (
        "mlflow.pyfunc", ("age", "income"), ("plan",),
    )  # fmt: skip
    profile = loads(mlflow.artifacts.load_text(f"runs:/{facts.run_id}/{PROFILE_ARTIFACT_PATH}"))
    assert profile.classes == pm.CLASSES and profile.calibration is not None
    assert isinstance(profile.feature("age"), NumericReference)


def test_without_a_signature_the_features_come_from_the_data_and_the_target_must_be_named(
    byo_env: ByoStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = pm.PyfuncStore(Path(byo_env.env["DRIFTLINE_HOME"]), byo_env.env,
                           byo_env.settings.tracking_uri)  # fmt: skip
    version = pm.log_pyfunc(store, "labels", pm.LabelClassifier(), None, with_signature=False)
    data = tmp_path / "customers.csv"
    _customers_with_outcome(600, seed=4).to_csv(data, index=False)
    argv = ("profile", "--name", "labels", "--version", version, "--data", str(data))
    code, _, err = run(capsys, *argv)
    assert code == EXIT_BAD_INPUT and "has no signature" in err and "--target" in err
    code, out, err = run(capsys, *argv, "--target", "outcome")
    assert code == EXIT_OK, err
    assert "feature columns from the data (the model has no signature): 2 numeric" in out
    assert "estimation: none: the model gives no probabilities" in out
    facts = version_facts.require(connect(byo_env.settings), "labels", version)
    assert (facts.columns_from, facts.task) == ("data", "classification")


def test_retraining_a_version_driftline_knows_nothing_of_says_how_to_adopt_it(
    byo_env: ByoStore,
) -> None:
    client = connect(byo_env.settings)
    client.create_registered_model("stranger")
    source = str(client.get_model_version(NAME, "1").source)
    client.create_model_version("stranger", source, run_id=None)
    client.set_registered_model_alias("stranger", CHAMPION_ALIAS, "1")
    settings = Settings.from_env({**byo_env.env, "DRIFTLINE_MODEL_NAME": "stranger"})
    outcome = retrain(settings, RetrainRequest(job_id="1"))
    assert outcome["status"] == "failed"
    assert "was not trained by driftline and has not been adopted" in outcome["message"]
    assert "driftline profile --name stranger --version 1 " in outcome["message"]


def test_a_team_regressor_is_adopted_with_its_holdout_errors_and_error_estimator(
    byo_env: ByoStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = house_prices.generate(800, seed=5)
    x = frame.drop(columns=[house_prices.TARGET])
    model = make_pipeline(
        make_column_transformer(
            (SimpleImputer(), list(house_prices.NUMERIC_FEATURES)),
            (OneHotEncoder(handle_unknown="ignore"), list(house_prices.CATEGORICAL_FEATURES)),
        ),
        Ridge(alpha=2.0),
    ).fit(x, frame[house_prices.TARGET])
    connect(byo_env.settings)  # MLflow's process-wide URIs: this store
    with mlflow.start_run():
        mlflow.sklearn.log_model(model, name="model", registered_model_name="prices",
                                 signature=infer_signature(x, model.predict(x.head(3))),
                                 skops_trusted_types=["numpy.dtype"],  # MLflow asks for it
                                 pip_requirements=["scikit-learn"])  # fmt: skip
    data = tmp_path / "houses.csv"
    frame.to_csv(data, index=False)
    code, out, err = run(capsys, "profile", "--name", "prices", "--version", "1",
                         "--data", str(data))  # fmt: skip
    assert code == EXIT_OK, err
    assert "task: regression (the model is a scikit-learn regressor)" in out
    assert "estimation: error-estimator" in out
    facts = version_facts.require(connect(byo_env.settings), "prices", "1")
    profile = loads(mlflow.artifacts.load_text(f"runs:/{facts.run_id}/{PROFILE_ARTIFACT_PATH}"))
    assert profile.task == "regression" and profile.error_estimation is not None
    assert profile.holdout_errors is not None and profile.holdout_errors["mae"] > 0
    client = connect(byo_env.settings)
    files = {f.path for f in client.list_artifacts(facts.run_id, "estimation")}
    assert profile.error_estimation.artifact in files
