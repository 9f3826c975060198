"""deploy/kubernetes/: valid against the Kubernetes API schemas, hardened, and wired together
the way the compose stack is (names, ports, probes, secrets)."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from driftline.monitoring_render import JOB_EXPORTER, JOB_RECEIVER, JOB_SERVING
from serving.openapi import document
from tests.kubernetes.manifests import (
    BASE,
    OPERATOR_KINDS,
    REPO,
    containers,
    kustomization,
    named,
    objects,
    of_kind,
    pod_specs,
    resource_files,
    selects,
)

# The oldest Kubernetes the base is meant for (autoscaling/v2, pod security admission) and
# the newest whose schemas kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
SECRETS = {"driftline-postgres": {"url"}, "driftline-webhook-token": {"token"}}
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())


class _GoYamlLoader(yaml.SafeLoader):
    """kustomize writes a bare ``=`` (a matchType), which YAML 1.1 reads as a special tag."""


def _plain(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return str(loader.construct_scalar(node))


_GoYamlLoader.add_constructor("tag:yaml.org,2002:value", _plain)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_core_object_validates_against_the_kubernetes_api_schemas(version: str) -> None:
    core = [o for o in objects() if o["kind"] not in OPERATOR_KINDS]
    assert {o["kind"] for o in core} >= {"Deployment", "Service", "HorizontalPodAutoscaler"}
    for obj in core:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            raise AssertionError(f"{obj['kind']} {obj['metadata']['name']}: {exc.message}") from exc


def test_a_misspelt_field_is_refused_by_the_validator() -> None:
    deployment = named("Deployment", "exporter")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def test_the_kustomization_lists_every_manifest_once() -> None:
    listed = [p.relative_to(BASE) for p in resource_files()]
    on_disk = sorted(p.relative_to(BASE) for p in BASE.rglob("*.yaml"))
    on_disk.remove(BASE.joinpath("kustomization.yaml").relative_to(BASE))
    assert sorted(listed) == on_disk
    assert len(set(listed)) == len(listed)
    assert kustomization()["namespace"] == "driftline"
    assert named("Namespace", "driftline")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl missing")
def test_kubectl_kustomize_builds_the_base() -> None:
    """The install command's first half, offline: kustomize renders every object."""
    done = subprocess.run(["kubectl", "kustomize", str(BASE)], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    built = [d for d in yaml.load_all(done.stdout, Loader=_GoYamlLoader) if d]
    assert len(built) == len(objects())
    namespaced = [d for d in built if d["kind"] != "Namespace"]
    assert {d["metadata"]["namespace"] for d in namespaced} == {"driftline"}
    images = {c["image"] for d in built if d["kind"] == "Deployment"
              for c in d["spec"]["template"]["spec"]["containers"]}  # fmt: skip
    assert images == {f"{i['newName']}:{i['newTag']}" for i in kustomization()["images"]}


def test_every_image_is_one_the_kustomization_can_point_elsewhere() -> None:
    names = {i["name"] for i in kustomization()["images"]}
    assert {c["image"] for _, _, c in containers()} == names


def test_pods_run_non_root_on_read_only_root_filesystems_without_capabilities() -> None:
    for name, pod in pod_specs():
        assert pod["automountServiceAccountToken"] is False, name
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True and context["runAsUser"] != 0, name
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name
    for name, _, container in containers():
        where = f"{name}/{container['name']}"
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True, where
        assert context["allowPrivilegeEscalation"] is False, where
        assert context["capabilities"] == {"drop": ["ALL"]}, where


def _quantity(text: str | int) -> float:
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    found = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|Gi)?", str(text))
    assert found, text
    return float(found.group(1)) * units.get(found.group(2) or "", 1)


def test_every_container_has_requests_below_its_limits() -> None:
    for name, _, container in containers():
        resources = container["resources"]
        for resource in ("cpu", "memory"):
            request = _quantity(resources["requests"][resource])
            limit = _quantity(resources["limits"][resource])
            assert 0 < request <= limit, f"{name}/{container['name']} {resource}"


def _compose_healthcheck_path(args: list[str]) -> str | None:
    """The URL path of the compose healthcheck of the service that runs ``args``."""
    for service in COMPOSE["services"].values():
        if service.get("command") == args:
            urls = [t for t in service["healthcheck"]["test"] if str(t).startswith("http")]
            return urlsplit(urls[0]).path if urls else None
    raise AssertionError(f"no compose service runs {args}")


def _endpoints(container: dict[str, Any]) -> set[str]:
    """The HTTP paths the program in ``container`` answers, from its own definition."""
    if container["name"] == "serving":
        return set(document("churn")["paths"]) | {"/metrics"}
    if container["name"] == "exporter":
        return set(re.findall(r'path == "(/[a-z]*)"', (REPO / "exporter/server.py").read_text()))
    if container["name"] == "nginx":
        app = (REPO / "php/src/Http/App.php").read_text()
        return set(re.findall(r"'(/[a-z-]*)' => \[", app))
    path = _compose_healthcheck_path(container["args"])
    return {path} if path else set()


def test_liveness_and_readiness_probes_use_endpoints_the_programs_have() -> None:
    for name, _, container in containers():
        where = f"{name}/{container['name']}"
        probes = [container["livenessProbe"], container["readinessProbe"]]
        probes += [container["startupProbe"]] if "startupProbe" in container else []
        for probe in probes:
            assert {"httpGet", "tcpSocket", "exec"} & set(probe), where
            if "httpGet" in probe:
                assert probe["httpGet"]["path"] in _endpoints(container), where
        ready = container["readinessProbe"].get("httpGet")
        compose_path = _compose_healthcheck_path(container["args"])
        if ready is not None and compose_path is not None:
            assert ready["path"] == compose_path, f"{where}: compose checks {compose_path}"


def _service_for(app: str) -> dict[str, Any]:
    (service,) = [s for s in of_kind("Service")
                  if s["spec"]["selector"].get("app.kubernetes.io/name") == app]  # fmt: skip
    return service


def test_every_service_selects_pods_and_a_named_container_port() -> None:
    pods = {d["metadata"]["name"]: d["spec"]["template"] for d in of_kind("Deployment")}
    for service in of_kind("Service"):
        chosen = [t for t in pods.values()
                  if selects(service["spec"]["selector"], t["metadata"]["labels"])]  # fmt: skip
        assert chosen, service["metadata"]["name"]
        for port in service["spec"]["ports"]:
            ports = {p["name"] for t in chosen for c in t["spec"]["containers"]
                     for p in c.get("ports", [])}  # fmt: skip
            assert port["targetPort"] in ports, service["metadata"]["name"]


def test_the_router_and_nginx_reach_the_services_by_the_names_compose_uses() -> None:
    variants = named("ConfigMap", "driftline-receiver-env")["data"]["DRIFTLINE_VARIANTS"]
    for variant in variants.split(","):
        url = urlsplit(variant.split("=", 1)[1].rsplit(":", 1)[0])
        service = named("Service", str(url.hostname))
        assert url.port in {p["port"] for p in service["spec"]["ports"]}, variant
    nginx_conf = (REPO / "docker" / "nginx.conf").read_text()
    upstream = re.search(r"server ([a-z-]+):(\d+);", nginx_conf)
    assert upstream, "docker/nginx.conf has no upstream server"
    fpm = named("Service", upstream.group(1))
    assert int(upstream.group(2)) in {p["port"] for p in fpm["spec"]["ports"]}
    env = named("ConfigMap", "driftline-env")["data"]
    assert urlsplit(env["MLFLOW_TRACKING_URI"]).hostname == "mlflow"
    assert named("Service", "mlflow")


def test_mlflow_runs_with_the_native_stacks_settings() -> None:
    from stack.native import MLFLOW_ENV

    [container] = named("Deployment", "mlflow")["spec"]["template"]["spec"]["containers"]
    environment = {e["name"]: e.get("value") for e in container["env"]}
    assert {k: environment.get(k) for k in MLFLOW_ENV} == MLFLOW_ENV


def test_secrets_are_the_two_documented_ones() -> None:
    used: dict[str, set[str]] = {}
    for _, pod, container in containers():
        for var in container.get("env", []):
            ref = var.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                used.setdefault(ref["name"], set()).add(ref["key"])
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                keys = {i["key"] for i in volume["secret"]["items"]}
                used.setdefault(volume["secret"]["secretName"], set()).update(keys)
    (config,) = of_kind("AlertmanagerConfig")
    for receiver in config["spec"]["receivers"]:
        for hook in receiver.get("webhookConfigs", []):
            ref = hook["httpConfig"]["authorization"]["credentials"]
            used.setdefault(ref["name"], set()).add(ref["key"])
    assert used == SECRETS
    docs = (REPO / "docs" / "kubernetes.md").read_text()
    for name, keys in SECRETS.items():
        for key in keys:
            assert f"{name}" in docs and f"--from-literal={key}=" in docs, name


def test_the_token_file_the_receiver_reads_is_the_mounted_secret() -> None:
    token_file = named("ConfigMap", "driftline-receiver-env")["data"][
        "DRIFTLINE_WEBHOOK_TOKEN_FILE"
    ]
    deployment = named("Deployment", "receiver-fpm")["spec"]["template"]["spec"]
    (fpm,) = [c for c in deployment["containers"] if c["name"] == "php-fpm"]
    (mount,) = [m for m in fpm["volumeMounts"] if m["name"] == "token"]
    (volume,) = [v for v in deployment["volumes"] if v["name"] == "token"]
    (item,) = volume["secret"]["items"]
    assert token_file == f"{mount['mountPath']}/{item['path']}"


def test_service_monitors_scrape_the_jobs_the_alert_rules_name() -> None:
    monitors = {m["metadata"]["name"]: m for m in of_kind("ServiceMonitor")}
    apps = {JOB_SERVING: "driftline-serving", JOB_EXPORTER: "driftline-exporter",
            JOB_RECEIVER: "driftline-receiver"}  # fmt: skip
    assert set(monitors) == set(apps)
    for job, monitor in monitors.items():
        spec = monitor["spec"]
        wanted = spec["selector"]["matchLabels"]
        services = [s for s in of_kind("Service") if selects(wanted, s["metadata"]["labels"])]
        assert services, job
        for service in services:
            assert service["metadata"]["labels"][spec["jobLabel"]] == job
            for label in spec.get("targetLabels", []):
                assert label in service["metadata"]["labels"], (job, label)
            ports = {p["name"] for p in service["spec"]["ports"]}
            assert {e["port"] for e in spec["endpoints"]} <= ports
    serving = monitors[JOB_SERVING]["spec"]
    assert serving["targetLabels"] == ["model", "deployment"]  # prometheus/targets/serving.json
    assert serving["endpoints"][0]["honorLabels"] is True  # honor_labels in prometheus.yml
    roles = {s["metadata"]["labels"]["deployment"] for s in of_kind("Service")
             if s["metadata"]["labels"].get(serving["jobLabel"]) == JOB_SERVING}  # fmt: skip
    assert roles == {"champion", "challenger"}


def test_scrape_interval_and_timeout_are_prometheus_yml_s() -> None:
    prometheus = yaml.safe_load((REPO / "prometheus" / "prometheus.yml").read_text())["global"]
    for monitor in of_kind("ServiceMonitor"):
        for endpoint in monitor["spec"]["endpoints"]:
            assert endpoint["interval"] == prometheus["scrape_interval"]
            assert endpoint["scrapeTimeout"] == prometheus["scrape_timeout"]
            assert endpoint["path"] == "/metrics"


def test_the_exporter_and_the_stateful_pods_never_run_twice() -> None:
    for name in ("exporter", "mlflow", "receiver-fpm"):
        spec = named("Deployment", name)["spec"]
        assert spec["replicas"] == 1 and spec["strategy"]["type"] == "Recreate", name


def test_serving_scales_horizontally_on_cpu() -> None:
    for role in ("champion", "challenger"):
        deployment = named("Deployment", f"serving-{role}")
        assert "replicas" not in deployment["spec"]  # the autoscaler owns the count
        hpa = named("HorizontalPodAutoscaler", f"serving-{role}")
        assert hpa["spec"]["scaleTargetRef"]["name"] == f"serving-{role}"
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
