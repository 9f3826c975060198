"""Where driftline keeps its state, read once from the environment.

Every location has one environment variable; the defaults put all local state
under ``DRIFTLINE_HOME`` so that one folder is the whole installation.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL_NAME = "churn"


def env_flag(env: Mapping[str, str], name: str) -> bool:
    """Whether the switch ``name`` is on: 1, true, yes or on (any case); unset is off."""
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    home: Path
    tracking_uri: str
    registry_uri: str
    artifact_root: str | None  # None: a tracking server decides where artifacts go
    prediction_db_url: str
    model_name: str
    experiment_name: str

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("DRIFTLINE_HOME", "./.driftline")).expanduser().resolve()
        tracking_uri = env.get("MLFLOW_TRACKING_URI") or f"sqlite:///{home / 'mlflow.db'}"
        local_store = not tracking_uri.startswith(("http://", "https://", "databricks"))
        default_artifacts = (home / "mlartifacts").as_uri() if local_store else None
        return cls(
            home=home,
            tracking_uri=tracking_uri,
            registry_uri=env.get("MLFLOW_REGISTRY_URI") or tracking_uri,
            artifact_root=env.get("DRIFTLINE_ARTIFACT_ROOT") or default_artifacts,
            prediction_db_url=env.get("DRIFTLINE_PREDICTION_DB")
            or f"sqlite:///{home / 'predictions.db'}",
            model_name=env.get("DRIFTLINE_MODEL_NAME", DEFAULT_MODEL_NAME),
            experiment_name=env.get("DRIFTLINE_EXPERIMENT", "driftline"),
        )

    def ensure_home(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
