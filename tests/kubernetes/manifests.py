"""The objects of deploy/kubernetes/, loaded once, by kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "deploy" / "kubernetes"
OPERATOR_KINDS = frozenset({"ServiceMonitor", "PrometheusRule", "AlertmanagerConfig"})


def kustomization() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    return loaded


def resource_files() -> list[Path]:
    return [BASE / name for name in kustomization()["resources"]]


def objects() -> list[dict[str, Any]]:
    """Every object of the base, as written (before kustomize sets the namespace)."""
    return [
        doc
        for path in resource_files()
        for doc in yaml.safe_load_all(path.read_text())
        if doc is not None
    ]


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [o for o in objects() if o["kind"] == kind]


def named(kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in of_kind(kind) if o["metadata"]["name"] == name]
    return found


def pod_specs() -> Iterator[tuple[str, dict[str, Any]]]:
    """(Deployment name, pod spec) of every Deployment."""
    for deployment in of_kind("Deployment"):
        yield deployment["metadata"]["name"], deployment["spec"]["template"]["spec"]


def containers() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(Deployment name, pod spec, container) of every container."""
    for name, pod in pod_specs():
        for container in pod["containers"]:
            yield name, pod, container


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())
