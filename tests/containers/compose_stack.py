"""The demo stack of docker-compose.yml, run by the docker-compose client on Podman's API.

It has the shape the product's story runner expects of a stack (stack/story.py StoryStack), so
the containerised story is told and timed by the same code as the native one. Services are
reached through their published ports on 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import yaml

from driftline.timing import FAST
from stack import topology
from stack.native import StackOptions
from tests.containers.podman import (
    HealthcheckShim,
    health,
    last_check_output,
    podman,
    project_containers,
    service_of,
)
from tests.support.build_context import REPO
from traffic.scenarios import scenario

COMPOSE_FILE = REPO / "docker-compose.yml"
TEST_OVERRIDE = Path(__file__).with_name("compose.test.yml")
# Published ports of docker-compose.yml (docs/compose.md); inference replicas are looked up.
PUBLISHED = {"mlflow": 5000, "exporter": 9108, "prometheus": 9090, "alertmanager": 9093,
             "receiver": 8080, "router": 8090}  # fmt: skip
INFERENCE = {s.name: s.port for s in topology.SERVICES if s.name.startswith("serving-") and s.port}
ONE_SHOT = {s.name for s in topology.SERVICES if s.port is None and s.name != "worker"} | {"config"}
UP_TIMEOUT_SECONDS = 600.0
# Above the longest start_period of docker-compose.yml (120 s, the inference servers).
HEALTHY_TIMEOUT_SECONDS = 240.0


class StackStartError(AssertionError):
    """The stack did not come up; the message names the services at fault and quotes their logs."""


class ComposeStack:
    def __init__(self, docker_host: str, log_dir: Path, *, project: str, champions: int) -> None:
        self.docker_host = docker_host
        self.log_dir = log_dir
        self.project = project
        self.champions = champions
        # The compose traffic service's story: churn drifts, houses stays steady.
        self.options = StackOptions(
            home=log_dir,
            timing=FAST,
            scenario=scenario("drift-retrain", FAST.steady_seconds),
            models=topology.DEMO_MODELS,
        )
        # Inference services by their first replica's port (known once they run; see up()).
        self.ports: dict[str, int] = dict(PUBLISHED)
        self.traffic: subprocess.Popen[str] | None = None

    # --- the docker-compose client ------------------------------------------------------
    def compose(
        self, *args: str, timeout: float = 120.0, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        argv = self._argv(*args)
        result = subprocess.run(
            argv, capture_output=True, text=True, env=self._env(), cwd=REPO, timeout=timeout,
            check=False,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result

    def _argv(self, *args: str) -> list[str]:
        return ["docker-compose", "--ansi", "never", "-p", self.project,
                "-f", str(COMPOSE_FILE), "-f", str(TEST_OVERRIDE), *args]  # fmt: skip

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}
        env["DOCKER_HOST"] = self.docker_host
        return env

    # --- start and stop ----------------------------------------------------------------
    def services(self) -> list[str]:
        """Every service but `traffic` (the story starts it) and those under a profile (grafana)."""
        config = yaml.safe_load(self.compose("config").stdout)
        return sorted(
            name
            for name, service in config["services"].items()
            if name != "traffic" and not service.get("profiles")
        )

    def up(self, services: Sequence[str]) -> None:
        busy = [f"{name} {port}" for name, port in PUBLISHED.items() if port_in_use(port)]
        if busy:
            raise StackStartError(f"published ports already in use on 127.0.0.1: {busy}")
        with HealthcheckShim(self.project):
            result = self.compose(
                "up", "-d", "--no-build", "--scale", f"serving-champion={self.champions}",
                *services, timeout=UP_TIMEOUT_SECONDS, check=False,
            )  # fmt: skip
            # `up -d` waits only for what others depend on: wait for the rest too.
            faults = self.wait_healthy() if result.returncode == 0 else self.faults()
        self.write_logs()
        if result.returncode == 0 and not faults:
            for service in INFERENCE:
                self.ports[service] = int(self.replica_urls(service)[0].rsplit(":", 1)[1])
        if result.returncode != 0 or faults:
            raise StackStartError(
                f"docker-compose up failed (exit {result.returncode}); services at fault: "
                f"{', '.join(sorted(faults)) or 'none found'}\n{result.stderr[-2000:]}\n"
                + "\n".join(f"--- {name}:\n{text}" for name, text in sorted(faults.items()))
            )

    def wait_healthy(self, timeout: float = HEALTHY_TIMEOUT_SECONDS) -> dict[str, str]:
        """Faults left once every container is healthy, one has exited, or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        while True:
            faults = self.faults()
            exited = any(text.startswith("exited") for text in faults.values())
            if not faults or exited or time.monotonic() > deadline:
                return faults
            time.sleep(2.0)

    def faults(self) -> dict[str, str]:
        """Services with a container that exited non-zero, or is running but not healthy."""
        out: dict[str, str] = {}
        for row in project_containers(self.project):
            name, cid, state = service_of(row), str(row["Id"]), str(row.get("State"))
            exit_code = int(row.get("ExitCode") or 0)
            status = health(cid) if state == "running" else ""
            problem = None
            if state != "running" and (exit_code != 0 or name not in ONE_SHOT):
                problem = f"{state}, exit code {exit_code}"
            elif status not in ("", "healthy"):
                problem = f"health check {status}: {last_check_output(cid)}"
            if problem:
                logs = podman("logs", "--tail", "30", cid, check=False)
                out[name] = f"{problem}\n{logs.stdout[-2000:]}{logs.stderr[-2000:]}"
        return out

    def write_logs(self) -> None:
        logs = self.compose("logs", "--no-color", "--timestamps", check=False, timeout=120)
        (self.log_dir / "compose.log").write_text(logs.stdout + logs.stderr)

    def down(self) -> None:
        self.write_logs()
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "10",
                     timeout=300, check=False)  # fmt: skip

    # --- what the story runner uses ------------------------------------------------------
    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def replica_urls(self, service: str) -> list[str]:
        """Each replica's published address, by compose's replica index."""
        count = self.champions if service == "serving-champion" else 1
        urls = []
        for index in range(1, count + 1):
            out = self.compose("port", "--index", str(index), service, str(INFERENCE[service]))
            urls.append(f"http://{out.stdout.strip()}")
        return urls

    def start_traffic(self) -> subprocess.Popen[str]:
        """Start the `traffic` service; its log, followed, is the story runner's traffic output."""
        self.compose("up", "-d", "--no-build", "--no-deps", "traffic", timeout=120)
        self.traffic = subprocess.Popen(
            self._argv("logs", "--follow", "--no-color", "--no-log-prefix", "traffic"),
            env=self._env(), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, bufsize=1, start_new_session=True,
        )  # fmt: skip
        return self.traffic

    def close(self) -> None:
        if self.traffic is not None and self.traffic.poll() is None:
            self.traffic.terminate()
            self.traffic.wait(timeout=10)
        self.down()


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
