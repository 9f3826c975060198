"""The generated parts of deploy/kubernetes/: current, and equal to what they mirror."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from stack.kubernetes import (
    DRIFTLINE_ALERTS,
    GENERATED_DIR,
    GRAFANA_DATASOURCE_UID,
    REGENERATE,
    TOKEN_SECRET,
    stale_files,
)
from tests.kubernetes.manifests import BASE, REPO, named, of_kind

RULE_TEST_DIR = REPO / "alerting" / "tests"


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_generated_files_equal_a_fresh_generation() -> None:
    stale = list(stale_files())
    assert stale == [], (
        f"deploy/kubernetes/generated/{stale} differ from the rule files, alertmanager.yml "
        f"or dashboards they are made from: regenerate with `{REGENERATE}` and commit"
    )


def test_a_changed_rule_file_makes_the_generated_rule_stale(tmp_path: Path) -> None:
    for part in ("prometheus/rules", "alerting", "dashboards", str(GENERATED_DIR)):
        shutil.copytree(REPO / part, tmp_path / part)
    assert list(stale_files(tmp_path)) == []
    alerts = tmp_path / "alerting" / "rules" / "driftline-alerts.yml"
    alerts.write_text(alerts.read_text().replace("for: 15m", "for: 16m", 1))
    assert list(stale_files(tmp_path)) == ["prometheusrule.yaml"]


def _promtool_tested_rule_files() -> list[Path]:
    files: list[Path] = []
    for test_file in sorted(RULE_TEST_DIR.glob("*.yml")):
        for name in _load(test_file)["rule_files"]:
            path = (test_file.parent / name).resolve()
            if path not in files:
                files.append(path)
    return files


def test_prometheusrule_groups_equal_the_rule_files_promtool_tests() -> None:
    files = _promtool_tested_rule_files()
    assert files, "no rule_files in alerting/tests"
    tested = [group for path in files for group in _load(path)["groups"]]
    rule = _load(BASE / "generated" / "prometheusrule.yaml")
    assert rule == named("PrometheusRule", "driftline")
    groups = rule["spec"]["groups"]
    assert len(groups) == len(tested)
    assert {g["name"]: g for g in groups} == {g["name"]: g for g in tested}


def _matcher_text(matcher: dict[str, str]) -> str:
    return f"{matcher['name']}{matcher['matchType']}{json.dumps(matcher['value'])}"


def _same_matchers(source: list[str], converted: list[dict[str, str]]) -> None:
    assert [_matcher_text(m) for m in converted] == ["".join(m.split()) for m in source]


_ROUTE_FIELDS = (
    ("group_by", "groupBy"),
    ("group_wait", "groupWait"),
    ("group_interval", "groupInterval"),
    ("repeat_interval", "repeatInterval"),
)


def _check_route(source: dict[str, Any], converted: dict[str, Any]) -> None:
    assert converted["receiver"] == source["receiver"]
    for key, camel in _ROUTE_FIELDS:
        assert converted.get(camel) == source.get(key)
    _same_matchers(source.get("matchers", []), converted.get("matchers", []))
    assert len(converted.get("routes", [])) == len(source.get("routes", []))
    for s, c in zip(source.get("routes", []), converted.get("routes", []), strict=True):
        _check_route(s, c)


def test_alertmanager_config_mirrors_alertmanager_yml() -> None:
    source = _load(REPO / "alerting" / "alertmanager.yml")
    (config,) = of_kind("AlertmanagerConfig")
    spec = config["spec"]
    top = dict(spec["route"])
    # The one addition: the top route only takes driftline's alerts.
    assert top["matchers"][0] == DRIFTLINE_ALERTS
    top["matchers"] = top["matchers"][1:]
    _check_route(source["route"], top)
    assert [r["name"] for r in spec["receivers"]] == [r["name"] for r in source["receivers"]]
    for s, c in zip(source["receivers"], spec["receivers"], strict=True):
        assert len(c.get("webhookConfigs", [])) == len(s.get("webhook_configs", []))
        for hook in c.get("webhookConfigs", []):
            assert hook["url"] == "http://receiver.driftline.svc:8080/alerts"
            assert hook["httpConfig"]["authorization"] == {
                "type": "Bearer",
                "credentials": TOKEN_SECRET,
            }
    assert len(spec["inhibitRules"]) == len(source["inhibit_rules"])
    for s, c in zip(source["inhibit_rules"], spec["inhibitRules"], strict=True):
        _same_matchers(s["source_matchers"], c["sourceMatch"])
        _same_matchers(s["target_matchers"], c["targetMatch"])
        assert c["equal"] == s.get("equal", [])


def _datasource_uids(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["uid"]} if node.get("type") == "prometheus" and "uid" in node else set()
        return found.union(*(_datasource_uids(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_datasource_uids(v) for v in node))
    return set()


def test_dashboard_config_maps_hold_the_dashboards_for_the_grafana_sidecar() -> None:
    maps = {m["metadata"]["name"]: m for m in of_kind("ConfigMap") if "grafana_dashboard" in
            m["metadata"].get("labels", {})}  # fmt: skip
    files = sorted((REPO / "dashboards").glob("*.json"))
    assert sorted(maps) == [f"driftline-dashboard-{f.stem}" for f in files]
    for path in files:
        config_map = maps[f"driftline-dashboard-{path.stem}"]
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
        (text,) = config_map["data"].values()
        shipped = json.loads(text)
        original = json.loads(path.read_text())
        assert _datasource_uids(shipped) == {GRAFANA_DATASOURCE_UID}
        assert _datasource_uids(original) == {"driftline-prometheus"}
        assert json.dumps(shipped).replace(f'"uid": "{GRAFANA_DATASOURCE_UID}"', "") == json.dumps(
            original
        ).replace('"uid": "driftline-prometheus"', "")
        assert shipped["uid"] == original["uid"]  # dashboards keep their fixed uids
