"""Render runtime copies of the committed Prometheus and Alertmanager configuration.

The committed files (prometheus/, alerting/) are valid as they are and are the
templates. A native run on dynamic ports (tests) or a ``--fast`` demo needs other
targets, shorter intervals, shorter ``for:`` durations and the real webhook URL
and token file, so these functions write a runtime directory that mirrors the
repository layout::

    out_dir/prometheus/prometheus.yml        intervals replaced
    out_dir/prometheus/targets/*.json        one file_sd file per job
    out_dir/prometheus/rules/*.yml           recording rules, copied
    out_dir/alerting/rules/*.yml             alert rules, ``for:`` scaled, runbook links rebased
    out_dir/alertmanager/alertmanager.yml    receiver URL, token file, timings

Because the layout is mirrored, the relative ``rule_files`` paths of the
committed prometheus.yml stay correct unchanged.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from driftline.alert_contract import RETRAIN_LABEL, RETRAIN_VALUE, WEBHOOK_PATH
from driftline.runbooks import DEFAULT_RUNBOOK_BASE_URL, runbook_url

REPO_ROOT: Final = Path(__file__).resolve().parents[1]

JOB_SERVING: Final = "driftline-serving"
JOB_EXPORTER: Final = "driftline-exporter"
JOB_RECEIVER: Final = "driftline-receiver"
ALERTMANAGER: Final = "alertmanager"
# file_sd target file per job, as named in prometheus/prometheus.yml.
TARGET_FILES: Final = {
    JOB_SERVING: "serving.json",
    JOB_EXPORTER: "exporter.json",
    JOB_RECEIVER: "receiver.json",
    ALERTMANAGER: "alertmanager.json",
}

_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_SECONDS: Final = {
    "ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000,
}  # fmt: skip
_HOST_PORT = re.compile(r"^[A-Za-z0-9._-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$")


@dataclass(frozen=True)
class TargetGroup:
    """One file_sd entry: ``host:port`` targets sharing the same target labels."""

    targets: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertmanagerTiming:
    group_wait: str
    group_interval: str
    repeat_interval: str


# Notifies by default; ``retrain_on_estimate`` makes it start retraining.
ESTIMATED_ALERT: Final = "DriftlineModelEstimatedPerformanceLow"

# The --fast demo: alerts within seconds, resolved notices a few seconds later.
FAST_SCRAPE_INTERVAL: Final = "1s"
FAST_EVALUATION_INTERVAL: Final = "1s"
FAST_FOR_SCALE: Final = 1 / 180  # 15m -> 5s, 30m -> 10s; shorter ones floor at 1s
FAST_ALERTMANAGER_TIMING: Final = AlertmanagerTiming(
    group_wait="1s", group_interval="2s", repeat_interval="1m"
)


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration such as ``1h30m`` or ``500ms``."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)


def format_duration(seconds: float) -> str:
    """A Prometheus duration for ``seconds``, in whole milliseconds."""
    millis = round(seconds * 1000)
    if millis % 1000:
        return f"{millis}ms"
    return f"{millis // 1000}s"


def scale_duration(text: str, factor: float) -> str:
    """``text`` multiplied by ``factor``; a non-zero duration stays at least 1s."""
    seconds = parse_duration(text)
    if seconds == 0:
        return "0s"
    return format_duration(max(1.0, math.floor(seconds * factor)))


def render_prometheus_config(
    out_dir: Path,
    targets: Mapping[str, Sequence[TargetGroup]],
    *,
    scrape_interval: str = "15s",
    evaluation_interval: str = "15s",
    for_scale: float = 1.0,
    retrain_on_estimate: bool = False,
    runbook_base_url: str = DEFAULT_RUNBOOK_BASE_URL,
    source_root: Path = REPO_ROOT,
) -> Path:
    """Write a runtime Prometheus configuration under ``out_dir``; return prometheus.yml.

    ``targets`` maps job names (``TARGET_FILES`` keys, ``alertmanager`` for the
    Alertmanager Prometheus sends to) to target groups; a job left out gets an
    empty target file. ``for_scale`` multiplies every alert's ``for:``.
    ``retrain_on_estimate`` labels ``ESTIMATED_ALERT`` retrain-worthy, so an estimate
    alone starts retraining (docs/estimation.md); committed, it only notifies.
    ``runbook_base_url`` (driftline/runbooks.py) is where every ``runbook_url`` points.
    """
    unknown = sorted(set(targets) - set(TARGET_FILES))
    if unknown:
        raise ValueError(f"unknown job(s) {unknown}; expected some of {sorted(TARGET_FILES)}")
    if for_scale <= 0:
        raise ValueError(f"for_scale must be positive, got {for_scale}")
    scrape_s = parse_duration(scrape_interval)
    parse_duration(evaluation_interval)
    runbook_url("x", runbook_base_url)  # a bad base fails here, before anything is written

    prom_dir = out_dir / "prometheus"
    (prom_dir / "targets").mkdir(parents=True, exist_ok=True)
    config = _load_yaml(source_root / "prometheus" / "prometheus.yml")
    glob = config.setdefault("global", {})
    glob["scrape_interval"] = scrape_interval
    glob["evaluation_interval"] = evaluation_interval
    # Prometheus refuses a scrape timeout longer than the scrape interval.
    if parse_duration(str(glob.get("scrape_timeout", "10s"))) > scrape_s:
        glob["scrape_timeout"] = scrape_interval
    _dump_yaml(prom_dir / "prometheus.yml", config)

    for job, filename in TARGET_FILES.items():
        groups = [_target_group_json(job, g) for g in targets.get(job, ())]
        (prom_dir / "targets" / filename).write_text(json.dumps(groups, indent=2) + "\n")

    _copy_rule_dir(source_root / "prometheus" / "rules", prom_dir / "rules", 1.0)
    _copy_rule_dir(
        source_root / "alerting" / "rules",
        out_dir / "alerting" / "rules",
        for_scale,
        retrain=(ESTIMATED_ALERT,) if retrain_on_estimate else (),
        runbook_base=runbook_base_url,
    )
    return prom_dir / "prometheus.yml"


def render_alertmanager_config(
    out_dir: Path,
    *,
    receiver_url: str,
    credentials_file: Path,
    timing: AlertmanagerTiming | None = None,
    source_root: Path = REPO_ROOT,
) -> Path:
    """Write a runtime alertmanager.yml under ``out_dir``; return its path.

    ``receiver_url`` is the PHP receiver's base URL (``http://host:port``); the
    webhook path comes from driftline/alert_contract.py. ``timing`` replaces
    group_wait, group_interval and repeat_interval on every route that sets them.
    """
    if not re.match(r"^https?://[^/]+$", receiver_url.rstrip("/")):
        raise ValueError(f"receiver_url must be http(s)://host:port, got {receiver_url!r}")
    config = _load_yaml(source_root / "alerting" / "alertmanager.yml")
    webhook_url = receiver_url.rstrip("/") + WEBHOOK_PATH
    token_path = str(Path(credentials_file).resolve())
    for receiver in config.get("receivers", []):
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = webhook_url
            hook["http_config"]["authorization"]["credentials_file"] = token_path
    if timing is not None:
        _retime_routes(config["route"], timing)
    am_dir = out_dir / "alertmanager"
    am_dir.mkdir(parents=True, exist_ok=True)
    _dump_yaml(am_dir / "alertmanager.yml", config)
    return am_dir / "alertmanager.yml"


def _retime_routes(route: dict[str, Any], timing: AlertmanagerTiming) -> None:
    for key in ("group_wait", "group_interval", "repeat_interval"):
        if key in route:
            route[key] = getattr(timing, key)
    for child in route.get("routes", []):
        _retime_routes(child, timing)


def _target_group_json(job: str, group: TargetGroup) -> dict[str, Any]:
    for target in group.targets:
        if not _HOST_PORT.match(target):
            raise ValueError(f"target {target!r} of job {job!r} is not host:port")
    return {"targets": list(group.targets), "labels": dict(group.labels)}


def _copy_rule_dir(
    src: Path,
    dst: Path,
    for_scale: float,
    retrain: tuple[str, ...] = (),
    runbook_base: str = DEFAULT_RUNBOOK_BASE_URL,
) -> None:
    """Copy rule files, ``for:`` scaled, the ``retrain`` alerts labelled retrain-worthy
    and every ``runbook_url`` rebased on ``runbook_base``."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for rule_file in sorted(src.glob("*.yml")):
        if for_scale == 1.0 and not retrain and runbook_base == DEFAULT_RUNBOOK_BASE_URL:
            shutil.copyfile(rule_file, dst / rule_file.name)
            continue
        rules = _load_yaml(rule_file)
        for group in rules.get("groups", []):
            for rule in group.get("rules", []):
                if "for" in rule:
                    rule["for"] = scale_duration(str(rule["for"]), for_scale)
                if rule.get("alert") in retrain:
                    rule.setdefault("labels", {})[RETRAIN_LABEL] = RETRAIN_VALUE
                if "runbook_url" in rule.get("annotations", {}):
                    rule["annotations"]["runbook_url"] = runbook_url(rule["alert"], runbook_base)
        _dump_yaml(dst / rule_file.name, rules)


def load_thresholds(source_root: Path = REPO_ROOT) -> dict[str, float]:
    """alerting/thresholds.yml: the alert levels, one place for rules, dashboards and the demo."""
    data = _load_yaml(source_root / "alerting" / "thresholds.yml")
    return {str(k): float(v) for k, v in data.items()}


def alert_for(alertname: str, source_root: Path = REPO_ROOT) -> str:
    """The committed ``for:`` of an alert rule (the first rule with that name)."""
    for rule_file in sorted((source_root / "alerting" / "rules").glob("*.yml")):
        for group in _load_yaml(rule_file).get("groups", []):
            for rule in group.get("rules", []):
                if rule.get("alert") == alertname:
                    return str(rule.get("for", "0s"))
    raise KeyError(f"no alert rule named {alertname!r}")


def _load_yaml(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} does not hold a YAML mapping")
    return loaded


def _dump_yaml(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(
        "# Rendered by driftline/monitoring_render.py; edit the committed template instead.\n"
        + yaml.safe_dump(dict(data), sort_keys=False, width=120)
    )
