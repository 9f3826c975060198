"""The Docker build context of docker/*.Dockerfile: which files `.dockerignore` keeps.

tests/stack/test_compose.py checks COPY sources against it; tests/containers hashes the kept
files to decide whether an image must be built again.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def dockerignore_patterns(context: Path = REPO) -> list[str]:
    lines = (context / ".dockerignore").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore ``patterns`` exclude ``path`` or a folder it is in.

    Patterns are matched from the context root; ``**/NAME`` matches NAME at any depth.
    """
    parts = Path(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        for prefix in prefixes:
            if pattern.startswith("**/"):
                if fnmatch.fnmatch(Path(prefix).name, pattern.removeprefix("**/")):
                    return True
            elif fnmatch.fnmatch(prefix, pattern):
                return True
    return False


def context_files(context: Path = REPO) -> list[str]:
    """Paths (relative, sorted) of every file the build context sends to the engine."""
    patterns = dockerignore_patterns(context)
    kept: list[str] = []
    for folder, dirs, files in os.walk(context):
        rel_folder = os.path.relpath(folder, context)
        dirs[:] = [
            d for d in dirs if not ignored(os.path.normpath(os.path.join(rel_folder, d)), patterns)
        ]
        for name in files:
            rel = os.path.normpath(os.path.join(rel_folder, name))
            if not ignored(rel, patterns):
                kept.append(rel)
    return sorted(kept)


def context_digest(context: Path = REPO) -> str:
    """sha256 over the names and contents of the build context's files."""
    digest = hashlib.sha256()
    for rel in context_files(context):
        digest.update(rel.encode() + b"\0")
        digest.update((context / rel).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
