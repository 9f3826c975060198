"""The error registry operations raise; light to import, so the CLI can catch it."""

from __future__ import annotations


class RegistryError(RuntimeError):
    """A registry operation cannot be done; the message says why."""
