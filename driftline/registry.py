"""Model registry operations: promote, roll back, list versions.

The champion history (docs/registry.md) lives in a registered-model tag so that
both this module and php/bin/rollback.php can move the alias the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from driftline.registry_contract import (
    CHALLENGER_ALIAS,
    CHAMPION_ALIAS,
    CHAMPION_HISTORY_TAG,
    PROMOTION_DECISION_TAG,
    PROMOTION_FIGURES_TAG,
)
from driftline.registry_errors import RegistryError


@dataclass(frozen=True)
class VersionInfo:
    version: str
    run_id: str | None
    aliases: tuple[str, ...]
    created_at_ms: int
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "run_id": self.run_id,
            "aliases": list(self.aliases),
            "created_at_ms": self.created_at_ms,
            "metrics": self.metrics,
            "tags": self.tags,
        }


def _history(client: MlflowClient, name: str) -> list[str]:
    model = _registered(client, name)
    raw = model.tags.get(CHAMPION_HISTORY_TAG)
    if not raw:
        return []
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RegistryError(f"model {name!r}: tag {CHAMPION_HISTORY_TAG} is not JSON") from exc
    return [str(v) for v in parsed]


def _registered(client: MlflowClient, name: str) -> Any:
    try:
        return client.get_registered_model(name)
    except MlflowException as exc:
        raise RegistryError(f"no registered model named {name!r}") from exc


def _check_version(client: MlflowClient, name: str, version: str) -> None:
    try:
        client.get_model_version(name, version)
    except MlflowException as exc:
        raise RegistryError(f"model {name!r} has no version {version!r}") from exc


def champion_version(client: MlflowClient, name: str) -> str | None:
    return alias_version(client, name, CHAMPION_ALIAS)


def promote(client: MlflowClient, name: str, version: str) -> str | None:
    """Point ``champion`` at ``version``; returns the previous champion."""
    _check_version(client, name, version)
    before = champion_version(client, name)
    history = _history(client, name)
    if before is not None and (not history or history[-1] != before):
        # The alias was set outside driftline (a team's own model, adopted, whose alias
        # MLflow set): keep that champion in the history so a rollback can return to it.
        history.append(before)
    client.set_registered_model_alias(name, CHAMPION_ALIAS, version)
    if not history or history[-1] != version:
        history.append(version)
    client.set_registered_model_tag(name, CHAMPION_HISTORY_TAG, json.dumps(history))
    client.set_model_version_tag(name, version, PROMOTION_DECISION_TAG, "promoted")
    return before


def alias_version(client: MlflowClient, name: str, alias: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def set_challenger(client: MlflowClient, name: str, version: str) -> None:
    """Point ``challenger`` (the B side of an A/B split) at ``version``."""
    _check_version(client, name, version)
    client.set_registered_model_alias(name, CHALLENGER_ALIAS, version)


def reject(client: MlflowClient, name: str, version: str, figures: dict[str, Any]) -> None:
    """Mark a version the promotion gate turned down, with the figures behind the decision."""
    client.set_model_version_tag(name, version, PROMOTION_DECISION_TAG, "rejected")
    client.set_model_version_tag(name, version, PROMOTION_FIGURES_TAG, json.dumps(figures))


def rollback(client: MlflowClient, name: str, to: str | None = None) -> tuple[str | None, str]:
    """Move ``champion`` back: to ``to``, or to the champion before the current one.

    Returns (champion before, champion after).
    """
    before = champion_version(client, name)
    history = _history(client, name)
    if to is not None:
        _check_version(client, name, to)
        target = to
        history.append(target)
    else:
        if before is not None and history and history[-1] == before:
            history.pop()
        if not history:
            raise RegistryError(f"model {name!r} has no earlier champion to roll back to")
        target = history[-1]
        _check_version(client, name, target)
    client.set_registered_model_alias(name, CHAMPION_ALIAS, target)
    client.set_registered_model_tag(name, CHAMPION_HISTORY_TAG, json.dumps(history))
    return before, target


def list_versions(client: MlflowClient, name: str) -> list[VersionInfo]:
    # search_model_versions leaves aliases out; the registered model maps them.
    alias_map: dict[str, str] = dict(getattr(_registered(client, name), "aliases", {}) or {})
    out: list[VersionInfo] = []
    for mv in client.search_model_versions(f"name='{name}'"):
        metrics: dict[str, float] = {}
        if mv.run_id:
            try:
                metrics = dict(client.get_run(mv.run_id).data.metrics)
            except MlflowException:
                metrics = {}
        out.append(
            VersionInfo(
                version=str(mv.version),
                run_id=mv.run_id,
                aliases=tuple(sorted(a for a, v in alias_map.items() if str(v) == str(mv.version))),
                created_at_ms=int(mv.creation_timestamp or 0),
                metrics=metrics,
                tags=dict(mv.tags or {}),
            )
        )
    out.sort(key=lambda v: int(v.version))
    return out
