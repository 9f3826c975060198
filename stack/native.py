"""The whole driftline topology as local processes (stack/topology.py), started in order.

MLflow's server first, then the one-shot trainer, then the inference servers,
exporter, PHP receiver and worker, then Prometheus and Alertmanager with
configuration rendered for the run's addresses and timings. Every process is
stopped, in reverse order, when the stack is closed, also after a failure.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from driftline.runbooks import runbook_base_url
from driftline.timing import Timing
from stack import topology
from stack.processes import (
    Managed,
    StartupError,
    free_port,
    spawn,
    stop,
    stop_all,
    wait_ready,
)
from stack.render import render_stack_config
from traffic.scenarios import Scenario

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
HOST: Final = "127.0.0.1"
# Share of the router's traffic that goes to the champion; the rest tries the challenger.
CHAMPION_WEIGHT: Final = 95

READY_PATHS: Final = {
    "mlflow": "/health",
    "serving-champion": "/ready",
    "serving-challenger": "/ready",
    "exporter": "/metrics",
    "receiver": "/health",
    "prometheus": "/-/ready",
    "alertmanager": "/-/ready",
}


@dataclass(frozen=True)
class StackOptions:
    home: Path
    timing: Timing
    scenario: Scenario
    ephemeral_ports: bool = False  # tests: free ports instead of the documented defaults
    start_timeout: float = 120.0
    retrain_on_estimate: bool = False  # the estimated-performance alert starts retraining

    @property
    def model_name(self) -> str:
        """The registered model the scenario's traffic is for (churn, or houses for prices)."""
        return self.scenario.model_name


class NativeStack:
    def __init__(self, options: StackOptions, say: Callable[[str], None] = print) -> None:
        self.options = options
        self.say = say
        self.home = options.home.resolve()
        self.ports: dict[str, int] = {}
        for service in topology.SERVICES:
            if service.port is not None:
                self.ports[service.name] = free_port() if options.ephemeral_ports else service.port
        self.services: list[Managed] = []
        self.traffic: subprocess.Popen[str] | None = None
        self.token_file = self.home / "secrets" / "webhook_token"

    # --- addresses ---------------------------------------------------------------------
    def address(self, service: str) -> str:
        return f"{HOST}:{self.ports[service]}"

    def url(self, service: str) -> str:
        return f"http://{self.address(service)}"

    # --- environment --------------------------------------------------------------------
    def _bin(self, name: str) -> str:
        """A Python entry point from this interpreter's environment, else from PATH."""
        local = Path(sys.executable).parent / name
        if local.exists():
            return str(local)
        found = shutil.which(name)
        if found is None:
            raise StartupError(f"{name} not found; run `make install` (scripts/install.sh)")
        return found

    def base_env(self) -> dict[str, str]:
        env = dict(os.environ)
        tracking = self.url("mlflow")
        env.update(
            DRIFTLINE_HOME=str(self.home),
            MLFLOW_TRACKING_URI=tracking,
            MLFLOW_REGISTRY_URI=tracking,
            DRIFTLINE_PREDICTION_DB=f"sqlite:///{self.home / 'predictions.db'}",
            DRIFTLINE_MODEL_NAME=self.options.model_name,
            DRIFTLINE_TIMING=self.options.timing.name,
            PYTHONUNBUFFERED="1",
        )
        return env

    def _service_env(self, name: str) -> dict[str, str]:
        t = self.options.timing
        env = self.base_env()
        if name.startswith("serving-"):
            env["DRIFTLINE_RUN_DIR"] = str(self.home / "run" / name)
            env["DRIFTLINE_RELOAD_INTERVAL"] = str(t.reload_interval_seconds)
        elif name == "exporter":
            env["DRIFTLINE_EXPORTER_INTERVAL_SECONDS"] = str(t.exporter_interval_seconds)
            if t.exporter_window_seconds is not None:
                env["DRIFTLINE_EXPORTER_WINDOW_SECONDS"] = str(t.exporter_window_seconds)
                # Labels of the window's predictions arrive this late: reach back as far.
                env["DRIFTLINE_EXPORTER_LABEL_WINDOW_SECONDS"] = str(
                    t.exporter_window_seconds + self.options.scenario.label_delay(t)
                )
        elif name in ("receiver", "worker"):
            retrain = [
                self._bin("driftline"), "retrain",
                "--window-seconds",
                str(t.retrain_window_seconds + self.options.scenario.label_delay(t)),
                *self.options.scenario.retrain_args,
            ]  # fmt: skip
            env.update(
                DRIFTLINE_WEBHOOK_TOKEN_FILE=str(self.token_file),
                DRIFTLINE_VARIANTS=(
                    f"champion={self.url('serving-champion')}:{CHAMPION_WEIGHT},"
                    f"challenger={self.url('serving-challenger')}:{100 - CHAMPION_WEIGHT}"
                ),
                DRIFTLINE_RETRAIN_COOLDOWN_SECONDS=str(int(t.retrain_cooldown_seconds)),
                DRIFTLINE_RETRAIN_COMMAND=shlex.join(retrain),
                DRIFTLINE_WORKER_POLL_SECONDS="1",
                DRIFTLINE_JOB_HEARTBEAT_SECONDS="2",
                # php -S answers one request at a time unless told to fork workers.
                PHP_CLI_SERVER_WORKERS="4",
            )
        return env

    def _argv(self, service: topology.Service, **extra: object) -> list[str]:
        port = self.ports.get(service.name)
        argv = service.command(home=self.home, host=HOST, port=port, **extra)
        if argv[0] in ("driftline", "mlflow"):
            argv[0] = self._bin(argv[0])
        return argv

    # --- lifecycle ------------------------------------------------------------------------
    def _start(self, service: topology.Service, **extra: object) -> Managed:
        managed = spawn(
            service.name,
            self._argv(service, **extra),
            env=self._service_env(service.name),
            log=self.home / "logs" / f"{service.name}.log",
            cwd=REPO_ROOT,
        )
        self.services.append(managed)
        return managed

    def _wait(self, managed: Managed) -> None:
        path = READY_PATHS.get(managed.name)
        if path is not None:
            wait_ready(managed, self.url(managed.name) + path, self.options.start_timeout)

    def start(self) -> None:
        """Start everything but the traffic generator; raises StartupError on failure."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.token_file.parent.mkdir(parents=True, exist_ok=True)
        if not self.token_file.exists():
            self.token_file.write_text(secrets.token_urlsafe(32))
            self.token_file.chmod(0o600)

        self._wait(self._start(topology.MLFLOW))
        self.say(f"mlflow          {self.url('mlflow')}")
        self._bootstrap()
        group = [
            self._start(topology.SERVING_CHAMPION),
            self._start(topology.SERVING_CHALLENGER),
            self._start(topology.EXPORTER),
            self._start(topology.RECEIVER),
            self._start(topology.WORKER),
        ]
        for managed in group:
            self._wait(managed)
        prometheus_yml, alertmanager_yml = render_stack_config(
            self.home / "config",
            addresses={
                name: [self.address(name)]
                for name in ("serving-champion", "serving-challenger", "exporter", "receiver",
                             "alertmanager")
            },
            token_file=self.token_file,
            timing=self.options.timing,
            model_name=self.options.model_name,
            retrain_on_estimate=self.options.retrain_on_estimate,
            runbook_base_url=runbook_base_url(),
        )  # fmt: skip
        self._wait(self._start(topology.ALERTMANAGER, alertmanager_config=alertmanager_yml))
        self._wait(self._start(topology.PROMETHEUS, prometheus_config=prometheus_yml))
        for line in self.describe():
            self.say(line)

    def _bootstrap(self) -> None:
        log = self.home / "logs" / "trainer.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with log.open("ab") as out:
            done = subprocess.run(
                # The scenario's data set: churn customers, or houses for the price model.
                [*self._argv(topology.TRAINER), "--synthetic", self.options.scenario.data_set],
                env=self.base_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO_ROOT,
                check=False,
                timeout=600,
            )
        text = log.read_text(errors="replace")
        if done.returncode != 0:
            raise StartupError(f"trainer failed with exit code {done.returncode}:\n{text[-2500:]}")
        for line in text.splitlines():
            if line.startswith(("champion:", "challenger:")):
                self.say(f"trainer         {line}")
        self.say(f"trainer         done in {time.monotonic() - started:.1f}s")

    def start_traffic(self) -> subprocess.Popen[str]:
        """The traffic generator, with its output as a text pipe for the timeline."""
        # Rate, label delay and steady phase come from DRIFTLINE_TIMING in the environment.
        argv = [
            *self._argv(
                topology.TRAFFIC,
                router_url=self.url("receiver"),
                feedback_url=self.url("serving-champion"),
            ),
            "--scenario", self.options.scenario.name,
            "--progress-every", "5",
        ]  # fmt: skip
        self.traffic = subprocess.Popen(
            argv,
            env=self.base_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            cwd=REPO_ROOT,
            start_new_session=True,
        )
        return self.traffic

    def describe(self) -> list[str]:
        return [
            f"inference A     {self.url('serving-champion')}/ready  (follows champion)",
            f"inference B     {self.url('serving-challenger')}/ready  (follows challenger)",
            f"exporter        {self.url('exporter')}/  (drift report: /report)",
            f"PHP receiver    {self.url('receiver')}/  (dashboard page, /jobs, POST /predict)",
            f"Prometheus      {self.url('prometheus')}/alerts",
            f"Alertmanager    {self.url('alertmanager')}/",
            f"logs            {self.home / 'logs'}",
        ]

    def close(self) -> None:
        if self.traffic is not None:
            stop(Managed("traffic", self.traffic, self.home / "logs" / "traffic.log"))
            self.traffic = None
        stop_all(list(reversed(self.services)))
        self.services.clear()


@contextmanager
def running_stack(
    options: StackOptions, say: Callable[[str], None] = print
) -> Iterator[NativeStack]:
    stack = NativeStack(options, say)
    try:
        stack.start()
        yield stack
    finally:
        stack.close()
