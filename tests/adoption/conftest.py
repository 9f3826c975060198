"""Fixtures of the adoption tests: a store with a team's own model, logged with plain MLflow."""

from __future__ import annotations

import pytest

from tests.adoption.byo import ByoStore, make_byo_store


@pytest.fixture(scope="module")
def byo(tmp_path_factory: pytest.TempPathFactory) -> ByoStore:
    return make_byo_store(tmp_path_factory.mktemp("byo-store"))


@pytest.fixture
def byo_env(byo: ByoStore, monkeypatch: pytest.MonkeyPatch) -> ByoStore:
    """``byo``, with this process's environment pointing at it (in-process CLI runs)."""
    for key, value in byo.env.items():
        monkeypatch.setenv(key, value)
    return byo
