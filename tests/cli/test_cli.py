"""The `driftline` command as a user runs it: real subprocesses, a real MLflow store."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd

import cli.main
import training.cli
from tests.support.model_store import environment_for

REPO = Path(__file__).resolve().parents[2]


def driftline(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env={**os.environ, **environment_for(home)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_help_lists_every_subcommand(tmp_path: Path) -> None:
    out = driftline(tmp_path, "--help")
    assert out.returncode == 0
    for command in ("train", "promote", "rollback", "versions", "serve", "exporter", "retrain",
                    "bootstrap", "traffic", "demo"):  # fmt: skip
        assert command in out.stdout


def test_help_imports_neither_mlflow_nor_scikit_learn() -> None:
    """`driftline --help` answers at once: subcommands import the heavy libraries when they run."""
    code = (
        "import sys; from cli.main import build_parser; build_parser(); "
        "print(sorted(m for m in ('mlflow', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_the_console_script_is_the_cli_packages_main() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, attribute = scripts["driftline"].partition(":")
    assert getattr(importlib.import_module(module), attribute) is cli.main.main


def test_train_knows_the_pipelines_model_kinds() -> None:
    # training/cli.py keeps its own copy so `--help` need not import scikit-learn.
    from training.pipeline import MODEL_KINDS

    assert training.cli.MODEL_KINDS == MODEL_KINDS


def test_train_on_a_users_csv_then_promote_rollback_and_list(tmp_path: Path) -> None:
    data = tmp_path / "customers.csv"
    n = 400
    pd.DataFrame(
        {
            "age": [20 + i % 50 for i in range(n)],
            "plan": ["basic" if i % 3 else "pro" for i in range(n)],
            "spend": [float(i % 17) for i in range(n)],
            "left": [int((i % 50) < 20) for i in range(n)],
        }
    ).to_csv(data, index=False)
    home = tmp_path / "home"

    first = driftline(home, "train", "--data", str(data), "--target", "left", "--promote")
    assert first.returncode == 0, first.stderr
    assert "trained churn version 1" in first.stdout
    assert "champion: none -> 1" in first.stdout
    second = driftline(home, "train", "--data", str(data), "--target", "left", "--model", "gbm")
    assert second.returncode == 0, second.stderr

    promoted = driftline(home, "promote", "2")
    assert promoted.returncode == 0 and "1 -> 2" in promoted.stdout
    listed = json.loads(driftline(home, "versions", "--json").stdout)
    assert listed["model"] == "churn"
    assert [(v["version"], v["aliases"]) for v in listed["versions"]] == [
        ("1", []),
        ("2", ["champion"]),
    ]
    assert listed["versions"][0]["metrics"]["accuracy"] > 0.5

    rolled = driftline(home, "rollback")
    assert rolled.returncode == 0 and "2 -> 1" in rolled.stdout
    table = driftline(home, "versions")
    assert table.returncode == 0 and "champion" in table.stdout


def test_bad_input_exits_2_with_a_message(tmp_path: Path) -> None:
    home = tmp_path / "home"
    missing = driftline(home, "train", "--data", str(tmp_path / "nope.csv"), "--target", "y")
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr

    (tmp_path / "one.csv").write_text("x,y\n1,0\n2,0\n")
    one_class = driftline(home, "train", "--data", str(tmp_path / "one.csv"), "--target", "y")
    assert one_class.returncode == 2 and "only one class" in one_class.stderr

    no_registry = driftline(home, "versions")
    assert no_registry.returncode == 2
    assert "no registered model named 'churn'" in no_registry.stderr

    bad_flags = driftline(home, "train", "--promote", "--challenger")
    assert bad_flags.returncode == 2 and "exclude each other" in bad_flags.stderr
