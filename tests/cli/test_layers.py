"""Packages form layers and data flows one way: no module imports a package above its own.

Every import counts, those inside functions too: a lazy import upward is still a
dependency upward.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

ARCHITECTURE = REPO / "docs" / "architecture.md"


def layers_of_the_architecture_doc() -> dict[str, int]:
    """Package -> floor, from the Layers table of docs/architecture.md (its one definition)."""
    section = ARCHITECTURE.read_text().split("## Layers", 1)[1].split("\n## ", 1)[0]
    layers: dict[str, int] = {}
    for row in re.finditer(r"^\|\s*(\d+)\s*\|([^|]*)\|", section, re.MULTILINE):
        for package in re.findall(r"`([a-z_]+)`", row.group(2)):
            layers[package] = int(row.group(1))
    return layers


# Packages on one floor may use each other.
LAYERS: dict[str, int] = layers_of_the_architecture_doc()


def imported_packages(path: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of every absolute import in ``path``."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.partition(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.partition(".")[0]


def test_the_doc_names_the_floors_from_the_ground_up() -> None:
    assert LAYERS["driftline"] == 0
    assert LAYERS["predictionlog"] < LAYERS["serving"] < LAYERS["traffic"] < LAYERS["stack"]
    assert max(LAYERS.values()) == LAYERS["cli"]


def test_every_installed_package_has_a_layer() -> None:
    find = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    tops = {pattern.split(".")[0].rstrip("*") for pattern in find["find"]["include"]}
    assert tops == set(LAYERS)


def test_no_package_imports_one_above_it() -> None:
    upward = []
    for package, floor in LAYERS.items():
        for path in sorted((REPO / package).rglob("*.py")):
            for line, imported in imported_packages(path):
                if LAYERS.get(imported, -1) > floor:
                    upward.append(f"{path.relative_to(REPO)}:{line} imports {imported}")
    assert upward == []
