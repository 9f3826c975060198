"""Fixtures of the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.model_store import environment_for


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty driftline home (MLflow store, prediction log) the process points at."""
    home = tmp_path / "home"
    for key, value in environment_for(home).items():
        monkeypatch.setenv(key, value)
    return home
