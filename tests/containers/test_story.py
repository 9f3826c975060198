"""The drift story in containers: docker-compose.yml (without Grafana) on Podman, two models side
by side (churn drifts and retrains, houses stays steady), two churn champion replicas, told and
timed by the product's own story runner (stack/story.py) and checked, like
the native story (tests/stack/test_end_to_end.py), from the components' own APIs through their
published ports on 127.0.0.1: the alert in Prometheus, the delivery in Alertmanager, the job in
the PHP receiver, the champion in MLflow, and the served version at every replica, asked
directly and as Prometheus scraped it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from mlflow.tracking import MlflowClient

from driftline import registry
from stack.story import run_story
from stack.timeline import (
    ACCURACY_THRESHOLD,
    ALERT_FIRING,
    JOB_FINISHED,
    QUALITY_RECOVERED,
    SERVING_SWITCHED,
    Timeline,
)
from tests.containers.compose_stack import ComposeStack
from tests.containers.images import Image
from tests.containers.podman import project_containers, run_healthcheck, service_of

# The first test also waits for the session's image builds: minutes on a cold machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]
PROJECT = "driftline-containers"
CHAMPIONS = 2
STORY_SECONDS = 480.0
SERVING_JOB = "driftline-serving"


@pytest.fixture(scope="module")
def stack(images: list[Image], docker_host: str, container_logs: Path) -> Iterator[ComposeStack]:
    compose = ComposeStack(docker_host, container_logs, project=PROJECT, champions=CHAMPIONS)
    compose.down()  # what an interrupted earlier run may have left
    started = time.monotonic()
    try:
        compose.up(compose.services())
        startup = f"stack healthy in {time.monotonic() - started:.1f}s"
        (container_logs / "startup.txt").write_text(startup + "\n")
        print(startup)
        yield compose
    finally:
        compose.close()


def test_every_long_running_service_passes_its_own_health_check(stack: ComposeStack) -> None:
    failed = []
    for row in project_containers(stack.project):
        if row.get("State") == "running" and not run_healthcheck(str(row["Id"])):
            failed.append(service_of(row))
    assert not failed, f"health check failed for: {sorted(failed)}"
    running = sorted(service_of(r) for r in project_containers(stack.project)
                     if r.get("State") == "running")  # fmt: skip
    assert running.count("serving-champion") == CHAMPIONS, running


def _champion_replicas(timeline: Timeline, query: str) -> dict[str, str]:
    """instance -> label value, from Prometheus' view of the champion deployment."""
    return {r["metric"]["instance"]: r["metric"].get("version", r["value"][1])
            for r in timeline.query(query)}  # fmt: skip


def test_the_drift_story_runs_in_containers(stack: ComposeStack, container_logs: Path) -> None:
    uri = stack.url("mlflow")
    client = MlflowClient(uri, uri)
    assert registry.champion_version(client, "churn") == "1"
    assert registry.champion_version(client, "houses") == "1"
    lines: list[str] = []
    story_log = container_logs / "story.log"

    def say(line: str) -> None:
        # Opened per line: the traffic relay may still print after run_story returns.
        lines.append(line)
        with story_log.open("a") as log:
            print(line, file=log)
        if line.startswith(("timeline", "figures", "  ")):  # the story's figures, shown with -s
            print(line)

    timeline = run_story(stack, duration=STORY_SECONDS, exit_when_done=True, say=say)

    # Both champion replicas are scraped (Prometheus resolves the service name to each).
    churn = f'job="{SERVING_JOB}",model="churn",deployment="champion"'
    up = _champion_replicas(timeline, f"up{{{churn}}} == 1")
    assert len(up) == CHAMPIONS, f"Prometheus scrapes {sorted(up)} of serving-champion"

    assert timeline.first(ALERT_FIRING), "the accuracy alert never fired in Prometheus"
    assert timeline.webhooks_delivered() >= 1, "Alertmanager delivered no webhook"
    jobs = requests.get(stack.url("receiver") + "/jobs", timeout=5).json()["jobs"]
    assert len(jobs) == 1, f"expected exactly one retraining job, got {jobs}"
    job = jobs[0]
    assert job["model"] == "churn", job
    assert timeline.first(JOB_FINISHED), "the worker never finished the job"
    assert job["state"] == "succeeded" and job["promotion"] == "promoted", job
    new_version = str(job["model_version"])
    assert registry.champion_version(client, "churn") == new_version
    assert timeline.first(SERVING_SWITCHED), "the champion replica never served the new version"

    # Every replica swapped: asked directly, and as Prometheus last scraped it.
    for url in stack.replica_urls("serving-champion"):
        served = {str(requests.get(url + "/ready", timeout=5).json().get("version"))
                  for _ in range(6)}  # fmt: skip
        assert served == {new_version}, f"serving-champion replica {url} serves {served}"
    scraped = _champion_replicas(timeline, f"driftline_model_info{{{churn}}} == 1")
    assert sorted(scraped.values()) == [new_version] * CHAMPIONS, scraped
    assert timeline.served_versions("serving-challenger", probes=4) == {"2"}

    assert timeline.first(QUALITY_RECOVERED), "live accuracy of the new champion never recovered"
    accuracy = timeline.query(f'driftline_model_accuracy_ratio{{version="{new_version}"}}')
    assert float(accuracy[0]["value"][1]) >= ACCURACY_THRESHOLD
    assert any(line.startswith("figures") for line in lines), "the story printed no figures"

    # The house-price model beside it: scraped, answered and labelled, and untouched.
    houses_up = timeline.query(f'up{{job="{SERVING_JOB}",model="houses"}} == 1')
    assert len(houses_up) == 2, houses_up
    assert registry.champion_version(client, "houses") == "1"
    assert timeline.served_versions("serving-champion-houses", probes=4) == {"1"}
    assert timeline.query('driftline_model_mean_absolute_error{model="houses",version="1"}')
    assert not timeline.query('ALERTS{model="houses",alertstate="firing"}')
    assert not timeline.of_model("houses"), "the houses model had timeline events"
