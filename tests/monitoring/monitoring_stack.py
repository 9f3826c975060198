"""Real Prometheus and Alertmanager processes for tests, on free loopback ports."""

from __future__ import annotations

import json
import shutil
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftline.monitoring_render import TargetGroup, render_prometheus_config
from stack.processes import free_port
from tests.support.processes import running

PROMETHEUS = shutil.which("prometheus")
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
PROMTOOL = shutil.which("promtool")
AMTOOL = shutil.which("amtool")


@dataclass(frozen=True)
class Prometheus:
    url: str
    log: Path

    def query(self, expr: str) -> dict[str, Any]:
        """The /api/v1/query answer, also for 4xx errors (bad expressions)."""
        data = urllib.parse.urlencode({"query": expr}).encode()
        request = urllib.request.Request(f"{self.url}/api/v1/query", data=data)
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return dict(json.load(resp))
        except urllib.error.HTTPError as exc:
            return dict(json.load(exc))

    def get(self, path: str) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as resp:
            return dict(json.load(resp))

    def wait_for(self, expr: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Poll until ``expr`` returns at least one series; return them."""
        result: list[dict[str, Any]] = wait_until(
            lambda: self.query(expr)["data"]["result"] or None,
            timeout,
            f"{expr} returned nothing",
            self.log,
        )
        return result


def wait_until(probe: Callable[[], Any], timeout: float, what: str, log: Path | None = None) -> Any:
    """Call ``probe`` until it returns something truthy (polling, no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.25)
    tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    raise AssertionError(f"after {timeout}s: {what}\n{tail}")


@contextmanager
def prometheus(
    work: Path,
    targets: Mapping[str, Sequence[TargetGroup]],
    *,
    for_scale: float = 1.0,
    interval: str = "1s",
) -> Iterator[Prometheus]:
    """Render the committed configuration for ``targets`` and run Prometheus on it."""
    assert PROMETHEUS, "the prometheus Debian package is not installed"
    config = render_prometheus_config(
        work / "runtime",
        targets,
        scrape_interval=interval,
        evaluation_interval=interval,
        for_scale=for_scale,
    )
    port = free_port()
    log = work / "prometheus.log"
    argv = [
        PROMETHEUS,
        f"--config.file={config}",
        f"--storage.tsdb.path={work / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    with running(argv, ready_url=f"http://127.0.0.1:{port}/-/ready", log=log, timeout=30):
        yield Prometheus(f"http://127.0.0.1:{port}", log)


@contextmanager
def alertmanager(work: Path, config: Path) -> Iterator[str]:
    """Run Alertmanager (clustering off) on ``config``; yield its host:port."""
    assert ALERTMANAGER, "the prometheus-alertmanager Debian package is not installed"
    port = free_port()
    argv = [
        ALERTMANAGER,
        f"--config.file={config}",
        f"--storage.path={work / 'alertmanager-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    with running(
        argv,
        ready_url=f"http://127.0.0.1:{port}/-/ready",
        log=work / "alertmanager.log",
        timeout=30,
    ):
        yield f"127.0.0.1:{port}"
