"""Settings of one inference server, read from the environment into a frozen value.

``create_app(config)`` starts from :meth:`ServingConfig.from_env` and overrides
fields with the mapping it is given, so tests never touch ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftline.config import Settings, env_flag
from driftline.registry_contract import CHAMPION_ALIAS
from predictionlog.settings import LogSettings


class ConfigError(ValueError):
    """A setting has a value the server cannot use; the message names it."""


def _env_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a number") from exc


def _env_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not an integer") from exc


@dataclass(frozen=True)
class ServingConfig:
    model_name: str
    tracking_uri: str
    registry_uri: str
    # The prediction log's own settings (predictionlog/settings.py).
    log: LogSettings
    # Follow this registry alias ... unless ``version`` pins one version.
    alias: str = CHAMPION_ALIAS
    version: str | None = None
    max_batch: int = 1000
    max_body_bytes: int = 1_048_576
    # Seconds between registry checks for a moved alias.
    reload_interval_seconds: float = 30.0
    # Bearer token of POST /admin/reload; None disables the endpoint.
    admin_token: str | None = None
    # Directory shared by the workers of one server (the reload signal).
    run_dir: Path | None = None
    fast_path: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServingConfig:
        env: Mapping[str, str] = os.environ if environ is None else environ
        settings = Settings.from_env(dict(env))
        run_dir = env.get("DRIFTLINE_RUN_DIR")
        try:
            log = LogSettings.from_env(env)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        return cls(
            model_name=settings.model_name,
            tracking_uri=settings.tracking_uri,
            registry_uri=settings.registry_uri,
            log=log,
            alias=env.get("DRIFTLINE_SERVE_ALIAS") or CHAMPION_ALIAS,
            version=env.get("DRIFTLINE_SERVE_VERSION") or None,
            max_batch=_env_int(env, "DRIFTLINE_MAX_BATCH", 1000),
            max_body_bytes=_env_int(env, "DRIFTLINE_MAX_BODY_BYTES", 1_048_576),
            reload_interval_seconds=_env_float(env, "DRIFTLINE_RELOAD_INTERVAL", 30.0),
            admin_token=env.get("DRIFTLINE_ADMIN_TOKEN") or None,
            run_dir=Path(run_dir) if run_dir else None,
            fast_path=not env_flag(env, "DRIFTLINE_NO_FAST_PATH"),
        ).checked()

    def with_overrides(self, overrides: Mapping[str, Any]) -> ServingConfig:
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(f"unknown serving settings: {', '.join(unknown)}")
        return dataclasses.replace(self, **dict(overrides)).checked()

    def checked(self) -> ServingConfig:
        if self.max_batch < 1:
            raise ConfigError("DRIFTLINE_MAX_BATCH must be at least 1")
        if self.max_body_bytes < 1024:
            raise ConfigError("DRIFTLINE_MAX_BODY_BYTES must be at least 1024")
        if self.reload_interval_seconds <= 0:
            raise ConfigError("DRIFTLINE_RELOAD_INTERVAL must be positive")
        if self.version is not None and not self.version.isdigit():
            raise ConfigError(f"model version {self.version!r} is not a version number")
        return self

    @property
    def model_uri(self) -> str:
        """What the server serves, as an MLflow model URI."""
        if self.version is not None:
            return f"models:/{self.model_name}/{self.version}"
        return f"models:/{self.model_name}@{self.alias}"
