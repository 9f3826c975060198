"""`--name NAME`: the registered model name, one flag in every command (driftline/cli_options.py).

Parsed by the real `driftline` parser; the end-to-end tests run the command against a
real MLflow store whose model is not the default one.
"""

from __future__ import annotations

import argparse
import json

import pytest

from cli.main import build_parser
from driftline.cli_options import NAME_HELP, add_name_option, add_renamed_option, settings_for
from driftline.config import DEFAULT_MODEL_NAME, Settings
from tests.support.driftline_command import run_driftline
from tests.support.model_store import environment_for
from training.dataset import load
from training.train import TrainOptions, fit_and_log

# Every command that works on one registered model, with its other required arguments.
# `train` and `bootstrap` are training/cli.py's.
NAMED_COMMANDS: dict[str, list[str]] = {
    "promote": ["promote", "3"],
    "rollback": ["rollback"],
    "versions": ["versions"],
    "serve": ["serve"],
    "exporter once": ["exporter", "once"],
    "retrain": ["retrain"],
}
# Where `--model` meant the registered name before `--name`: kept for one release.
OLD_SPELLING = ("exporter once", "retrain")


def parse(command: str, *argv: str) -> argparse.Namespace:
    return build_parser().parse_args([*NAMED_COMMANDS[command], *argv])


@pytest.mark.parametrize("command", NAMED_COMMANDS)
def test_name_picks_the_registered_model(command: str) -> None:
    args = parse(command, "--name", "houses")
    env = {"DRIFTLINE_HOME": "/nowhere", "DRIFTLINE_MODEL_NAME": "churn"}
    assert settings_for(args, env).model_name == "houses"


@pytest.mark.parametrize("command", NAMED_COMMANDS)
def test_without_name_the_environment_decides_when_the_command_runs(command: str) -> None:
    args = parse(command)
    assert args.name is None
    named = {"DRIFTLINE_HOME": "/nowhere", "DRIFTLINE_MODEL_NAME": "houses"}
    assert settings_for(args, named).model_name == "houses"
    assert settings_for(args, {"DRIFTLINE_HOME": "/nowhere"}).model_name == DEFAULT_MODEL_NAME


@pytest.mark.parametrize("command", NAMED_COMMANDS)
def test_the_flag_reads_the_same_in_every_help(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse(command, "--help")
    words = " ".join(capsys.readouterr().out.split())  # argparse wraps to the terminal width
    assert f"--name NAME {NAME_HELP}" in words


@pytest.mark.parametrize("command", NAMED_COMMANDS)
def test_a_blank_name_is_refused(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse(command, "--name", " ")
    assert exited.value.code == 2
    assert "a model name cannot be empty" in capsys.readouterr().err


@pytest.mark.parametrize("command", OLD_SPELLING)
def test_the_old_model_spelling_still_names_the_model_and_warns(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert parse(command, "--model", "houses").name == "houses"
    captured = capsys.readouterr()
    assert captured.err == f"driftline {command}: --model is deprecated, use --name\n"
    assert captured.out == ""

    assert parse(command, "--name", "houses").name == "houses"
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("command", OLD_SPELLING)
def test_both_spellings_at_once_are_refused(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse(command, "--name", "houses", "--model", "churn")
    assert exited.value.code == 2
    assert "--model: not allowed with argument --name" in capsys.readouterr().err


def test_retrain_names_the_algorithm_estimator(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse("retrain", "--estimator", "gbm").estimator == "gbm"
    assert parse("retrain").estimator is None  # the champion's
    assert parse("retrain", "--model-kind", "forest").estimator == "forest"
    assert capsys.readouterr().err == (
        "driftline retrain: --model-kind is deprecated, use --estimator\n"
    )


def test_a_renamed_option_keeps_type_choices_and_default_in_its_old_spelling(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = argparse.ArgumentParser(prog="driftline try")
    kinds = ("logreg", "gbm")
    add_renamed_option(parser, "--estimator", "--model", choices=kinds, default="logreg")
    add_renamed_option(parser, "--rows", "--n", type=int, default=10)
    assert vars(parser.parse_args([])) == {"estimator": "logreg", "rows": 10}
    old = parser.parse_args(["--model", "gbm", "--n", "5"])
    assert vars(old) == {"estimator": "gbm", "rows": 5}
    assert capsys.readouterr().err.splitlines() == [
        "driftline try: --model is deprecated, use --estimator",
        "driftline try: --n is deprecated, use --rows",
    ]
    for refused in (["--model", "svm"], ["--n", "many"]):
        with pytest.raises(SystemExit):
            parser.parse_args(refused)


def test_a_required_renamed_option_is_satisfied_by_either_spelling() -> None:
    parser = argparse.ArgumentParser(prog="driftline try")
    add_renamed_option(parser, "--target", "--label", required=True)
    assert parser.parse_args(["--label", "y"]).target == "y"
    with pytest.raises(SystemExit):
        parser.parse_args([])


def test_add_name_option_without_an_old_spelling_adds_only_name() -> None:
    parser = argparse.ArgumentParser()
    add_name_option(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--model", "houses"])


# End to end: a registry whose only model is "houses", while the environment says "churn".


@pytest.fixture(scope="module")
def houses_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of a store with model "houses" (v1 champion, v2); DRIFTLINE_MODEL_NAME=churn."""
    env = environment_for(tmp_path_factory.mktemp("houses"))
    settings = Settings.from_env({**env, "DRIFTLINE_MODEL_NAME": "houses"})
    data = load(None, None, rows=600, seed=0)
    fit_and_log(settings, data, TrainOptions(promote=True))
    fit_and_log(settings, data, TrainOptions(seed=1))
    return env


@pytest.mark.slow
def test_registry_commands_work_on_the_named_model(houses_env: dict[str, str]) -> None:
    listed = run_driftline(houses_env, "versions", "--name", "houses", "--json")
    assert listed.returncode == 0, listed.stderr
    doc = json.loads(listed.stdout)
    assert (doc["model"], [v["version"] for v in doc["versions"]]) == ("houses", ["1", "2"])

    promoted = run_driftline(houses_env, "promote", "2", "--name", "houses")
    assert promoted.returncode == 0, promoted.stderr
    assert promoted.stdout == "champion of houses: 1 -> 2\n"
    rolled = run_driftline(houses_env, "rollback", "--name", "houses")
    assert rolled.returncode == 0, rolled.stderr
    assert rolled.stdout == "champion of houses: 2 -> 1\n"

    default = run_driftline(houses_env, "versions")
    assert default.returncode == 2
    assert "no registered model named 'churn'" in default.stderr
    from_env = run_driftline({**houses_env, "DRIFTLINE_MODEL_NAME": "houses"}, "versions", "--json")
    assert from_env.returncode == 0 and json.loads(from_env.stdout)["model"] == "houses"


@pytest.mark.slow
def test_exporter_once_old_spelling_changes_nothing_but_a_warning(
    houses_env: dict[str, str],
) -> None:
    new = run_driftline(houses_env, "exporter", "once", "--name", "houses")
    old = run_driftline(houses_env, "exporter", "once", "--model", "houses")
    assert new.returncode == old.returncode == 0, old.stderr
    assert new.stdout == old.stdout == "no predictions logged for model 'houses'\n"
    warning = "driftline exporter once: --model is deprecated, use --name"
    assert warning in old.stderr.splitlines() and warning not in new.stderr
