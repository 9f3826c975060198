"""The Prometheus Operator's objects against the fields its API reference documents.

kubernetes-validate ships no schemas for custom resources, so the fields used here are
written down from the operator's API reference (monitoring.coreos.com/v1 ServiceMonitor and
PrometheusRule, monitoring.coreos.com/v1alpha1 AlertmanagerConfig): each object may only use
these fields, with these types, enums and duration syntax. A field not listed is refused,
so a misspelt one (which the API server would drop silently) fails here.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.kubernetes.manifests import of_kind

# The operator's Duration: ^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?
# (([0-9]+)s)?(([0-9]+)ms)?)$
DURATION = re.compile(r"^(0|(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?)$")

# A field's type: a Python type, "duration", ("enum", values), [item type], {"*": value type}
# (a map), or a dict of field -> type (an object; REQUIRED lists the fields it must have).
Spec = Any
REQUIRED = "__required__"

LABEL_MAP: Spec = {"*": str}
LABEL_SELECTOR: Spec = {
    "matchLabels": LABEL_MAP,
    "matchExpressions": [
        {
            "key": str,
            "operator": ("enum", {"In", "NotIn", "Exists", "DoesNotExist"}),
            "values": [str],
            REQUIRED: ["key", "operator"],
        }
    ],
}
METADATA: Spec = {"name": str, "labels": LABEL_MAP, "annotations": LABEL_MAP, REQUIRED: ["name"]}
SECRET_KEY: Spec = {"name": str, "key": str, "optional": bool, REQUIRED: ["key"]}

SERVICE_MONITOR_ENDPOINT: Spec = {
    "port": str,
    "targetPort": (int, str),
    "path": str,
    "scheme": ("enum", {"http", "https"}),
    "interval": "duration",
    "scrapeTimeout": "duration",
    "honorLabels": bool,
    "honorTimestamps": bool,
}
SERVICE_MONITOR: Spec = {
    "apiVersion": ("enum", {"monitoring.coreos.com/v1"}),
    "kind": ("enum", {"ServiceMonitor"}),
    "metadata": METADATA,
    "spec": {
        "jobLabel": str,
        "targetLabels": [str],
        "podTargetLabels": [str],
        "selector": LABEL_SELECTOR,
        "namespaceSelector": {"any": bool, "matchNames": [str]},
        "endpoints": [SERVICE_MONITOR_ENDPOINT],
        "sampleLimit": int,
        REQUIRED: ["selector", "endpoints"],
    },
    REQUIRED: ["apiVersion", "kind", "metadata", "spec"],
}

RULE: Spec = {
    "record": str,
    "alert": str,
    "expr": (str, int),
    "for": "duration",
    "keep_firing_for": "duration",
    "labels": LABEL_MAP,
    "annotations": LABEL_MAP,
    REQUIRED: ["expr"],
}
PROMETHEUS_RULE: Spec = {
    "apiVersion": ("enum", {"monitoring.coreos.com/v1"}),
    "kind": ("enum", {"PrometheusRule"}),
    "metadata": METADATA,
    "spec": {
        "groups": [
            {
                "name": str,
                "interval": "duration",
                "limit": int,
                "query_offset": "duration",
                "rules": [RULE],
                REQUIRED: ["name"],
            }
        ],
    },
    REQUIRED: ["apiVersion", "kind", "metadata", "spec"],
}

MATCHER: Spec = {
    "name": str,
    "value": str,
    "matchType": ("enum", {"=", "!=", "=~", "!~"}),
    REQUIRED: ["name"],
}
ROUTE: Spec = {
    "receiver": str,
    "groupBy": [str],
    "groupWait": "duration",
    "groupInterval": "duration",
    "repeatInterval": "duration",
    "matchers": [MATCHER],
    "continue": bool,
    "muteTimeIntervals": [str],
    "activeTimeIntervals": [str],
}
ROUTE["routes"] = [ROUTE]  # the reference types sub-routes as JSON routes of the same shape
WEBHOOK: Spec = {
    "url": str,
    "urlSecret": SECRET_KEY,
    "sendResolved": bool,
    "maxAlerts": int,
    "httpConfig": {
        "authorization": {"type": str, "credentials": SECRET_KEY},
        "followRedirects": bool,
    },
}
ALERTMANAGER_CONFIG: Spec = {
    "apiVersion": ("enum", {"monitoring.coreos.com/v1alpha1"}),
    "kind": ("enum", {"AlertmanagerConfig"}),
    "metadata": METADATA,
    "spec": {
        "route": ROUTE,
        "receivers": [{"name": str, "webhookConfigs": [WEBHOOK], REQUIRED: ["name"]}],
        "inhibitRules": [{"sourceMatch": [MATCHER], "targetMatch": [MATCHER], "equal": [str]}],
    },
    REQUIRED: ["apiVersion", "kind", "metadata", "spec"],
}

SPECS = {
    "ServiceMonitor": SERVICE_MONITOR,
    "PrometheusRule": PROMETHEUS_RULE,
    "AlertmanagerConfig": ALERTMANAGER_CONFIG,
}


def problems(value: Any, spec: Spec, where: str = "") -> Iterator[str]:
    """Every way ``value`` departs from ``spec``, each naming the field."""
    if spec == "duration":
        if not (isinstance(value, str) and DURATION.match(value)):
            yield f"{where}: {value!r} is not an operator duration"
    elif isinstance(spec, tuple) and spec and spec[0] == "enum":
        if value not in spec[1]:
            yield f"{where}: {value!r} not one of {sorted(spec[1])}"
    elif isinstance(spec, tuple):
        if not isinstance(value, spec) or isinstance(value, bool):
            yield f"{where}: {value!r} is not {' or '.join(t.__name__ for t in spec)}"
    elif isinstance(spec, type):
        if not isinstance(value, spec) or (spec is not bool and isinstance(value, bool)):
            yield f"{where}: {value!r} is not {spec.__name__}"
    elif isinstance(spec, list):
        if not isinstance(value, list):
            yield f"{where}: not a list"
            return
        for index, item in enumerate(value):
            yield from problems(item, spec[0], f"{where}[{index}]")
    elif isinstance(spec, dict) and "*" in spec:
        if not isinstance(value, dict):
            yield f"{where}: not a map"
            return
        for key, item in value.items():
            yield from problems(key, str, f"{where} key")
            yield from problems(item, spec["*"], f"{where}.{key}")
    elif isinstance(spec, dict):
        if not isinstance(value, dict):
            yield f"{where}: not an object"
            return
        for field in spec.get(REQUIRED, []):
            if field not in value:
                yield f"{where}.{field}: required"
        for key, item in value.items():
            if key not in spec or key == REQUIRED:
                yield f"{where}.{key}: not a field the API reference documents here"
            else:
                yield from problems(item, spec[key], f"{where}.{key}")
    else:
        raise TypeError(f"bad spec at {where}: {spec!r}")


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_operator_objects_use_only_documented_fields(kind: str) -> None:
    found = of_kind(kind)
    assert found, f"no {kind} in deploy/kubernetes"
    for obj in found:
        assert list(problems(obj, SPECS[kind], kind)) == []


def test_each_rule_is_either_a_recording_or_an_alerting_rule() -> None:
    (rule,) = of_kind("PrometheusRule")
    for group in rule["spec"]["groups"]:
        for r in group["rules"]:
            assert ("record" in r) != ("alert" in r), r
            if "record" in r:
                assert not {"for", "annotations"} & set(r), r


def _routes(route: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield route
    for child in route.get("routes", []):
        yield from _routes(child)


def test_every_route_names_a_receiver_of_the_same_config() -> None:
    (config,) = of_kind("AlertmanagerConfig")
    receivers = {r["name"] for r in config["spec"]["receivers"]}
    for route in _routes(config["spec"]["route"]):
        assert route.get("receiver", config["spec"]["route"]["receiver"]) in receivers


def test_objects_carry_the_release_label_kube_prometheus_stack_selects_by() -> None:
    for kind in SPECS:
        for obj in of_kind(kind):
            assert obj["metadata"]["labels"]["release"] == "kube-prometheus-stack", kind


@pytest.mark.parametrize(
    ("kind", "path", "bad"),
    [
        ("ServiceMonitor", ("spec", "endpoints", 0, "honorLabel"), True),
        ("ServiceMonitor", ("spec", "endpoints", 0, "interval"), "15 seconds"),
        ("PrometheusRule", ("spec", "groups", 0, "rules", 0, "for"), "5min"),
        ("AlertmanagerConfig", ("spec", "route", "matchers", 0, "matchType"), "=="),
        ("AlertmanagerConfig", ("spec", "receivers", 1, "webhookConfigs", 0, "send_resolved"), 1),
    ],
)
def test_the_checks_refuse_a_wrong_field(kind: str, path: tuple[Any, ...], bad: Any) -> None:
    obj = copy.deepcopy(of_kind(kind)[0])
    node = obj
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = bad
    assert list(problems(obj, SPECS[kind], kind)) != []
