"""Session fixtures of the container tests: Podman, the base images, the built images, the API.

Install steps (podman, runc, the dnsname plugin, debootstrap, containers.conf) are in
scripts/install.sh; a missing piece fails here with the step that provides it.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.containers.compose_stack import COMPOSE_FILE, TEST_OVERRIDE
from tests.containers.images import Image, compose_images, ensure_images
from tests.containers.podman import docker_api
from tests.support.build_context import REPO

BASE_IMAGES_SCRIPT = REPO / "scripts" / "base_images.sh"


@pytest.fixture(scope="session")
def container_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("containers")


@pytest.fixture(scope="session")
def compose_services() -> dict[str, dict[str, Any]]:
    """The services of docker-compose.yml plus the test override, as docker-compose reads them."""
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE_FILE), "-f", str(TEST_OVERRIDE), "config"],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"docker-compose config failed:\n{result.stderr}"
    return dict(yaml.safe_load(result.stdout)["services"])


@pytest.fixture(scope="session")
def images(compose_services: dict[str, dict[str, Any]], container_logs: Path) -> list[Image]:
    """Every image of the compose file, built with Podman unless its inputs are unchanged."""
    for tool in ("podman", "debootstrap", "docker-compose"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (scripts/install.sh installs it)")
    started = time.monotonic()
    base = subprocess.run(
        ["bash", str(BASE_IMAGES_SCRIPT)], capture_output=True, text=True, timeout=1200,
        check=False,
    )  # fmt: skip
    assert base.returncode == 0, f"scripts/base_images.sh failed:\n{base.stdout}{base.stderr}"
    wanted = compose_images(compose_services)
    built = ensure_images(wanted, container_logs)
    seconds = time.monotonic() - started
    # Printed with -s, and kept in the log folder: the cold/warm figure of docs/compose.md.
    summary = f"images ready in {seconds:.1f}s; built now: {[t for t, b in built.items() if b]}"
    (container_logs / "images.txt").write_text(summary + "\n")
    print(summary)
    return wanted


@pytest.fixture(scope="session")
def docker_host(container_logs: Path) -> Iterator[str]:
    """DOCKER_HOST of Podman's Docker-compatible API, for the docker-compose client."""
    with docker_api(container_logs) as host:
        yield host
