"""The committed monitoring files, loaded once, and their checks against the catalog."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from driftline import metric_catalog as catalog
from tests.monitoring.promql_names import Selector, grouping_labels, selectors

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS_YML = REPO / "prometheus" / "prometheus.yml"
RECORDING_DIR = REPO / "prometheus" / "rules"
ALERT_DIR = REPO / "alerting" / "rules"
RULE_TEST_DIR = REPO / "alerting" / "tests"
ALERTMANAGER_YML = REPO / "alerting" / "alertmanager.yml"
THRESHOLDS_YML = REPO / "alerting" / "thresholds.yml"
RUNBOOKS_MD = REPO / "docs" / "runbooks.md"
DASHBOARD_DIR = REPO / "dashboards"
GRAFANA_DIR = REPO / "grafana" / "provisioning"

# Series Prometheus makes itself, not exported by driftline.
BUILTIN_LABELS: dict[str, frozenset[str]] = {
    "up": frozenset({"job", "instance", "model", "deployment"}),
    "ALERTS": frozenset({"alertname", "alertstate", "severity", "model", "version", "feature"}),
}
# Added by scraping: job/instance always; model/deployment come from the serving
# target files (prometheus/targets/serving.json).
SCRAPE_LABELS = frozenset({"job", "instance", "model", "deployment"})
ENUM_VALUES: dict[str, tuple[str, ...]] = {
    "kind": catalog.WINDOW_KINDS,
    "bound": catalog.ESTIMATE_BOUNDS,
    "stage": catalog.EXPORTER_STAGES,
    "state": catalog.JOB_STATES,
}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def rule_files() -> list[Path]:
    return sorted(RECORDING_DIR.glob("*.yml")) + sorted(ALERT_DIR.glob("*.yml"))


def all_rules() -> list[dict[str, Any]]:
    return [
        rule
        for path in rule_files()
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
    ]


def alert_rules() -> list[dict[str, Any]]:
    return [r for r in all_rules() if "alert" in r]


def recording_rules() -> list[dict[str, Any]]:
    return [r for r in all_rules() if "record" in r]


def scrape_jobs() -> set[str]:
    return {c["job_name"] for c in load_yaml(PROMETHEUS_YML)["scrape_configs"]}


@dataclass(frozen=True)
class Recorded:
    name: str
    metric: str  # the catalog metric in the middle of level:metric:operations
    labels: frozenset[str]


def recorded_series() -> dict[str, Recorded]:
    out: dict[str, Recorded] = {}
    for rule in recording_rules():
        level, metric, _ops = rule["record"].split(":")
        labels = set(level.split("_")) | set(rule.get("labels", {}))
        if rule["record"] in out:
            labels |= out[rule["record"]].labels
        out[rule["record"]] = Recorded(rule["record"], metric, frozenset(labels))
    return out


def catalog_metric(series_name: str) -> catalog.MetricSpec | None:
    """The catalog entry behind a sample name (histogram suffixes stripped)."""
    if series_name in catalog.BY_NAME:
        return catalog.BY_NAME[series_name]
    base = re.sub(r"_(bucket|sum|count)$", "", series_name)
    spec = catalog.BY_NAME.get(base)
    if spec is not None and spec.type == "histogram":
        return spec
    return None


def problems_in(expr: str, where: str) -> list[str]:
    """Metric names, label names and enum label values in ``expr`` not backed by the catalog."""
    recorded = recorded_series()
    problems: list[str] = []
    allowed_everywhere: set[str] = set(SCRAPE_LABELS) | {"le", "quantile", "alertname"}
    for sel in selectors(expr):
        allowed = _allowed_labels(sel, recorded)
        if allowed is None:
            problems.append(f"{where}: {sel.metric} is neither in the catalog nor recorded")
            continue
        allowed_everywhere |= allowed
        for label, op, value in sel.matchers:
            if label not in allowed:
                problems.append(f"{where}: {sel.metric} has no label {label!r}")
            if op == "=" and label in ENUM_VALUES and value not in ENUM_VALUES[label]:
                problems.append(f"{where}: {label}={value!r} is not one of {ENUM_VALUES[label]}")
            if op == "=" and label == "job" and value not in scrape_jobs():
                problems.append(f"{where}: job={value!r} is not scraped by prometheus.yml")
    for label in grouping_labels(expr) - allowed_everywhere:
        problems.append(f"{where}: grouping by {label!r}, a label no selected series has")
    return problems


def _allowed_labels(sel: Selector, recorded: dict[str, Recorded]) -> set[str] | None:
    if sel.metric in BUILTIN_LABELS:
        return set(BUILTIN_LABELS[sel.metric])
    if sel.metric in recorded:
        rec = recorded[sel.metric]
        # level:metric:operations must name a catalog metric (_total dropped after rate()).
        if catalog_metric(rec.metric) is None and catalog_metric(rec.metric + "_total") is None:
            return None
        return set(rec.labels)
    spec = catalog_metric(sel.metric)
    if spec is None:
        return None
    extra = {"le"} if sel.metric.endswith("_bucket") else set()
    return set(spec.labels) | SCRAPE_LABELS | extra
