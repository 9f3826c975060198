"""Fetch each version's reference profile from MLflow once and keep it prepared."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Protocol

from mlflow.tracking import MlflowClient

from driftline import version_facts
from driftline.registry_contract import PROFILE_ARTIFACT_PATH
from exporter.prepared import PreparedProfile, prepare
from reference import error_estimator
from reference.error_estimator import ErrorEstimator, ErrorEstimatorError
from reference.profile import loads

log = logging.getLogger(__name__)


class ProfileUnavailable(RuntimeError):
    """The registry or artifact store could not give this version's profile."""


class ProfileSource(Protocol):
    def fetch(self, model: str, version: str) -> PreparedProfile: ...


class MlflowProfileSource:
    """Registered version -> the run of its facts (driftline/version_facts.py) -> run
    artifact ``reference/profile.json``, and a regression version's error estimator
    where its profile says it is stored."""

    def __init__(self, tracking_uri: str, registry_uri: str) -> None:
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)

    def fetch(self, model: str, version: str) -> PreparedProfile:
        try:
            run_id = self._run_of(model, version)
            text = self._artifact(run_id, PROFILE_ARTIFACT_PATH).decode("utf-8")
        except Exception as exc:  # MLflow raises many types for an unreachable store
            raise ProfileUnavailable(
                f"no reference profile for {model} version {version}: {exc}"
            ) from exc
        profile = loads(text)
        estimator = None
        if profile.error_estimation is not None:
            estimator = self._estimator(model, version, run_id, profile.error_estimation.artifact)
        return prepare(model, version, run_id, profile, estimator)

    def _run_of(self, model: str, version: str) -> str:
        """The run holding the version's profile: its facts say (an adopted version
        registered without a run has one made for it); else the version's own run."""
        facts = version_facts.lookup(self.client, model, version)
        if facts is not None:
            return facts.run_id
        return str(self.client.get_model_version(model, version).run_id)

    def _artifact(self, run_id: str, path: str) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            return Path(self.client.download_artifacts(run_id, path, tmp)).read_bytes()

    def _estimator(self, model: str, version: str, run_id: str, path: str) -> ErrorEstimator | None:
        """The stored estimator; None (drift monitoring goes on without an estimate)
        when it cannot be loaded, a retry (ProfileUnavailable) when it cannot be fetched."""
        try:
            data = self._artifact(run_id, path)
        except Exception as exc:
            raise ProfileUnavailable(
                f"no error estimator for {model} version {version}: {exc}"
            ) from exc
        try:
            return error_estimator.loads(data)
        except ErrorEstimatorError as exc:
            log.warning("%s version %s: no estimated errors: %s", model, version, exc)
            return None


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
