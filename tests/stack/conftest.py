"""Fixtures of the native stack tests: the demo models trained once for all of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.stack_home import train_template


@pytest.fixture(scope="session")
def stack_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with every demo model's champion (v1) and challenger (v2); copy it, never
    start a stack on it (tests/support/stack_home.py copy_home)."""
    return train_template(tmp_path_factory.mktemp("stack-template"))
