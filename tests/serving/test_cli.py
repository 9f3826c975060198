"""`driftline serve`: arguments become gunicorn's environment; a real start."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from serving.cli import CONFIG_FILE, gunicorn_command, register
from stack.processes import free_port
from tests.support.processes import running

REPO = Path(__file__).resolve().parents[2]


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["serve", *argv])


def test_arguments_become_the_gunicorn_environment() -> None:
    argv, env = gunicorn_command(parse("--host", "0.0.0.0", "--port", "9001", "--workers", "3",
                                       "--threads", "2", "--version", "4"))  # fmt: skip
    assert argv[-2:] == ["-c", str(CONFIG_FILE)]
    assert env["DRIFTLINE_SERVE_BIND"] == "0.0.0.0:9001"
    assert (env["DRIFTLINE_SERVE_WORKERS"], env["DRIFTLINE_SERVE_THREADS"]) == ("3", "2")
    assert env["DRIFTLINE_SERVE_VERSION"] == "4" and "DRIFTLINE_SERVE_ALIAS" not in env
    _, env = gunicorn_command(parse("--alias", "challenger"))
    assert env["DRIFTLINE_SERVE_ALIAS"] == "challenger" and "DRIFTLINE_SERVE_VERSION" not in env


def test_name_becomes_the_servers_model_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTLINE_MODEL_NAME", "churn")
    _, env = gunicorn_command(parse("--name", "houses"))
    assert env["DRIFTLINE_MODEL_NAME"] == "houses"
    _, env = gunicorn_command(parse())  # without --name the environment's name stands
    assert env["DRIFTLINE_MODEL_NAME"] == "churn"
    monkeypatch.delenv("DRIFTLINE_MODEL_NAME")
    _, env = gunicorn_command(parse())  # and without it the server's default
    assert "DRIFTLINE_MODEL_NAME" not in env


def test_version_and_alias_exclude_each_other() -> None:
    with pytest.raises(SystemExit):
        parse("--version", "1", "--alias", "champion")


@pytest.mark.parametrize("argv", [("--port", "70000"), ("--workers", "0"), ("--version", "v1")])
def test_bad_arguments_are_refused(argv: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        gunicorn_command(parse(*argv))


@pytest.mark.slow
def test_driftline_serve_starts_a_pinned_server(
    subprocess_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    env = {**subprocess_env, "DRIFTLINE_RUN_DIR": str(tmp_path / "run"),
           "DRIFTLINE_PREDICTION_DB": f"sqlite:///{tmp_path / 'p.db'}",
           "DRIFTLINE_MODEL_NAME": "not-registered"}  # fmt: skip
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    # --name, not the environment, names the model the workers load.
    argv = [sys.executable, "-m", "cli", "serve", "--name", "churn", "--port", str(port),
            "--workers", "1", "--version", "1"]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with running(argv, ready_url=f"{url}/ready", log=tmp_path / "serve.log", env=env, cwd=REPO):
        ready = requests.get(f"{url}/ready", timeout=10).json()
        assert (ready["version"], ready["follows"]) == ("1", "models:/churn/1")


def test_bad_version_exits_with_2() -> None:
    done = subprocess.run([sys.executable, "-m", "cli", "serve", "--version", "x"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)  # fmt: skip
    assert done.returncode == 2
    assert "--version 'x'" in done.stderr
