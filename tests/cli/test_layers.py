"""Packages form layers and data flows one way: no module imports a package above its own.

Every import counts, those inside functions too: a lazy import upward is still a
dependency upward.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# From the ground floor up. Packages on one floor may use each other.
LAYERS: dict[str, int] = {
    "driftline": 0,  # contracts, settings, registry access
    "training": 1,
    "reference": 1,
    "predictionlog": 1,
    "serving": 2,
    "exporter": 2,
    "retraining": 2,
    "traffic": 3,
    "stack": 4,  # runs everything
    "cli": 5,  # the `driftline` command: registers every package's subcommands
}


def imported_packages(path: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of every absolute import in ``path``."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.partition(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.partition(".")[0]


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
