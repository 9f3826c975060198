"""`driftline train` and `driftline bootstrap` as a user types them: tasks, names, estimators.

Run in-process through the real `driftline` parser against a real MLflow store in a
temporary home; a refused command leaves that home empty.
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from cli.main import build_parser, main
from driftline import registry
from driftline.cli_errors import EXIT_BAD_INPUT, EXIT_OK
from driftline.config import Settings
from driftline.mlflow_setup import connect
from driftline.registry_contract import CHALLENGER_ALIAS, PROFILE_ARTIFACT_PATH
from driftline.tasks import TASK_PARAM
from reference.profile import loads
from tests.support.model_store import environment_for
from training import house_prices
from training.task_choice import MAX_INFERRED_CLASSES


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    # One thread: OpenMP's spinning threads made gbm many times slower on a loaded runner.
    with threadpool_limits(1):
        code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _write(path: Path, frame: pd.DataFrame) -> str:
    frame.to_csv(path, index=False)
    return str(path)


def test_a_users_house_prices_train_as_regression_under_their_own_name(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _write(tmp_path / "houses.csv", house_prices.generate(1200, seed=4))
    argv = ("train", "--data", data, "--target", "price", "--name", "houses", "--promote")
    code, out, err = run(capsys, *argv)
    assert code == EXIT_OK, err
    distinct = pd.read_csv(data)["price"].nunique()
    lines = out.splitlines()
    assert lines[0] == f"task: regression (inferred: {distinct:,} distinct integer values)"
    assert lines[1].startswith("trained houses version 1 (regression, ridge) (run ")
    for figure in ("mae=", "rmse=", "r2=", "mean_error="):
        assert figure in lines[1]
    assert lines[2] == "champion: none -> 1"
    settings = Settings.from_env({**environment_for(home), "DRIFTLINE_MODEL_NAME": "houses"})
    client = connect(settings)
    assert registry.champion_version(client, "houses") == "1"
    [version] = client.search_model_versions("name='houses'")
    run_id = str(version.run_id)
    assert client.get_run(run_id).data.params[TASK_PARAM] == "regression"
    profile = loads(mlflow.artifacts.load_text(f"runs:/{run_id}/{PROFILE_ARTIFACT_PATH}"))
    assert profile.task == "regression"


def _refused(capsys: pytest.CaptureFixture[str], home: Path, *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == EXIT_BAD_INPUT, (out, err)
    assert not home.exists(), "a refused command wrote to the driftline home"
    assert "Traceback" not in err
    return err


def test_every_refusal_exits_2_with_a_message_and_writes_nothing(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    houses = _write(tmp_path / "houses.csv", house_prices.generate(300, seed=1))
    one_value = _write(tmp_path / "one.csv", pd.DataFrame({"x": range(20), "y": [3.5] * 20}))
    tiers = _write(
        tmp_path / "tiers.csv",
        pd.DataFrame({"x": range(30), "tier": ["low", "medium", "high"] * 10}),
    )
    cases = [
        (
            ("train", "--data", houses, "--target", "price", "--task", "classification"),
            "target column 'price' has",
            "too many classes for classification (at most 50) (a quantity? use --task regression)",
        ),
        (
            ("train", "--data", one_value, "--target", "y"),
            "target column 'y' has only one value (3.5) in 20 rows",
            "nothing to learn",
        ),
        (
            ("train", "--data", one_value, "--target", "y", "--task", "classification"),
            "has only one class (3.5)",
            "",
        ),
        (
            ("train", "--data", tiers, "--target", "tier", "--task", "regression"),
            "target column 'tier' has non-numeric values ('low', ...)",
            "regression needs numbers",
        ),
        (
            # Refused before the data is read: the file does not even exist.
            (
                *("train", "--data", "nowhere.csv", "--target", "y"),
                *("--task", "regression", "--estimator", "logreg"),
            ),
            "--estimator: estimator 'logreg' is not one for regression",
            "(choose from ridge, gbm, forest)",
        ),
        (
            ("train", "--rows", "300", "--estimator", "ridge"),
            "estimator 'ridge' is not one for classification",
            "(choose from logreg, gbm, forest)",
        ),
        (
            ("train", "--synthetic", "houses", "--rows", "300", "--model", "logreg"),
            "estimator 'logreg' is not one for regression",
            "",
        ),
        (("train", "--data", houses, "--synthetic", "houses"), "exclude each other", ""),
        (("train", "--promote", "--challenger"), "exclude each other", ""),
    ]
    for argv, message, more in cases:
        err = _refused(capsys, home, *argv)
        assert message in err and more in err, (argv, err)


def test_argparse_refuses_unknown_words(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["train", "--task", "ranking"],
        ["train", "--estimator", "svm"],
        ["train", "--model", "svm"],
        ["train", "--synthetic", "fish"],
        ["train", "--name", " "],
        ["train", "--estimator", "gbm", "--model", "gbm"],
    ):
        with pytest.raises(SystemExit) as exited:
            build_parser().parse_args(argv)
        assert exited.value.code == EXIT_BAD_INPUT
    capsys.readouterr()
    assert not home.exists()


def test_the_old_model_spelling_is_the_estimator_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = build_parser().parse_args(["train", "--model", "forest"])
    assert args.estimator == "forest"
    assert capsys.readouterr().err == "driftline train: --model is deprecated, use --estimator\n"
    new = build_parser().parse_args(["train", "--estimator", "ridge", "--name", "houses"])
    assert (new.estimator, new.name, new.task) == ("ridge", "houses", None)
    assert capsys.readouterr().err == ""


def test_the_help_states_the_inference_rule_and_each_tasks_estimators(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    words = " ".join(capsys.readouterr().out.split())
    assert f"more than {MAX_INFERRED_CLASSES} distinct values is regression" in words
    assert "classification: logreg, gbm, forest; regression: ridge, gbm, forest" in words
    assert "--name NAME registered model name" in words


def test_bootstrap_a_house_price_champion_and_challenger(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("bootstrap", "--name", "houses", "--synthetic", "houses", "--rows", "800")
    code, out, err = run(capsys, *argv, "--wait", "5")
    assert code == EXIT_OK, err
    lines = out.splitlines()
    assert lines[0].startswith("champion: trained houses v1 mae=")
    assert lines[1].startswith("challenger: trained houses v2 (gbm) mae=")
    settings = Settings.from_env({**environment_for(home), "DRIFTLINE_MODEL_NAME": "houses"})
    client = connect(settings)
    assert registry.champion_version(client, "houses") == "1"
    assert registry.alias_version(client, "houses", CHALLENGER_ALIAS) == "2"
    again = run(capsys, *argv)
    assert again[0] == EXIT_OK
    assert again[1].splitlines() == [
        "champion: houses v1 already registered",
        "challenger: houses v2 already registered",
    ]
