"""Fetch each version's reference profile from MLflow once and keep it prepared."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Protocol

from mlflow.tracking import MlflowClient

from driftline.registry_contract import PROFILE_ARTIFACT_PATH
from exporter.prepared import PreparedProfile, prepare
from reference.profile import loads


class ProfileUnavailable(RuntimeError):
    """The registry or artifact store could not give this version's profile."""


class ProfileSource(Protocol):
    def fetch(self, model: str, version: str) -> PreparedProfile: ...


class MlflowProfileSource:
    """Registered version -> its run -> run artifact ``reference/profile.json``."""

    def __init__(self, tracking_uri: str, registry_uri: str) -> None:
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)

    def fetch(self, model: str, version: str) -> PreparedProfile:
        try:
            mv = self.client.get_model_version(model, version)
            run_id = str(mv.run_id)
            with tempfile.TemporaryDirectory() as tmp:
                local = self.client.download_artifacts(run_id, PROFILE_ARTIFACT_PATH, tmp)
                text = Path(local).read_text(encoding="utf-8")
        except Exception as exc:  # MLflow raises many types for an unreachable store
            raise ProfileUnavailable(
                f"no reference profile for {model} version {version}: {exc}"
            ) from exc
        return prepare(model, version, run_id, loads(text))


class ProfileCache:
    """One fetch per (model, version) that succeeded; failures are retried next time."""

    def __init__(self, source: ProfileSource) -> None:
        self.source = source
        self._cache: dict[tuple[str, str], PreparedProfile] = {}

    def get(self, model: str, version: str) -> PreparedProfile:
        key = (model, version)
        hit = self._cache.get(key)
        if hit is None:
            hit = self.source.fetch(model, version)
            self._cache[key] = hit
        return hit

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._cache
