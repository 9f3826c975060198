"""docker-compose.yml and docker/: what the containers would run, checked without a Docker engine.

- `docker-compose config` accepts the file; its normalised output is what the checks read.
- Every command is stack/topology.py's command with the compose values (the receiver is the
  documented exception: nginx + php-fpm serve the same docroot `php -S` serves natively).
- Everything compose mounts, builds from or uses as a secret exists; every Dockerfile COPY
  source exists and is not excluded by .dockerignore; images run as a non-root user.
- The monitoring config compose runs is the renderer's output for the compose command line,
  checked with promtool/amtool; Grafana mounts the provisioning and dashboards the monitoring
  tests check; the environment is accepted by the project's own settings parsers.
- nginx and php-fpm run natively with docker/nginx.conf and docker/php-fpm.conf (container
  addresses swapped for loopback ones) and answer through to php/public/index.php.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement

from cli.main import build_parser
from cli.main import main as driftline_main
from driftline.alert_contract import WEBHOOK_PATH, WEBHOOK_TOKEN_FILE_ENV
from driftline.timing import FAST, timing_from_env
from stack import topology
from stack.native import CHAMPION_WEIGHT
from stack.processes import free_port
from stack.routes import routes_json
from tests.support.build_context import dockerignore_patterns, ignored
from tests.support.processes import running

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKER_DIR = REPO / "docker"

# Where things live inside the containers (docker/*.Dockerfile, docker-compose.yml).
HOME = "/var/lib/driftline"
APP = "/app"
CONFIG_DIR = "/config"
SECRET_NAME = "driftline_webhook_token"
SECRET_PATH = f"/run/secrets/{SECRET_NAME}"
# Services compose has beyond stack/topology.py's list.
COMPOSE_ONLY = {"config", "receiver-fpm", "grafana"}
# The receiver is nginx in front of php-fpm instead of `php -S` (same php/public).
NOT_TOPOLOGY_COMMAND = {topology.RECEIVER.name}

TOPOLOGY_VALUES: Mapping[str, object] = {
    "host": "0.0.0.0",
    "home": HOME,
    "prometheus_config": f"{CONFIG_DIR}/prometheus/prometheus.yml",
    "alertmanager_config": f"{CONFIG_DIR}/alertmanager/alertmanager.yml",
    # Each service by its compose name (DNS) and the port it listens on.
    "url": {s.name: f"http://{s.name}:{s.port}" for s in topology.SERVICES if s.port},
}
# The inference servers of each demo model: (champion, challenger).
SERVING = {
    model: (topology.serving(model, "champion"), topology.serving(model, "challenger"))
    for model in topology.DEMO_MODELS
}


# --- reading the compose file -------------------------------------------------------------


def compose_config(extra_env: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_WEBHOOK_TOKEN")}
    env.update(extra_env or {})
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE_FILE), "config"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0, f"docker-compose config failed:\n{result.stderr}"
    loaded = yaml.safe_load(result.stdout)
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is not installed (scripts/install.sh installs it)")
    return compose_config()


@pytest.fixture(scope="module")
def services(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(config["services"])


def is_one_shot(service: Mapping[str, Any]) -> bool:
    return str(service.get("restart", "no")) == "no"


@dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool

    @property
    def is_bind(self) -> bool:
        return self.source.startswith("/") or self.source.startswith(".")


def mounts(service: Mapping[str, Any]) -> list[Mount]:
    out = []
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            out.append(Mount(entry["source"], entry["target"], bool(entry.get("read_only"))))
        else:
            parts = str(entry).split(":")
            out.append(Mount(parts[0], parts[1], len(parts) > 2 and "ro" in parts[2].split(",")))
    return out


def listening_port(command: list[str]) -> int:
    """The port a service command listens on (--port N or a host:port listen address)."""
    if "--port" in command:
        return int(command[command.index("--port") + 1])
    for arg in command:
        m = re.match(r"--web\.listen-address=.*:(\d+)$", arg)
        if m:
            return int(m.group(1))
    raise AssertionError(f"no listening port in {command}")


# --- reading the Dockerfiles --------------------------------------------------------------


@dataclass
class Stage:
    name: str | None
    base: str
    workdir: str = "/"
    copies: list[tuple[list[str], str]] = field(default_factory=list)  # (sources, container dest)
    users: list[str] = field(default_factory=list)
    healthcheck: bool = False
    copied_from: list[str] = field(default_factory=list)  # stages of `COPY --from=STAGE`


def dockerfile_stages(path: Path) -> list[Stage]:
    """The stages of a Dockerfile with their COPY, USER, WORKDIR and HEALTHCHECK lines."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            parent = next((s for s in stages if s.name == words[0]), None)
            stage = Stage(name, words[0])
            if parent is not None:  # FROM an earlier stage inherits its files and user
                stage.workdir = parent.workdir
                stage.copies = list(parent.copies)
                stage.users = list(parent.users)
                stage.healthcheck = parent.healthcheck
            stages.append(stage)
        elif keyword == "WORKDIR":
            stages[-1].workdir = os.path.join(stages[-1].workdir, rest.strip())
        elif keyword == "COPY":
            words = shlex.split(rest)
            source_stage = next(
                (w[len("--from=") :] for w in words if w.startswith("--from=")), None
            )
            words = [w for w in words if not w.startswith("--")]
            if source_stage is not None:  # from another stage, not from the build context
                stages[-1].copied_from.append(source_stage)
                continue
            dest = os.path.join(stages[-1].workdir, words[-1])
            stages[-1].copies.append((words[:-1], dest))
        elif keyword == "USER":
            stages[-1].users.append(rest.strip())
        elif keyword == "HEALTHCHECK":
            stages[-1].healthcheck = not rest.strip().upper().startswith("NONE")
    return stages


def built_stage(service: Mapping[str, Any]) -> Stage:
    build = service["build"]
    stages = dockerfile_stages(Path(build["context"]) / build["dockerfile"])
    target = build.get("target")
    return next(s for s in stages if s.name == target) if target else stages[-1]


# --- the compose file as such -------------------------------------------------------------


def test_compose_config_accepts_an_own_token_file(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("not-the-demo-token\n")
    cfg = compose_config({"DRIFTLINE_WEBHOOK_TOKEN_HOST_FILE": str(token)})
    assert cfg["secrets"][SECRET_NAME]["file"] == str(token)


def test_services_are_the_topology_plus_compose_only_ones(services: dict[str, Any]) -> None:
    assert set(services) == {s.name for s in topology.SERVICES} | COMPOSE_ONLY


@pytest.mark.parametrize(
    "name", [s.name for s in topology.SERVICES if s.name not in NOT_TOPOLOGY_COMMAND]
)
def test_command_is_the_topology_command(services: dict[str, Any], name: str) -> None:
    service = topology.BY_NAME[name]
    expected = service.command(port=service.port, **TOPOLOGY_VALUES)
    assert services[name]["command"] == expected


def test_receiver_is_nginx_and_php_fpm_serving_the_topology_docroot(
    services: dict[str, Any],
) -> None:
    argv = topology.RECEIVER.argv
    docroot = argv[argv.index("-t") + 1]
    nginx_conf = (DOCKER_DIR / "nginx.conf").read_text()
    assert f"root {APP}/{docroot};" in nginx_conf
    assert f"listen {topology.RECEIVER.port};" in nginx_conf
    assert (REPO / docroot / "index.php").is_file()
    # nginx reaches the pool at the address the pool listens on, by compose service name.
    upstream = re.search(r"server (\S+):(\d+);", nginx_conf)
    assert upstream is not None and upstream.group(1) in services
    fpm_listen = re.search(
        r"^listen = 0\.0\.0\.0:(\d+)$", (DOCKER_DIR / "php-fpm.conf").read_text(), re.MULTILINE
    )
    assert fpm_listen is not None and fpm_listen.group(1) == upstream.group(2)
    assert services[upstream.group(1)]["command"][0].startswith("php-fpm")
    assert "/etc/driftline/nginx.conf" in services["receiver"]["command"]


def test_driftline_commands_parse_with_the_real_cli(services: dict[str, Any]) -> None:
    parser = build_parser()
    checked = 0
    for name, service in services.items():
        command = service.get("command", [])
        if command[:1] == ["driftline"]:
            try:
                parser.parse_args(command[1:])
            except SystemExit:
                pytest.fail(f"{name}: `{shlex.join(command)}` is refused by the driftline CLI")
            checked += 1
    retrain = shlex.split(services["worker"]["environment"]["DRIFTLINE_RETRAIN_COMMAND"])
    assert retrain[:2] == ["driftline", "retrain"]
    parser.parse_args([*retrain[1:], "--name", "churn", "--job-id", "1", "--reason", "{}"])
    assert checked >= 6


def test_every_mounted_built_and_secret_file_exists(
    config: dict[str, Any], services: dict[str, Any]
) -> None:
    for name, service in services.items():
        for mount in mounts(service):
            if mount.is_bind:
                assert Path(mount.source).exists(), f"{name} mounts missing {mount.source}"
            else:
                assert mount.source in config["volumes"], f"{name}: undeclared {mount.source}"
        if "build" in service:
            context = Path(service["build"]["context"])
            assert context == REPO
            assert (context / service["build"]["dockerfile"]).is_file()
        else:
            assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+", service["image"]), (
                f"{name}: third-party image must be pinned by version tag"
            )
    for secret in config["secrets"].values():
        assert Path(secret["file"]).is_file() and Path(secret["file"]).read_text().strip()


def test_the_python_image_copies_every_installed_package() -> None:
    find = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    packages = {pattern.split(".")[0].rstrip("*") for pattern in find["find"]["include"]}
    app = next(s for s in dockerfile_stages(DOCKER_DIR / "python.Dockerfile") if s.name == "app")
    copied = {dest for sources, dest in app.copies for source in sources if source in packages}
    assert copied == {f"{APP}/{package}" for package in packages}


def test_every_copy_source_exists_and_is_in_the_build_context() -> None:
    patterns = dockerignore_patterns()
    dockerfiles = sorted(DOCKER_DIR.glob("*.Dockerfile"))
    assert len(dockerfiles) >= 4
    for dockerfile in dockerfiles:
        for stage in dockerfile_stages(dockerfile):
            for sources, _ in stage.copies:
                for source in sources:
                    assert (REPO / source).exists(), f"{dockerfile.name}: COPY {source} missing"
                    assert not ignored(source, patterns), (
                        f"{dockerfile.name}: COPY {source} is excluded by .dockerignore"
                    )


def test_container_paths_in_commands_are_copied_into_the_image(services: dict[str, Any]) -> None:
    """/app/... and /etc/driftline/... in commands and healthchecks exist in the image."""
    for name, service in services.items():
        if "build" not in service:
            continue
        stage = built_stage(service)
        words = [*service.get("command", []), *service.get("healthcheck", {}).get("test", [])]
        for word in words:
            for path in re.findall(r"(?:/app|/etc/driftline)/[\w./-]+", str(word)):
                assert any(
                    path == dest or path.startswith(dest.rstrip("/") + "/")
                    for _, dest in stage.copies
                ), f"{name}: {path} is not in its image"
        relative = [w for w in service.get("command", []) if w.startswith("php/")]
        for word in relative:  # relative to the image's WORKDIR
            assert stage.workdir == APP and (REPO / word).is_file(), f"{name}: {word}"


def test_images_run_as_a_non_root_user(services: dict[str, Any]) -> None:
    for dockerfile in sorted(DOCKER_DIR.glob("*.Dockerfile")):
        stages = dockerfile_stages(dockerfile)
        # A stage whose files other stages copy is a build step: it never runs as a container.
        build_steps = {name for stage in stages for name in stage.copied_from}
        for stage in stages:
            if stage.name in build_steps:
                continue
            assert stage.users, f"{dockerfile.name} stage {stage.name}: no USER"
            assert stage.users[-1] not in ("root", "0", "0:0"), f"{dockerfile.name}: runs as root"
            assert stage.healthcheck, f"{dockerfile.name} stage {stage.name}: no HEALTHCHECK"
    for name, service in services.items():
        if "build" not in service:
            assert str(service.get("user", "0")) not in ("0", "root"), f"{name} runs as root"


def test_healthchecks_and_start_order(services: dict[str, Any]) -> None:
    for name, service in services.items():
        health = service.get("healthcheck", {})
        # `disable: true` comes out of `docker-compose config` as `test: [NONE]`.
        disabled = health.get("disable") is True or health.get("test") == ["NONE"]
        if is_one_shot(service):
            # The Python image's default check probes a port one-shots do not open.
            assert disabled, f"one-shot {name} must disable its healthcheck"
        else:
            assert health.get("test") and not disabled, f"{name}: no healthcheck"
        for dependency, spec in service.get("depends_on", {}).items():
            condition = spec["condition"]
            if is_one_shot(services[dependency]):
                assert condition == "service_completed_successfully", f"{name} -> {dependency}"
            else:
                assert condition == "service_healthy", f"{name} -> {dependency}"
    assert "depends_on" not in services["mlflow"] and "depends_on" not in services["config"]
    for model, pair in SERVING.items():
        trainer = topology.trainer(model).name
        for name in (*(s.name for s in pair), "exporter", "worker"):
            assert trainer in services[name]["depends_on"], (name, trainer)
        for server in pair:  # traffic starts once every model answers
            assert server.name in services["traffic"]["depends_on"]
    for name in ("prometheus", "alertmanager"):
        assert "config" in services[name]["depends_on"]


def test_inference_servers_may_finish_requests_before_being_killed(
    services: dict[str, Any],
) -> None:
    gunicorn_conf = (REPO / "serving" / "gunicorn.conf.py").read_text()
    graceful = re.search(r"^graceful_timeout = (\d+)$", gunicorn_conf, re.MULTILINE)
    assert graceful is not None
    for name in (s.name for pair in SERVING.values() for s in pair):
        grace = re.fullmatch(r"(\d+)s", str(services[name].get("stop_grace_period", "10s")))
        assert grace is not None and int(grace.group(1)) > int(graceful.group(1)), name


def test_published_ports_are_loopback_only_and_documented(services: dict[str, Any]) -> None:
    doc = (REPO / "docs" / "compose.md").read_text()
    for name, service in services.items():
        for port in service.get("ports", []):
            published = port if isinstance(port, dict) else {"raw": port}
            text = json.dumps(published)
            assert "127.0.0.1" in text, f"{name} publishes {port} beyond loopback"
            number = re.search(r":(\d+):\d+", str(port)) or re.search(r'"published": "?(\d+)', text)
            assert number is not None
            assert re.search(rf"\| `?{re.escape(name)}`? \| {number.group(1)} \|", doc), (
                f"docs/compose.md has no table row for {name} port {number.group(1)}"
            )


def test_the_webhook_token_is_a_secret_file_not_in_the_compose_file(
    config: dict[str, Any], services: dict[str, Any]
) -> None:
    token = Path(config["secrets"][SECRET_NAME]["file"]).read_text().strip()
    compose_text = COMPOSE_FILE.read_text()
    assert token not in compose_text
    assert ignored("docker/secrets/webhook-token.demo-only", dockerignore_patterns())
    for name in ("alertmanager", "receiver-fpm"):
        assert [s["source"] for s in services[name]["secrets"]] == [SECRET_NAME], name
    assert services["receiver-fpm"]["environment"][WEBHOOK_TOKEN_FILE_ENV] == SECRET_PATH
    committed = yaml.safe_load((REPO / "alerting" / "alertmanager.yml").read_text())
    hook = committed["receivers"][1]["webhook_configs"][0]
    assert hook["http_config"]["authorization"]["credentials_file"] == SECRET_PATH
    for name, service in services.items():
        for key, value in service.get("environment", {}).items():
            if re.search(r"TOKEN|PASSWORD|SECRET|API_KEY", key):
                assert str(value).startswith("/run/secrets/"), f"{name}: {key} holds a value"
            if str(value).startswith("/run/secrets/"):  # the file is there
                secret = str(value).removeprefix("/run/secrets/")
                assert secret in [s["source"] for s in service.get("secrets", [])], (name, key)


# --- the files compose mounts are the tested ones -----------------------------------------


def render_like_compose(services: dict[str, Any], out: Path) -> None:
    """Run the `config` service's command, with the output folder moved to ``out``."""
    command = list(services["config"]["command"])
    command[command.index("--out") + 1] = str(out)
    assert driftline_main(command[1:]) == 0


def test_monitoring_config_is_the_rendered_one_and_valid(
    services: dict[str, Any], tmp_path: Path
) -> None:
    render_like_compose(services, tmp_path)
    prom_arg = next(a for a in services["prometheus"]["command"] if a.startswith("--config.file"))
    am_arg = next(a for a in services["alertmanager"]["command"] if a.startswith("--config.file"))
    prometheus_yml = tmp_path / Path(prom_arg.split("=", 1)[1]).relative_to(CONFIG_DIR)
    alertmanager_yml = tmp_path / Path(am_arg.split("=", 1)[1]).relative_to(CONFIG_DIR)
    check = subprocess.run(
        ["promtool", "check", "config", str(prometheus_yml)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    check = subprocess.run(
        ["amtool", "check-config", str(alertmanager_yml)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    for name in ("prometheus", "alertmanager"):
        assert Mount("monitoring-config", CONFIG_DIR, True) in mounts(services[name])
    assert Mount("monitoring-config", CONFIG_DIR, False) in mounts(services["config"])

    # The --fast demo intervals.
    prom = yaml.safe_load(prometheus_yml.read_text())
    assert prom["global"]["scrape_interval"] == FAST.scrape_interval
    # Every target is a compose service at the port its command listens on.
    for target_file in sorted((prometheus_yml.parent / "targets").glob("*.json")):
        for group in json.loads(target_file.read_text()):
            for target in group["targets"]:
                host, port = target.rsplit(":", 1)
                if host == topology.RECEIVER.name:  # nginx, on the port its config listens on
                    assert f"listen {port};" in (DOCKER_DIR / "nginx.conf").read_text()
                else:
                    assert int(port) == listening_port(services[host]["command"]), target
    # Alertmanager posts to the receiver with the secret compose mounts.
    am = yaml.safe_load(alertmanager_yml.read_text())
    hooks = [h for r in am["receivers"] for h in r.get("webhook_configs", [])]
    assert hooks and all(
        h["url"] == f"http://receiver:{topology.RECEIVER.port}{WEBHOOK_PATH}"
        and h["http_config"]["authorization"]["credentials_file"] == SECRET_PATH
        for h in hooks
    )


def test_prometheus_discovers_every_champion_replica(
    services: dict[str, Any], tmp_path: Path
) -> None:
    render_like_compose(services, tmp_path)
    prom = yaml.safe_load((tmp_path / "prometheus" / "prometheus.yml").read_text())
    serving = next(j for j in prom["scrape_configs"] if j["job_name"] == "driftline-serving")
    names = [n for sd in serving.get("dns_sd_configs", []) for n in sd.get("names", [])]
    assert "serving-champion" in names
    # Each discovered name is scraped on the port its service's command listens on.
    for sd in serving["dns_sd_configs"]:
        for name in sd["names"]:
            assert sd["port"] == listening_port(services[name]["command"]), name


def test_grafana_mounts_the_checked_provisioning_and_dashboards(services: dict[str, Any]) -> None:
    grafana = services["grafana"]
    by_target = {m.target: m for m in mounts(grafana)}
    provisioning = by_target["/etc/grafana/provisioning"]
    assert Path(provisioning.source) == REPO / "grafana" / "provisioning" and provisioning.read_only
    provider = yaml.safe_load((REPO / "grafana/provisioning/dashboards/driftline.yml").read_text())
    dashboards_path = provider["providers"][0]["options"]["path"]
    dashboards = by_target[dashboards_path]
    assert Path(dashboards.source) == REPO / "dashboards" and dashboards.read_only
    env = grafana["environment"]
    home = env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home.startswith(dashboards_path + "/")
    assert (REPO / "dashboards" / home.removeprefix(dashboards_path + "/")).is_file()
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"
    source = yaml.safe_load((REPO / "grafana/provisioning/datasources/driftline.yml").read_text())
    url = source["datasources"][0]["url"]
    assert url == f"http://prometheus:{listening_port(services['prometheus']['command'])}"


# --- the environment ----------------------------------------------------------------------


def test_python_environment_is_accepted_and_matches_the_fast_demo(
    services: dict[str, Any],
) -> None:
    from driftline.config import Settings
    from exporter.settings import ExporterConfig
    from serving.config import ServingConfig

    servers = [s.name for pair in SERVING.values() for s in pair]
    trainers = [topology.trainer(model).name for model in SERVING]
    for name in (*trainers, *servers, "exporter", "worker"):
        settings = Settings.from_env(dict(services[name]["environment"]))
        assert settings.tracking_uri == f"http://mlflow:{topology.MLFLOW.port}", name
        assert settings.prediction_db_url == f"sqlite:///{HOME}/predictions.db", name
        # Artifacts go through the server (--serve-artifacts), not to a container-local path.
        assert settings.artifact_root is None, name
    for name in servers:
        serving = ServingConfig.from_env(dict(services[name]["environment"]))
        assert serving.reload_interval_seconds == FAST.reload_interval_seconds
        # Per container: replicas of one deployment must not share a multiprocess folder.
        assert serving.run_dir is not None and not str(serving.run_dir).startswith(HOME)
    # The traffic generator reads its rate, label delay and steady phase from this profile.
    assert timing_from_env(dict(services["traffic"]["environment"])) is FAST
    exporter = ExporterConfig.from_env(dict(services["exporter"]["environment"]))
    assert exporter.interval_seconds == FAST.exporter_interval_seconds
    assert exporter.window_seconds == FAST.exporter_window_seconds
    # State the services share is on the one shared volume.
    for name in (*servers, "exporter", "worker", "receiver-fpm"):
        assert Mount("driftline-state", HOME, False) in mounts(services[name]), name


def test_php_environment_is_accepted_and_matches_the_native_split(
    services: dict[str, Any],
) -> None:
    for name in ("receiver-fpm", "router", "worker"):
        env = {"PATH": os.environ["PATH"], **services[name]["environment"]}
        script = (
            "require 'php/src/autoload.php';"
            "$s = Driftline\\Config\\Settings::fromEnvironment(getenv());"
            "$t = Driftline\\Router\\RouteTable::fromEnvironment("
            "$s->routes(), $s->variants(), $s->modelName());"
            "echo json_encode([$s->cooldownSeconds(), $s->pollSeconds(), $s->retrainCommand(),"
            " $t->models(), $t->defaultModel()]);"
        )
        result = subprocess.run(
            ["php", "-r", script], capture_output=True, text=True, env=env, cwd=REPO, timeout=30
        )
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"
        cooldown, _, command, routed, default = json.loads(result.stdout)
        assert (routed, default) == (list(topology.DEMO_MODELS), topology.DEMO_MODELS[0])
        assert cooldown == FAST.retrain_cooldown_seconds
        assert shlex.split(command) == [
            "driftline",
            "retrain",
            "--window-seconds",
            str(FAST.retrain_window_seconds),
        ]
    # The routes are what stack/routes.py renders for the compose addresses, every model
    # with the native split; `POST /predict` goes to the first (default) model.
    urls = TOPOLOGY_VALUES["url"]
    assert isinstance(urls, dict)
    expected = routes_json(
        {model: (urls[a.name], urls[b.name]) for model, (a, b) in SERVING.items()}, CHAMPION_WEIGHT
    )
    for name in ("receiver-fpm", "router", "worker"):
        env = services[name]["environment"]
        assert json.loads(env["DRIFTLINE_ROUTES"]) == json.loads(expected), name
        assert env["DRIFTLINE_MODEL_NAME"] == topology.DEMO_MODELS[0]
        assert "DRIFTLINE_VARIANTS" not in env, f"{name}: both DRIFTLINE_VARIANTS and ROUTES"


def test_mlflow_admits_the_service_name_as_host(services: dict[str, Any]) -> None:
    from mlflow.server.security_utils import is_allowed_host_header

    allowed = services["mlflow"]["environment"]["MLFLOW_SERVER_ALLOWED_HOSTS"].split(",")
    port = topology.MLFLOW.port
    assert is_allowed_host_header(allowed, f"mlflow:{port}")  # the other containers
    assert is_allowed_host_header(allowed, f"localhost:{port}")  # a browser on the host
    assert is_allowed_host_header(allowed, f"127.0.0.1:{port}")
    assert not is_allowed_host_header(allowed, f"attacker.example:{port}")


def test_mlflow_runs_with_the_native_stacks_settings(services: dict[str, Any]) -> None:
    from stack.native import MLFLOW_ENV

    environment = services["mlflow"]["environment"]
    assert {k: environment.get(k) for k in MLFLOW_ENV} == MLFLOW_ENV


def test_images_pin_the_tested_dependency_versions() -> None:
    pins: dict[str, str] = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not NAME==VERSION"
            pins[name.lower().replace("_", "-")] = version
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    # The base dependencies and the `postgres` extra (--build-arg DRIFTLINE_EXTRAS=postgres).
    for spec in [*project["dependencies"], *project["optional-dependencies"]["postgres"]]:
        req = Requirement(spec)
        key = req.name.lower().replace("_", "-")
        assert key in pins, f"{req.name} is not pinned in constraints.txt"
        assert req.specifier.contains(pins[key], prereleases=True), f"{req.name}=={pins[key]}"
        assert pins[key] == importlib.metadata.version(req.name), (
            f"{req.name}: constraints.txt has {pins[key]}, .venv has "
            f"{importlib.metadata.version(req.name)}; regenerate the constraints"
        )


# --- nginx and php-fpm with the images' config, natively ----------------------------------


def unprivileged(argv: list[str]) -> list[str]:
    """Run as `nobody` when the suite runs as root, as the containers do not run as root."""
    if os.geteuid() != 0:
        return argv
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv]


def owned_by_runner(path: Path) -> Path:
    """A log file the unprivileged process may reopen (php-fpm reopens /proc/self/fd/2)."""
    path.touch()
    if os.geteuid() == 0:
        shutil.chown(path, "nobody", "nogroup")
    return path


def substituted(text: str, replacements: Mapping[str, str]) -> str:
    """``text`` with container-only values replaced; each must occur, so drift is noticed.

    One pass over the original text: a replacement is never rewritten by a later one
    (the checkout's own path may contain another pattern, e.g. a clone under /tmp/).
    """
    for old in replacements:
        assert old in text, f"expected {old!r} in the config"
    # Longest first, so a pattern that starts another one does not shadow it.
    pattern = "|".join(re.escape(old) for old in sorted(replacements, key=len, reverse=True))
    return re.sub(pattern, lambda match: replacements[match.group(0)], text)


def test_substitution_leaves_replaced_text_alone() -> None:
    # A checkout under /tmp/ once had its document root rewritten by the "/tmp/" swap.
    config = "root /app/php/public;\npid /tmp/nginx.pid;\n"
    swapped = {"root /app/php/public;": "root /tmp/clone/php/public;", "/tmp/": "/work/x/"}
    assert substituted(config, swapped) == "root /tmp/clone/php/public;\npid /work/x/nginx.pid;\n"


@dataclass(frozen=True)
class LocalReceiver:
    work: Path
    fpm_conf: Path
    nginx_conf: Path
    fpm_port: int
    http_port: int


@pytest.fixture
def local_receiver() -> Iterator[LocalReceiver]:
    for binary in ("nginx", "php-fpm8.2", "cgi-fcgi"):
        if shutil.which(binary) is None:
            pytest.skip(
                f"{binary} not installed (apt-get install nginx-light php8.2-fpm "
                "libfcgi-bin): docker/nginx.conf and docker/php-fpm.conf unchecked"
            )
    # Under /tmp rather than pytest's 0700 tmp_path, so the unprivileged user can enter it.
    with tempfile.TemporaryDirectory(prefix="driftline-compose-") as raw:
        work = Path(raw)
        work.chmod(0o777)
        fpm_port, http_port = free_port(), free_port()
        fpm_conf = work / "php-fpm.conf"
        fpm_conf.write_text(
            substituted(
                (DOCKER_DIR / "php-fpm.conf").read_text(),
                {"listen = 0.0.0.0:9000": f"listen = 127.0.0.1:{fpm_port}"},
            )
        )
        nginx_conf = work / "nginx.conf"
        nginx_conf.write_text(
            substituted(
                (DOCKER_DIR / "nginx.conf").read_text(),
                {
                    "server receiver-fpm:9000;": f"server 127.0.0.1:{fpm_port};",
                    "listen 8080;": f"listen 127.0.0.1:{http_port};",
                    f"root {APP}/php/public;": f"root {REPO}/php/public;",
                    "/tmp/": f"{work}/",
                },
            )
        )
        yield LocalReceiver(work, fpm_conf, nginx_conf, fpm_port, http_port)


def test_nginx_and_php_fpm_accept_their_configs(local_receiver: LocalReceiver) -> None:
    log = owned_by_runner(local_receiver.work / "check.log")
    with log.open("a") as out:
        fpm = subprocess.run(
            unprivileged(["php-fpm8.2", "-t", "--fpm-config", str(local_receiver.fpm_conf)]),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=30,
        )
        nginx = subprocess.run(
            unprivileged(["nginx", "-t", "-e", "stderr", "-c", str(local_receiver.nginx_conf)]),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=30,
        )
    assert (fpm.returncode, nginx.returncode) == (0, 0), log.read_text()


def test_nginx_serves_the_receiver_through_php_fpm(local_receiver: LocalReceiver) -> None:
    r = local_receiver
    home = r.work / "home"
    home.mkdir(mode=0o777)
    home.chmod(0o777)
    token = r.work / "token"
    token.write_text("local-test-token\n")
    token.chmod(0o644)
    env = {**os.environ, "DRIFTLINE_HOME": str(home), WEBHOOK_TOKEN_FILE_ENV: str(token)}
    fpm_argv = unprivileged(["php-fpm8.2", "--nodaemonize", "--fpm-config", str(r.fpm_conf)])
    nginx_argv = unprivileged(
        ["nginx", "-e", "stderr", "-c", str(r.nginx_conf), "-g", "daemon off;"]
    )
    base = f"http://127.0.0.1:{r.http_port}"
    with (
        running(fpm_argv, ready_url=None, log=owned_by_runner(r.work / "fpm.log"), env=env),
        running(
            nginx_argv,
            ready_url=f"{base}/health",
            log=owned_by_runner(r.work / "nginx.log"),
            timeout=30,
        ),
    ):
        with urllib.request.urlopen(f"{base}/health", timeout=5) as resp:
            assert json.loads(resp.read()) == {"status": "ok"}
        # 401, not 503: the token file setting reached PHP (clear_env = no) and was read.
        request = urllib.request.Request(
            f"{base}{WEBHOOK_PATH}",
            data=b"{}",
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": "Bearer wrong"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 401
        # Above the receiver's 1 MiB limit: nginx lets it through, so the client gets the
        # receiver's JSON 413 rather than nginx's HTML page.
        oversized = urllib.request.Request(
            f"{base}{WEBHOOK_PATH}",
            data=b" " * 1_200_000,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": "Bearer local-test-token",
            },
        )
        with pytest.raises(urllib.error.HTTPError) as too_large:
            urllib.request.urlopen(oversized, timeout=5)
        assert too_large.value.code == 413
        assert json.loads(too_large.value.read())["error"]["code"] == "payload_too_large"
        # The image's healthcheck command, verbatim, against this pool.
        fpm_check = services_healthcheck_shell("receiver-fpm").replace(
            "127.0.0.1:9000", f"127.0.0.1:{r.fpm_port}"
        )
        assert subprocess.run(["sh", "-c", fpm_check], timeout=30).returncode == 0


def services_healthcheck_shell(name: str) -> str:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    test = compose["services"][name]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    return str(test[1])


# --- docker/probe.py, the Python image's healthcheck --------------------------------------


class _StatusHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = int(self.path.strip("/"))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_probe_exit_codes() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StatusHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/"  # bound, not listening: refused
        try:
            codes = {
                url: subprocess.run(
                    [sys.executable, str(DOCKER_DIR / "probe.py"), url],
                    capture_output=True,
                    timeout=30,
                ).returncode
                for url in (f"{base}/200", f"{base}/204", f"{base}/503", f"{base}/404", closed)
            }
        finally:
            server.shutdown()
            server.server_close()
    assert list(codes.values()) == [0, 0, 1, 1, 1]
    no_url = subprocess.run(
        [sys.executable, str(DOCKER_DIR / "probe.py")],
        capture_output=True,
        env={"PATH": os.environ["PATH"]},
        timeout=30,
    )
    assert no_url.returncode == 2
