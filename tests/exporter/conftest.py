"""Fixtures for the exporter tests: the champion model and a fresh prediction log."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from driftline.config import Settings
from exporter.engine import Engine as DriftEngine
from exporter.profiles import MlflowProfileSource, ProfileCache
from exporter.settings import ExporterConfig
from exporter.store_reader import PredictionLogReader
from tests.exporter.logdata import champion_model, open_log
from tests.support.model_store import TrainedStore


@pytest.fixture(scope="session")
def model(trained_store: TrainedStore) -> Any:
    return champion_model(trained_store)


@pytest.fixture
def log_settings(trained_store: TrainedStore, tmp_path: Path) -> Settings:
    """The shared MLflow store with a prediction log of this test's own."""
    return replace(
        trained_store.settings, prediction_db_url=f"sqlite:///{tmp_path / 'predictions.db'}"
    )


@pytest.fixture
def log_db(log_settings: Settings) -> Engine:
    return open_log(log_settings.prediction_db_url)


def make_engine(
    settings: Settings, config: ExporterConfig | None = None, **kwargs: Any
) -> DriftEngine:
    reader = PredictionLogReader(settings.prediction_db_url)
    profiles = ProfileCache(MlflowProfileSource(settings.tracking_uri, settings.registry_uri))
    return DriftEngine(reader, profiles, config or ExporterConfig(), **kwargs)
