"""Podman as the container engine of the tests: the CLI, its Docker-compatible API, and the
health-check shim Podman needs where systemd does not schedule health checks.

Nothing here is product code: users run Docker (docs/compose.md), which runs health checks itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stack.processes import Managed, spawn, stop

COMMAND_TIMEOUT_SECONDS = 120.0


def podman(
    *args: str, check: bool = True, timeout: float = COMMAND_TIMEOUT_SECONDS
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result


def podman_ok(*args: str) -> str:
    return podman(*args).stdout


@contextmanager
def docker_api(folder: Path) -> Iterator[str]:
    """Podman's Docker-compatible API on a unix socket under ``folder``; yields DOCKER_HOST."""
    socket_path = folder / "podman.sock"
    service: Managed = spawn(
        "podman-api",
        ["podman", "system", "service", "--time=0", f"unix://{socket_path}"],
        env=dict(os.environ),
        log=folder / "podman-api.log",
        cwd=folder,
    )
    try:
        deadline = time.monotonic() + 30
        while not socket_path.exists():
            if service.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"podman system service did not start:\n{service.log_tail()}")
            time.sleep(0.1)
        yield f"unix://{socket_path}"
    finally:
        stop(service)


def project_containers(project: str) -> list[dict[str, Any]]:
    """`podman ps -a` rows of one compose project (compose labels every container it makes)."""
    out = podman_ok(
        "ps", "-a", "--format", "json", "--filter", f"label=com.docker.compose.project={project}"
    )
    return list(json.loads(out or "[]"))


def service_of(container: dict[str, Any]) -> str:
    return str(container.get("Labels", {}).get("com.docker.compose.service", "?"))


def health(container_id: str) -> str:
    """The container's health status as its engine reports it ("" when it has no check)."""
    fmt = "{{if .State.Healthcheck}}{{.State.Healthcheck.Status}}{{end}}"
    return podman_ok("inspect", "--format", fmt, container_id).strip()


def last_check_output(container_id: str) -> str:
    """What the container's latest health check printed (why it failed)."""
    fmt = "{{if .State.Healthcheck}}{{json .State.Healthcheck.Log}}{{end}}"
    log = json.loads(podman_ok("inspect", "--format", fmt, container_id).strip() or "[]")
    return str(log[-1].get("Output", "")).strip() if log else "no check has run"


def run_healthcheck(container_id: str) -> bool:
    """Run the container's own HEALTHCHECK once; True when it passed."""
    return podman("healthcheck", "run", container_id, check=False).returncode == 0


class HealthcheckShim:
    """Runs `podman healthcheck run` on every running container of a project, as Docker's
    daemon (or systemd timers under Podman) would at each container's interval. Compose's
    `service_healthy` conditions read the status these runs record."""

    def __init__(self, project: str, interval: float = 2.0) -> None:
        self.project = project
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="healthcheck-shim")

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                for row in project_containers(self.project):
                    if row.get("State") == "running" and health(str(row["Id"])):
                        run_healthcheck(str(row["Id"]))
            except (AssertionError, subprocess.TimeoutExpired, ValueError):
                continue  # a container went away between listing and checking

    def __enter__(self) -> HealthcheckShim:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
