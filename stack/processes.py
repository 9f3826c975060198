"""Start, watch and stop the local processes of a native stack."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class StartupError(RuntimeError):
    """A service did not come up; the message names it and quotes its log."""


@dataclass
class Managed:
    name: str
    proc: subprocess.Popen[Any]
    log: Path

    def log_tail(self, chars: int = 2500) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def spawn(
    name: str, argv: Sequence[str], *, env: Mapping[str, str], log: Path, cwd: Path
) -> Managed:
    """Start ``argv`` in its own process group with output appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
        )
    return Managed(name, proc, log)


def wait_ready(service: Managed, url: str, timeout: float) -> None:
    """Poll ``url`` until it answers 200; fail early when the process dies."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if service.proc.poll() is not None:
            raise StartupError(
                f"{service.name} exited with code {service.proc.returncode} while starting; "
                f"log {service.log}:\n{service.log_tail()}"
            )
        try:
            resp = requests.get(url, timeout=2)
            if resp.status_code == 200:
                return
            last = f"HTTP {resp.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise StartupError(
        f"{service.name} did not answer {url} within {timeout:.0f}s ({last}); "
        f"log {service.log}:\n{service.log_tail()}"
    )


def stop(service: Managed, grace: float = 15.0) -> None:
    """SIGTERM the service's process group, SIGKILL it after ``grace`` seconds."""
    stop_all([service], grace)


def stop_all(services: Sequence[Managed], grace: float = 15.0) -> None:
    """SIGTERM every service at once, then SIGKILL whatever still runs after ``grace``.

    Signalling all first lets the servers drain in parallel: one by one, a stack
    of nine took about twenty seconds to stop here.
    """
    live = [s for s in services if s.proc.poll() is None]
    for service in live:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(service.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for service in live:
        try:
            service.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.proc.pid, signal.SIGKILL)
            service.proc.wait(timeout=5)
