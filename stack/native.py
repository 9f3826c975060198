"""The whole driftline topology as local processes (stack/topology.py), started in order.

MLflow's server first, then the one-shot trainer of each model, then every model's
inference servers, the exporter, PHP receiver, router and worker, then Prometheus and
Alertmanager with configuration rendered for the run's addresses and timings. Every
process is stopped, in reverse order, when the stack is closed, also after a failure.

A stack runs one model or several (``StackOptions.models``): the scenario drives its
own model, the others get steady traffic (traffic/plan.py).
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

from mlflow.tracking import MlflowClient

from driftline.config import Settings
from driftline.mlflow_setup import ensure_experiment
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
from stack.routes import routes_json
from traffic.plan import parse_models, plan
from traffic.scenarios import Scenario

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
HOST: Final = "127.0.0.1"
# Share of the router's traffic that goes to the champion; the rest tries the challenger.
CHAMPION_WEIGHT: Final = 95
TRAINER_TIMEOUT_SECONDS: Final = 600.0

# MLflow's server starts a job runner (a process per queue) unless told not to: driftline runs
# no MLflow server jobs, and on SIGTERM that runner outlived stop_all's grace, so every stack
# close waited 15 s, then SIGKILLed the server and left its queue folder in /dev/shm.
MLFLOW_ENV: Final = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}

READY_PATHS: Final = {
    "mlflow": "/health",
    "exporter": "/metrics",
    "receiver": "/health",
    "router": "/health",
    "prometheus": "/-/ready",
    "alertmanager": "/-/ready",
}


def ready_path(service: str) -> str | None:
    """Where a started service answers 200 once it is ready; None for one without a port."""
    return "/ready" if service.startswith("serving-") else READY_PATHS.get(service)


@dataclass(frozen=True)
class StackOptions:
    home: Path
    timing: Timing
    scenario: Scenario
    ephemeral_ports: bool = False  # tests: free ports instead of the documented defaults
    start_timeout: float = 120.0
    retrain_on_estimate: bool = False  # the estimated-performance alert starts retraining
    # The stack's models, the first the default of `POST /predict`; empty: the scenario's.
    models: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.models:  # ValueError naming the model at fault
            parse_models(",".join(self.models))
        plan(self.models, self.scenario)

    @property
    def model_name(self) -> str:
        """The registered model the scenario's traffic is for (churn, or houses for prices)."""
        return self.scenario.model_name

    @property
    def model_names(self) -> tuple[str, ...]:
        return self.models or (self.scenario.model_name,)

    @property
    def scenarios(self) -> dict[str, Scenario]:
        """Model -> the scenario its traffic runs: the story's, or steady."""
        return plan(self.models, self.scenario)

    def label_delay(self, timing: Timing) -> float:
        """The latest any model's labels arrive: how far back the windows reach for them."""
        return max(s.label_delay(timing) for s in self.scenarios.values())


class NativeStack:
    def __init__(self, options: StackOptions, say: Callable[[str], None] = print) -> None:
        self.options = options
        self.say = say
        self.home = options.home.resolve()
        self.topology = topology.services(options.model_names)
        self.ports: dict[str, int] = {}
        for service in self.topology:
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

    def serving_name(self, model: str, alias: str) -> str:
        """The service name of ``model``'s server following ``alias`` in this stack."""
        return topology.for_model(f"serving-{alias}", model, self.options.model_names)

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
            # The default model: `POST /predict` without a model in the path goes to it.
            DRIFTLINE_MODEL_NAME=self.options.model_names[0],
            DRIFTLINE_TIMING=self.options.timing.name,
            PYTHONUNBUFFERED="1",
        )
        return env

    def _service_env(self, name: str) -> dict[str, str]:
        t = self.options.timing
        env = self.base_env()
        if name == topology.MLFLOW.name:
            env.update(MLFLOW_ENV)
        elif name.startswith("serving-"):
            env["DRIFTLINE_RUN_DIR"] = str(self.home / "run" / name)
            env["DRIFTLINE_RELOAD_INTERVAL"] = str(t.reload_interval_seconds)
        elif name == "exporter":
            env["DRIFTLINE_EXPORTER_INTERVAL_SECONDS"] = str(t.exporter_interval_seconds)
            if t.exporter_window_seconds is not None:
                env["DRIFTLINE_EXPORTER_WINDOW_SECONDS"] = str(t.exporter_window_seconds)
                # Labels of the window's predictions arrive this late: reach back as far.
                env["DRIFTLINE_EXPORTER_LABEL_WINDOW_SECONDS"] = str(
                    t.exporter_window_seconds + self.options.label_delay(t)
                )
        elif name in ("receiver", "router", "worker"):
            retrain = [
                self._bin("driftline"), "retrain",
                "--window-seconds",
                str(t.retrain_window_seconds + self.options.label_delay(t)),
                # The story's (bad-retrain's margin); steady models never retrain.
                *self.options.scenario.retrain_args,
            ]  # fmt: skip
            env.pop("DRIFTLINE_VARIANTS", None)  # with DRIFTLINE_ROUTES: a configuration error
            env.update(
                DRIFTLINE_WEBHOOK_TOKEN_FILE=str(self.token_file),
                DRIFTLINE_ROUTES=routes_json(
                    {
                        model: (
                            self.url(self.serving_name(model, "champion")),
                            self.url(self.serving_name(model, "challenger")),
                        )
                        for model in self.options.model_names
                    },
                    CHAMPION_WEIGHT,
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
        urls = {name: self.url(name) for name in self.ports}
        argv = service.command(home=self.home, host=HOST, port=port, url=urls, **extra)
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
        path = ready_path(managed.name)
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
            *(self._start(s) for s in self.topology if s.name.startswith("serving-")),
            self._start(topology.EXPORTER),
            self._start(topology.RECEIVER),
            self._start(topology.ROUTER),
            self._start(topology.WORKER),
        ]
        for managed in group:
            self._wait(managed)
        prometheus_yml, alertmanager_yml = render_stack_config(
            self.home / "config",
            addresses={
                name: [self.address(name)]
                for name in self.ports
                if name.startswith("serving-") or name in ("exporter", "receiver", "alertmanager")
            },
            token_file=self.token_file,
            timing=self.options.timing,
            models=self.options.model_names,
            retrain_on_estimate=self.options.retrain_on_estimate,
            runbook_base_url=runbook_base_url(),
        )  # fmt: skip
        self._wait(self._start(topology.ALERTMANAGER, alertmanager_config=alertmanager_yml))
        self._wait(self._start(topology.PROMETHEUS, prometheus_config=prometheus_yml))
        for line in self.describe():
            self.say(line)

    def _bootstrap(self) -> None:
        """Run every model's trainer (its data set: churn customers, or houses), side by side.

        A trainer is one process and mostly one core, so two models train at once in little
        more than the time of one on two cores. The experiment they share is created first:
        two trainers creating it at once would race.
        """
        settings = Settings.from_env(self.base_env())
        ensure_experiment(MlflowClient(settings.tracking_uri, settings.registry_uri), settings)
        started = time.monotonic()
        runs = [
            spawn(
                trainer.name,
                self._argv(trainer),
                env=self.base_env(),
                log=self.home / "logs" / f"{trainer.name}.log",
                cwd=REPO_ROOT,
            )
            for trainer in (topology.trainer(m, self.options.model_names)
                            for m in self.options.model_names)
        ]  # fmt: skip
        try:
            for run in runs:
                self._finish_trainer(run, deadline=started + TRAINER_TIMEOUT_SECONDS)
        finally:
            stop_all(runs)  # only those still running: after a failure, the others
        self.say(f"trainer         done in {time.monotonic() - started:.1f}s")

    def _finish_trainer(self, run: Managed, deadline: float) -> None:
        try:
            code = run.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise StartupError(
                f"{run.name} did not finish within {TRAINER_TIMEOUT_SECONDS:.0f}s; "
                f"log {run.log}:\n{run.log_tail()}"
            ) from None
        if code != 0:
            raise StartupError(f"{run.name} failed with exit code {code}:\n{run.log_tail()}")
        for line in run.log.read_text(errors="replace").splitlines():
            if line.startswith(("champion:", "challenger:")):
                self.say(f"trainer         {line}")

    def start_traffic(self) -> subprocess.Popen[str]:
        """The traffic generator, with its output as a text pipe for the timeline."""
        # Rate, label delay and steady phase come from DRIFTLINE_TIMING in the environment.
        argv = [
            *self._argv(topology.traffic(self.options.model_names)),
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
        lines = []
        for model in self.options.model_names:
            a, b = self.serving_name(model, "champion"), self.serving_name(model, "challenger")
            lines += [
                f"{f'{model} A':<15} {self.url(a)}/ready  (follows champion)",
                f"{f'{model} B':<15} {self.url(b)}/ready  (follows challenger)",
            ]
        models = "|".join(self.options.model_names)
        return [
            *lines,
            f"exporter        {self.url('exporter')}/  (drift report: /report)",
            f"PHP receiver    {self.url('receiver')}/  (dashboard page, /jobs)",
            f"PHP router      {self.url('router')}/predict/{{{models}}}",
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
