"""Fixtures of the inference server tests: an app on Flask's test client, a real gunicorn."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from serving.app import create_app, runtime_of
from tests.support.log_rows import log_settings
from tests.support.model_store import RegressionStore, TrainedStore, make_regression_store

ADMIN_TOKEN = "test-admin-token"


def app_config(store: TrainedStore, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "model_name": store.settings.model_name,
        "tracking_uri": store.settings.tracking_uri,
        "registry_uri": store.settings.registry_uri,
        "log": log_settings(f"sqlite:///{tmp_path / 'predictions.db'}", tmp_path),
        "alias": "champion",
        "version": None,
        "run_dir": None,
        "admin_token": ADMIN_TOKEN,
        "max_batch": 20,
        "max_body_bytes": 64 * 1024,
    }
    config.update(overrides)
    return config


@pytest.fixture
def app(trained_store: TrainedStore, tmp_path: Path) -> Iterator[Flask]:
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ, "unit tests use app-local metrics"
    flask_app = create_app(app_config(trained_store, tmp_path))
    yield flask_app
    runtime_of(flask_app).shutdown()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def regression_store(tmp_path_factory: pytest.TempPathFactory) -> RegressionStore:
    """One MLflow store with a regression champion (``revenue`` version 1), shared read-only."""
    return make_regression_store(tmp_path_factory.mktemp("regression-store"))


@pytest.fixture
def regression_app(regression_store: RegressionStore, tmp_path: Path) -> Iterator[Flask]:
    flask_app = create_app(app_config(regression_store, tmp_path))
    yield flask_app
    runtime_of(flask_app).shutdown()


@pytest.fixture
def regression_client(regression_app: Flask) -> FlaskClient:
    return regression_app.test_client()
