"""Run a scenario on a started stack and report the timeline and its figures."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from driftline.monitoring_render import alert_for
from stack import topology
from stack.native import StackOptions
from stack.quality import QUALITY, Quality
from stack.timeline import (
    ALERT_FIRING,
    ALERT_RESOLVED,
    CHAMPION_MOVED,
    DRIFT_ONSET,
    DRIFTED_LABEL_ARRIVED,
    ESTIMATE_ALERT_FIRING,
    JOB_FINISHED,
    JOB_QUEUED,
    QUALITY_DEGRADED,
    QUALITY_RECOVERED,
    SERVING_SWITCHED,
    Timeline,
)

ACCURACY_RULE_FOR = alert_for(QUALITY["classification"].alertname)


class StoryStack(Protocol):
    """What the story needs of a started stack: the native one (stack/native.py), or the
    compose stack the container tests run (tests/containers)."""

    @property
    def options(self) -> StackOptions: ...

    @property
    def ports(self) -> Mapping[str, int]: ...

    def url(self, name: str) -> str: ...

    def start_traffic(self) -> subprocess.Popen[str]: ...


@dataclass(frozen=True)
class Figure:
    label: str
    seconds: float | None


def story_done(timeline: Timeline, expect_promotion: bool, expect_retrain: bool) -> bool:
    if expect_promotion:
        return bool(timeline.first(QUALITY_RECOVERED) and timeline.first(ALERT_RESOLVED))
    if expect_retrain:
        return timeline.first(JOB_FINISHED) is not None
    return False  # nothing is meant to happen: run for the whole duration


def figures(timeline: Timeline) -> list[Figure]:
    onset = timeline.first(DRIFT_ONSET)
    name = timeline.quality.name
    out = []
    for key, label in (
        (ESTIMATE_ALERT_FIRING, "drift onset -> estimated-performance alert firing"),
        (DRIFTED_LABEL_ARRIVED, "drift onset -> first label of the drifted phase"),
        (QUALITY_DEGRADED, f"drift onset -> live {name} past the alert's line"),
        (ALERT_FIRING, "drift onset -> alert firing"),
        (JOB_QUEUED, "drift onset -> webhook arrived (job queued)"),
        (SERVING_SWITCHED, "drift onset -> new champion serving"),
        (QUALITY_RECOVERED, f"drift onset -> {name} recovered"),
    ):
        event = timeline.first(key)
        out.append(Figure(label, event.at - onset.at if event and onset else None))
    return out


def run_story(
    stack: StoryStack,
    *,
    duration: float | None,
    exit_when_done: bool,
    say: Callable[[str], None] = print,
) -> Timeline:
    scenario = stack.options.scenario
    models = stack.options.model_names
    timeline = Timeline(
        urls={name: stack.url(name) for name in stack.ports},
        tracking_uri=stack.url("mlflow"),
        model_name=stack.options.model_name,
        say=say,
        quality=QUALITY[scenario.task],
        champion_services={m: topology.for_model("serving-champion", m, models) for m in models},
    )
    for model, story in stack.options.scenarios.items():
        say(f"scenario {story.name} ({model}): {story.description}")
    # The traffic generator announces each model's phases; the story model's first after
    # steady traffic is the onset.
    own = f"traffic {scenario.model_name}:"
    drifted = scenario.onset.name if scenario.onset else None
    onset = f"{own} phase {drifted} starts" if drifted else None
    first_label = f"{own} first label of phase {drifted} posted" if drifted else None
    traffic = stack.start_traffic()
    stop = threading.Event()

    def relay() -> None:
        assert traffic.stdout is not None
        for line in traffic.stdout:
            line = line.rstrip()
            say(line)
            if onset is not None and onset in line:
                timeline.record(DRIFT_ONSET, f"traffic: {drifted} starts")
            if first_label is not None and first_label in line:
                timeline.record(DRIFTED_LABEL_ARRIVED, f"traffic:{first_label.removeprefix(own)}")

    threading.Thread(target=relay, daemon=True).start()
    watcher = threading.Thread(target=timeline.watch, args=(stop,), daemon=True)
    watcher.start()
    started = time.monotonic()
    reported = False
    try:
        while traffic.poll() is None:
            if duration is not None and time.monotonic() - started > duration:
                say(f"demo: {duration:.0f}s passed, stopping")
                break
            if not reported and story_done(
                timeline, scenario.expect_promotion, scenario.expect_retrain
            ):
                report(stack, timeline, say)
                reported = True
                if exit_when_done:
                    break
            time.sleep(0.5)
    finally:
        stop.set()
        watcher.join(timeout=10)
    if not reported:
        report(stack, timeline, say)
    return timeline


def rule_for(quality: Quality) -> str:
    """The committed ``for:`` of the story's retrain alert."""
    return alert_for(quality.alertname)


def report(stack: StoryStack, timeline: Timeline, say: Callable[[str], None]) -> None:
    floor = stack.options.timing.alert_floor_seconds(rule_for(timeline.quality))
    say("figures (seconds after drift onset; measured here, this run):")
    for f in figures(timeline):
        value = "not reached" if f.seconds is None else f"{f.seconds:6.1f}s"
        say(f"  {f.label:<50} {value}")
    say(
        f"  floor the intervals allow for the alert: {floor:.1f}s "
        "(exporter cycle + scrape + evaluation + for: + group_wait), on top of the time the "
        f"labelled window's {timeline.quality.name} needs to cross the threshold"
    )
    for line in bystanders(timeline):
        say(line)


def bystanders(timeline: Timeline) -> list[str]:
    """One line per model beside the story's: did it retrain or change champion?"""
    lines = []
    for model in timeline.models:
        if model == timeline.model_name:
            continue
        events = timeline.of_model(model)
        jobs = sum(e.key == JOB_QUEUED for e in events)
        moved = [e.text for e in events if e.key == CHAMPION_MOVED]
        champion = "; ".join(moved) if moved else "champion unchanged"
        lines.append(f"  {model}: {jobs} retraining job(s), {champion}")
    return lines
