"""Every image of docker-compose.yml builds with Podman, keeps its health check, and runs its own
version or help command (a failure names the compose services of the image)."""

from __future__ import annotations

import pytest

from tests.containers.images import Image, has_healthcheck
from tests.containers.podman import podman

# The first test also waits for the session's image builds: minutes on a cold machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

# One command per image that shows its program runs at all, as the issue lists them.
SMOKE = {
    "driftline-python:local": ["driftline", "--help"],
    "driftline-monitoring:local": [
        "sh", "-c", "prometheus --version && prometheus-alertmanager --version",
    ],
    "driftline-php:local": ["php-fpm8.2", "-t", "--fpm-config", "/etc/driftline/php-fpm.conf"],
    "driftline-nginx:local": ["nginx", "-v"],
    "driftline-worker:local": [
        "php", "-r", "exit(extension_loaded('pdo_sqlite')&&extension_loaded('pcntl')?0:1);",
    ],
}  # fmt: skip


def test_every_compose_image_has_a_smoke_command(images: list[Image]) -> None:
    assert sorted(i.tag for i in images) == sorted(SMOKE)


def test_every_image_keeps_its_health_check(images: list[Image]) -> None:
    missing = [i.describe() for i in images if not has_healthcheck(i.tag)]
    assert not missing, (
        f"built without a HEALTHCHECK (podman build needs --format docker): {missing}"
    )


def test_every_image_runs_its_own_command(images: list[Image]) -> None:
    failed = []
    for image in images:
        result = podman("run", "--rm", "--network", "none", image.tag, *SMOKE[image.tag],
                        check=False)  # fmt: skip
        if result.returncode != 0:
            failed.append(f"{image.describe()}: exit {result.returncode}\n{result.stderr[-1500:]}")
    assert not failed, "\n".join(failed)
