"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

# One OpenMP thread for this process and every server and command the tests start,
# set before anything loads scikit-learn. The suite runs many processes at once on a
# 2-core host, where OpenMP's spinning threads made one gradient-boosting fit take
# minutes instead of seconds. The tests of thread settings build their own environment.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest

from tests.support.model_store import TrainedStore, make_trained_store

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory: pytest.TempPathFactory) -> TrainedStore:
    """One MLflow store with a trained churn champion (version 1), shared read-only.

    Tests that change the registry make their own with ``make_trained_store``.
    """
    return make_trained_store(tmp_path_factory.mktemp("trained-store"))


@pytest.fixture
def subprocess_env(trained_store: TrainedStore) -> Iterator[dict[str, str]]:
    """os.environ plus the variables that point a subprocess at ``trained_store``."""
    env = dict(os.environ)
    env.update(trained_store.env)
    yield env
