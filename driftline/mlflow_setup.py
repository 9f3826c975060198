"""Point MLflow at driftline's tracking store and experiment."""

from __future__ import annotations

import logging

import mlflow
from mlflow.tracking import MlflowClient

from driftline.config import Settings


def connect(settings: Settings) -> MlflowClient:
    """Configure the process-wide MLflow URIs from ``settings`` and return a client."""
    if settings.tracking_uri.startswith("sqlite:"):
        settings.ensure_home()
    # MLflow logs every schema migration of a fresh SQLite store at INFO.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.registry_uri)
    return MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.registry_uri)


def ensure_experiment(client: MlflowClient, settings: Settings) -> str:
    """The experiment's id, created with its artifacts under the data directory if missing."""
    existing = client.get_experiment_by_name(settings.experiment_name)
    if existing is not None:
        return str(existing.experiment_id)
    return str(
        client.create_experiment(settings.experiment_name, artifact_location=settings.artifact_root)
    )
