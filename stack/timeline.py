"""Watch a running stack through its components' own APIs and record the story's events.

Each event is taken from the component that owns the fact: the alert from
Prometheus, the delivery from Alertmanager's notification counters, the job
from the PHP receiver, the champion from MLflow, the served version from the
inference servers, the live quality (a classifier's accuracy, a regression
model's error; stack/quality.py) from the exporter's metrics in Prometheus.

In a stack of several models the story is one model's (``model_name``); the
others (``models``) are watched for their alerts, jobs and champion too, so the
timeline shows what happened to each. Every line names its model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import requests
from mlflow.tracking import MlflowClient

from driftline import registry
from driftline.alert_contract import RETRAIN_LABEL, RETRAIN_VALUE
from driftline.monitoring_render import ESTIMATED_ALERT
from stack.quality import QUALITY, Quality

ACCURACY_THRESHOLD: Final = QUALITY["classification"].threshold

# Event keys, in the order the drift-retrain story produces them.
DRIFT_ONSET: Final = "drift_onset"
QUALITY_DEGRADED: Final = "quality_degraded"
ALERT_FIRING: Final = "alert_firing"
WEBHOOK_DELIVERED: Final = "webhook_delivered"
JOB_QUEUED: Final = "job_queued"
JOB_FINISHED: Final = "job_finished"
CHAMPION_MOVED: Final = "champion_moved"
SERVING_SWITCHED: Final = "serving_switched"
REFERENCE_SWITCHED: Final = "reference_switched"
QUALITY_RECOVERED: Final = "quality_recovered"
ALERT_RESOLVED: Final = "alert_resolved"
# Labels that come late (harmful-shift): the estimate's alert, then the labels.
ESTIMATE_ALERT_FIRING: Final = "estimate_alert_firing"
DRIFTED_LABEL_ARRIVED: Final = "drifted_label_arrived"


def _figure(value: object) -> str:
    """An outcome figure as the timeline prints it: six significant digits, ``-`` if absent."""
    return f"{value:.6g}" if isinstance(value, int | float) else "-"


@dataclass(frozen=True)
class Event:
    at: float  # time.time()
    key: str
    text: str
    model: str


@dataclass
class Timeline:
    urls: dict[str, str]  # service name -> base URL
    tracking_uri: str
    model_name: str  # the story's model
    say: Callable[[str], None] = print
    quality: Quality = QUALITY["classification"]
    # Every model of the stack -> its champion inference service; default: the story's alone.
    champion_services: Mapping[str, str] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _champions: dict[str, str | None] = field(default_factory=dict)
    _firing: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
        if not self.champion_services:
            self.champion_services = {self.model_name: "serving-champion"}
        for model in self.champion_services:
            self._champions[model] = registry.champion_version(self._client, model)
        self._http = requests.Session()

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self.champion_services)

    @property
    def _champion(self) -> str | None:
        return self._champions.get(self.model_name)

    # --- recording --------------------------------------------------------------------
    def first(self, key: str, model: str | None = None) -> Event | None:
        """The first ``key`` event of ``model`` (default: the story's model)."""
        wanted = model or self.model_name
        with self._lock:
            return next((e for e in self.events if e.key == key and e.model == wanted), None)

    def of_model(self, model: str) -> list[Event]:
        with self._lock:
            return [e for e in self.events if e.model == model]

    def record(
        self, key: str, text: str, at: float | None = None, model: str | None = None
    ) -> Event:
        event = Event(time.time() if at is None else at, key, text, model or self.model_name)
        with self._lock:
            self.events.append(event)
        onset = self.first(DRIFT_ONSET)
        rel = f"+{event.at - onset.at:6.1f}s" if onset and key != DRIFT_ONSET else " " * 8
        clock = time.strftime("%H:%M:%S", time.localtime(event.at))
        self.say(f"timeline {clock} {rel}  {event.model}: {text}")
        return event

    # --- sources ----------------------------------------------------------------------
    def _get(self, url: str, **params: str) -> Any:
        resp = self._http.get(url, params=params, timeout=3)
        resp.raise_for_status()
        return resp.json()

    def firing_alerts(self) -> list[dict[str, Any]]:
        data = self._get(self.urls["prometheus"] + "/api/v1/alerts")
        return [a for a in data["data"]["alerts"] if a["state"] == "firing"]

    def webhooks_delivered(self) -> int:
        """Successful webhook notifications, from Alertmanager's own counters."""
        text = self._http.get(self.urls["alertmanager"] + "/metrics", timeout=3).text
        sent = failed = 0.0
        for line in text.splitlines():
            if 'integration="webhook"' not in line or line.startswith("#"):
                continue
            value = float(line.rsplit(" ", 1)[1])
            if line.startswith("alertmanager_notifications_total"):
                sent += value
            elif line.startswith("alertmanager_notifications_failed_total"):
                failed += value
        return int(sent - failed)

    def query(self, promql: str) -> list[dict[str, Any]]:
        data = self._get(self.urls["prometheus"] + "/api/v1/query", query=promql)
        return list(data["data"]["result"])

    def served_versions(self, service: str, probes: int = 6) -> set[str]:
        """Versions reported by the workers of one inference server (several probes)."""
        seen: set[str] = set()
        for _ in range(probes):
            seen.add(str(self._get(self.urls[service] + "/ready").get("version")))
        return seen

    # --- one poll -----------------------------------------------------------------------
    def poll(self) -> None:
        try:
            self._poll_degraded()
            self._poll_alerts()
            self._poll_jobs()
            self._poll_registry_and_serving()
        except (requests.RequestException, KeyError, ValueError) as exc:
            self.say(f"timeline: a component did not answer ({type(exc).__name__}); retrying")

    def live_quality(self, version: str, promql: str) -> str | None:
        """The quality text of ``version`` when ``promql`` answers, else None."""
        result = self.query(promql)
        if not result:
            return None
        score = float(result[0]["value"][1])
        figure = self.query(self.quality.figure(self.model_name, version))
        value = float(figure[0]["value"][1]) if figure else score
        return f"live {self.quality.name} of v{version} {self.quality.describe(score, value)}"

    def estimate_text(self, version: str) -> str:
        """E.g. ``estimated accuracy 0.71 [0.69, 0.73]`` from the exporter's series."""
        name, metric = (
            ("accuracy", "driftline_model_estimated_accuracy_ratio")
            if self.quality.task == "classification"
            else ("MAE", "driftline_model_estimated_mean_absolute_error")
        )
        bounds = {
            r["metric"]["bound"]: float(r["value"][1])
            for r in self.query(f'{metric}{{model="{self.model_name}",version="{version}"}}')
        }
        if set(bounds) != {"estimate", "lower", "upper"}:
            return f"estimated {name} not exported"
        return (
            f"estimated {name} {bounds['estimate']:.6g} "
            f"[{bounds['lower']:.6g}, {bounds['upper']:.6g}]"
        )

    def _poll_degraded(self) -> None:
        """After drift onset, the first time the champion's live figure crosses the alert's line."""
        if (
            self._champion is None
            or not self.first(DRIFT_ONSET)
            or self.first(QUALITY_DEGRADED)
            or self.first(CHAMPION_MOVED)
        ):
            return
        text = self.live_quality(
            self._champion, self.quality.degraded(self.model_name, self._champion)
        )
        if text is not None:
            limit = self.quality.limit()
            self.record(QUALITY_DEGRADED, f"exporter: {text}, past the alert's line ({limit})")

    def _poll_alerts(self) -> None:
        firing = self.firing_alerts()
        for model in self.models:
            self._poll_model_alerts(model, [a for a in firing if a["labels"].get("model") == model])
        if self.first(WEBHOOK_DELIVERED) is None and self.first(ALERT_FIRING):
            delivered = self.webhooks_delivered()
            if delivered:
                self.record(
                    WEBHOOK_DELIVERED, f"Alertmanager: {delivered} webhook notification(s) sent"
                )

    def _poll_model_alerts(self, model: str, firing: list[dict[str, Any]]) -> None:
        estimated = [a for a in firing if a["labels"]["alertname"] == ESTIMATED_ALERT]
        if estimated and model == self.model_name and not self.first(ESTIMATE_ALERT_FIRING):
            version = estimated[0]["labels"].get("version", "?")
            self.record(
                ESTIMATE_ALERT_FIRING,
                f"Prometheus: {ESTIMATED_ALERT} v{version} firing: "
                f"{self.estimate_text(version)} (from predictions alone, before labels)",
            )
        alerts = [a for a in firing if a["labels"].get(RETRAIN_LABEL) == RETRAIN_VALUE]
        was_firing = self._firing.get(model, False)
        if alerts and not was_firing:
            names = ", ".join(
                sorted({f"{a['labels']['alertname']} v{a['labels'].get('version', '?')}"
                        for a in alerts})
            )  # fmt: skip
            self.record(ALERT_FIRING, f"Prometheus: retrain alert firing: {names}", model=model)
        if not alerts and was_firing:
            self.record(ALERT_RESOLVED, "Prometheus: retrain alerts resolved", model=model)
        self._firing[model] = bool(alerts)

    def _poll_jobs(self) -> None:
        data = self._get(self.urls["receiver"] + "/jobs")
        self.jobs = list(data["jobs"])
        for job in self.jobs:
            model = str(job["model"])
            if not any(e.key == JOB_QUEUED and e.text.startswith(f"receiver: job {job['id']} ")
                       for e in self.events):  # fmt: skip
                self.record(JOB_QUEUED, f"receiver: job {job['id']} queued", model=model)
            if job["state"] in ("succeeded", "failed") and not any(
                e.key == JOB_FINISHED and e.text.startswith(f"worker: job {job['id']} ")
                for e in self.events
            ):
                outcome = job.get("outcome") or {}
                figures = outcome.get("figures") or {}
                # The gate's own metric and direction, from the outcome line the worker stored.
                metric = figures.get("metric", "score")
                better = figures.get("better")
                self.record(
                    JOB_FINISHED,
                    f"worker: job {job['id']} {job['state']}: {outcome.get('status', '?')} "
                    f"(challenger v{outcome.get('challenger_version')}, {metric} "
                    f"challenger {_figure(figures.get('challenger_score'))} vs "
                    f"champion {_figure(figures.get('champion_score'))}"
                    f"{f', {better} is better' if better else ''})",
                    model=model,
                )

    def _poll_registry_and_serving(self) -> None:
        for model in self.models:
            champion = registry.champion_version(self._client, model)
            if champion != self._champions.get(model):
                self.record(
                    CHAMPION_MOVED,
                    f"MLflow: champion v{self._champions.get(model)} -> v{champion}",
                    model=model,
                )
                self._champions[model] = champion
        champion = self._champion
        if not self.first(CHAMPION_MOVED):
            return
        if not self.first(SERVING_SWITCHED):
            served = self.served_versions(self.champion_services[self.model_name])
            if served == {champion}:
                self.record(
                    SERVING_SWITCHED, f"inference server A: every worker serves v{champion}"
                )
        if not self.first(REFERENCE_SWITCHED) and self.query(
            f'driftline_reference_info{{model="{self.model_name}",version="{champion}"}}'
        ):
            self.record(
                REFERENCE_SWITCHED, f"exporter: comparing v{champion} with its own reference"
            )
        if not self.first(QUALITY_RECOVERED) and champion is not None:
            text = self.live_quality(champion, self.quality.healthy(self.model_name, champion))
            if text is not None:
                self.record(QUALITY_RECOVERED, f"exporter: {text}")

    def watch(self, stop: threading.Event, interval: float = 0.5) -> None:
        while not stop.wait(interval):
            self.poll()
