"""A regression version end to end in a real MLflow store: fit, metrics, profile, registry.

The holdout is rebuilt here from the same split and every figure recomputed with
scikit-learn directly, so the run's metrics are held to scikit-learn, not to
training/regression_metrics.py.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn.base import is_regressor
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from driftline import registry
from driftline.config import Settings
from driftline.mlflow_setup import connect
from driftline.registry_contract import PROFILE_ARTIFACT_PATH
from driftline.tasks import TASK_PARAM
from reference import error_estimator
from reference.error_estimator import ERROR_ESTIMATOR_ARTIFACT_PATH
from reference.profile import (
    FORMAT_VERSION,
    HOLDOUT_ERROR_KEYS,
    build_numeric,
    loads,
)
from tests.support.model_store import TrainedStore, environment_for
from training import house_prices, pipeline
from training.dataset import Dataset, load
from training.estimators import REGRESSORS
from training.regression_metrics import regression_errors
from training.train import HOLDOUT_SHARE, TrainOptions, TrainResult, fit_and_log
from training.version_artifacts import TRAINING_DATA_ARTIFACT

ROWS = 1600


def _settings(home: Path, name: str = "houses") -> Settings:
    return Settings.from_env({**environment_for(home), "DRIFTLINE_MODEL_NAME": name})


class Trained(NamedTuple):
    settings: Settings
    data: Dataset
    result: TrainResult


@pytest.fixture(scope="module")
def houses(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    settings = _settings(tmp_path_factory.mktemp("houses-store"))
    data = load(None, None, rows=ROWS, seed=3, synthetic_set="houses")
    result, _ = fit_and_log(settings, data, TrainOptions(seed=3, promote=True))
    return Trained(settings, data, result)


def _holdout(data: Dataset, seed: int) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """The holdout rows and the training targets, split as training splits a regression set."""
    _, x_hold, y_train, y_hold = train_test_split(
        data.frame, data.target.astype("float64"), test_size=HOLDOUT_SHARE, random_state=seed
    )
    return x_hold, y_hold, y_train


def test_the_runs_metrics_are_scikit_learns_on_the_holdout(houses: Trained) -> None:
    settings, data, result = houses
    run = connect(settings).get_run(result.run_id)
    x_hold, y_hold, _ = _holdout(data, seed=3)
    model = mlflow.sklearn.load_model(f"models:/houses/{result.version}")
    pred = model.predict(x_hold)
    expected = {
        "mae": mean_absolute_error(y_hold, pred),
        "rmse": math.sqrt(mean_squared_error(y_hold, pred)),
        "r2": r2_score(y_hold, pred),
        "mean_error": float(np.mean(pred - y_hold.to_numpy())),
    }
    for name, value in expected.items():
        assert run.data.metrics[name] == pytest.approx(value, rel=1e-12, abs=1e-9), name
    assert "accuracy" not in run.data.metrics
    assert 0.8 < run.data.metrics["r2"] < 1.0  # ridge on the known price rule
    assert run.data.params[TASK_PARAM] == "regression"
    assert run.data.params["model_kind"] == "ridge"
    assert run.data.params["holdout_rows"] == str(len(x_hold)) == str(ROWS // 4)
    assert (result.task, result.model_kind, result.promoted) == ("regression", "ridge", True)


def test_the_profile_is_current_with_the_runs_errors_and_error_estimator(
    houses: Trained,
) -> None:
    settings, data, result = houses
    run = connect(settings).get_run(result.run_id)
    text = mlflow.artifacts.load_text(f"runs:/{result.run_id}/{PROFILE_ARTIFACT_PATH}")
    profile = loads(text)
    assert (profile.format_version, profile.task) == (FORMAT_VERSION, "regression")
    assert profile.model_name == "houses"
    assert profile.target == "price"
    assert profile.classes == ()
    assert profile.prediction_class_fractions == {}
    assert profile.holdout_errors == {k: run.data.metrics[k] for k in HOLDOUT_ERROR_KEYS}
    x_hold, _, y_train = _holdout(data, seed=3)
    model = mlflow.sklearn.load_model(f"models:/houses/{result.version}")
    assert profile.predicted_values == build_numeric(
        "prediction", pd.Series(model.predict(x_hold)), seed=3
    )
    assert profile.target_values == build_numeric("price", y_train, seed=3)
    assert profile.prediction_rows == len(x_hold)
    assert profile.rows == len(y_train)
    assert profile.feature_names == (
        *house_prices.NUMERIC_FEATURES,
        *house_prices.CATEGORICAL_FEATURES,
    )
    # The error estimator is stored with the run, fitted on the holdout, and loads with
    # the types it is made of.
    assert profile.calibration is None
    info = profile.error_estimation
    assert info is not None
    assert (info.artifact, info.rows) == (ERROR_ESTIMATOR_ARTIFACT_PATH, len(x_hold))
    assert 0 <= info.absolute_bias < 0.2 and 0 <= info.squared_bias < 0.4
    assert run.data.params["estimation"] == "error-estimator"
    local = mlflow.artifacts.download_artifacts(
        f"runs:/{result.run_id}/{ERROR_ESTIMATOR_ARTIFACT_PATH}"
    )
    estimator = error_estimator.loads(Path(local).read_bytes())
    absolute, squared = estimator.expected_errors(x_hold, model.predict(x_hold))
    assert absolute.shape == squared.shape == (len(x_hold),)
    assert (absolute >= 0).all() and (squared >= absolute**2).all()


def test_the_registered_version_answers_numbers(houses: Trained) -> None:
    settings, data, result = houses
    client = connect(settings)
    assert registry.champion_version(client, "houses") == result.version
    info = mlflow.models.get_model_info(f"models:/houses/{result.version}")
    assert info.signature is not None
    [output] = info.signature.outputs.inputs
    assert output.type == np.dtype("float64")
    assert [c.name for c in info.signature.inputs.inputs] == list(data.frame.columns)
    pyfunc = mlflow.pyfunc.load_model(f"models:/houses/{result.version}")
    answered = np.asarray(pyfunc.predict(data.frame.head(5)))
    assert answered.shape == (5,)
    assert np.isfinite(answered).all()
    files = {a.path for a in client.list_artifacts(result.run_id, "data")}
    assert TRAINING_DATA_ARTIFACT in files


@pytest.mark.parametrize("kind", REGRESSORS)
def test_every_regression_estimator_fits_the_price_rule(kind: str) -> None:
    train = house_prices.generate(3000, seed=5)
    test = house_prices.generate(1000, seed=6)
    model = pipeline.build(
        kind, house_prices.NUMERIC_FEATURES, house_prices.CATEGORICAL_FEATURES, 5, "regression"
    )
    # One thread: OpenMP's spinning threads on a loaded two-core runner made gbm 15x slower.
    with threadpool_limits(1):
        model.fit(train.drop(columns=["price"]), train["price"])
    assert [name for name, _ in model.steps] == ["preprocess", "regressor"]
    assert is_regressor(model)
    assert r2_score(test["price"], model.predict(test.drop(columns=["price"]))) > 0.8


def test_a_classifier_estimator_is_refused_for_regression_before_anything_is_logged(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    data = load(None, None, rows=300, seed=0, synthetic_set="houses")
    with pytest.raises(ValueError, match="estimator 'logreg' is not one for regression"):
        fit_and_log(settings, data, TrainOptions(model_kind="logreg"))
    assert not (tmp_path / "mlflow.db").exists()


def test_retraining_style_recent_figures_for_a_regression_model(tmp_path: Path) -> None:
    # Retraining passes a recent holdout; it is judged with the same figures.
    settings = _settings(tmp_path)
    data = load(None, None, rows=1200, seed=8, synthetic_set="houses")
    recent = house_prices.generate(400, seed=9, scenario="inflation", t=1.0)
    recent_x = recent.drop(columns=[house_prices.TARGET])
    recent_y = recent[house_prices.TARGET]
    result, model = fit_and_log(
        settings, data, TrainOptions(seed=8), evaluate_on=(recent_x, recent_y)
    )
    expected = regression_errors(recent_y.to_numpy(), model.predict(recent_x))
    for name in HOLDOUT_ERROR_KEYS:
        assert result.metrics[f"recent_{name}"] == expected[name]
    # Trained before the rise, the model under-predicts the inflated prices.
    assert result.metrics["recent_mean_error"] < -0.1 * recent_y.mean()
    assert result.metrics["recent_mae"] > 2 * result.metrics["mae"]
    # Its live error is judged against the recent figures, the traffic it is retrained for,
    # not its own holdout's.
    profile = loads(mlflow.artifacts.load_text(f"runs:/{result.run_id}/{PROFILE_ARTIFACT_PATH}"))
    assert profile.holdout_errors == {k: result.metrics[f"recent_{k}"] for k in HOLDOUT_ERROR_KEYS}


def test_regression_errors_match_scikit_learn_and_name_the_bias() -> None:
    truth = np.array([100.0, 200.0, 300.0, 400.0])
    pred = np.array([110.0, 190.0, 330.0, 420.0])
    got = regression_errors(truth, pred)
    assert list(got) == list(HOLDOUT_ERROR_KEYS)
    assert got["mae"] == mean_absolute_error(truth, pred) == 17.5
    assert got["rmse"] == pytest.approx(math.sqrt(mean_squared_error(truth, pred)), rel=1e-15)
    assert got["r2"] == r2_score(truth, pred)
    assert got["mean_error"] == 12.5  # over-predicting is positive
    with pytest.raises(ValueError, match="equal, non-empty"):
        regression_errors(truth, pred[:3])


def test_a_classifier_run_records_its_task_and_a_current_profile_with_its_calibrator(
    trained_store: TrainedStore,
) -> None:
    result = trained_store.champion
    run = connect(trained_store.settings).get_run(result.run_id)
    assert run.data.params[TASK_PARAM] == "classification"
    assert result.task == "classification"
    profile = loads(mlflow.artifacts.load_text(f"runs:/{result.run_id}/{PROFILE_ARTIFACT_PATH}"))
    assert (profile.format_version, profile.task) == (FORMAT_VERSION, "classification")
    assert profile.predicted_values is None
    assert profile.holdout_errors is None
    # Its calibrator's measured error is in the profile and the run alike.
    calibrator = profile.calibration
    assert calibrator is not None and calibrator.method in ("isotonic", "sigmoid")
    assert run.data.metrics["calibration_ece"] == calibrator.ece
    assert run.data.metrics["uncalibrated_ece"] == calibrator.uncalibrated_ece
    assert run.data.params["estimation"] == f"calibrator ({calibrator.method})"
    assert profile.error_estimation is None
    info = mlflow.models.get_model_info(f"models:/churn/{result.version}")
    assert info.signature is not None
    assert info.signature.outputs.inputs[0].shape == (-1, 2)  # the probabilities
