"""Every PromQL query of the committed dashboards, with Grafana's variables filled in."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import quote

from driftline.tasks import TASKS, Task
from tests.monitoring.monitoring_files import DASHBOARD_DIR
from tests.monitoring.monitoring_stack import Prometheus


@dataclass(frozen=True)
class Query:
    where: str  # dashboard / panel or annotation title
    expr: str
    needs_data: bool  # annotations on alerts may rightly be empty
    task: Task | None = None  # only this task's versions fill it (its row's title says)


def row_task(title: str) -> Task | None:
    """The task a dashboard row is titled after (``Regression: error``), if any."""
    head = title.split(":")[0].strip().lower()
    return next((task for task in TASKS if task == head), None)


def dashboard_queries(files: Collection[str] | None = None) -> list[Query]:
    """The queries of the committed dashboards (of ``files`` only, when given)."""
    queries: list[Query] = []
    for path in sorted(DASHBOARD_DIR.glob("*.json")):
        if files is not None and path.name not in files:
            continue
        dashboard = json.loads(path.read_text())
        task = None
        for panel in dashboard["panels"]:
            if panel["type"] == "row":
                task = row_task(panel["title"])
                continue
            for target in panel["targets"]:
                where = f"{path.name} / {panel['title']} / {target['refId']}"
                queries.append(Query(where, target["expr"], True, task))
        for annotation in dashboard["annotations"]["list"]:
            needs_data = not annotation["expr"].startswith("ALERTS")
            queries.append(
                Query(f"{path.name} / {annotation['name']}", annotation["expr"], needs_data)
            )
    return queries


def variable_queries() -> list[tuple[str, str]]:
    """(label, series selector) of every label_values(...) template variable."""
    found = []
    for path in sorted(DASHBOARD_DIR.glob("*.json")):
        for variable in json.loads(path.read_text())["templating"]["list"]:
            match = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["query"]["query"])
            assert match, variable["query"]["query"]
            found.append((match.group(2), match.group(1)))
    return found


def fill(expr: str, model: str, versions: list[str]) -> str:
    """What Grafana sends: a multi-value variable becomes a regex alternation."""
    version = "(" + "|".join(re.escape(v) for v in versions) + ")" if versions else ".*"
    return (
        expr.replace("$__rate_interval", "1m").replace("$model", model).replace("$version", version)
    )


def failing_queries(
    prom: Prometheus,
    model: str,
    versions: list[str],
    task: Task = "classification",
    files: Collection[str] | None = None,
) -> list[str]:
    """Queries that do not parse, return nothing where data is expected, or data for a
    ``task`` model in a row of the other task."""
    failures = []
    for query in dashboard_queries(files):
        filled = fill(query.expr, model, versions)
        answer = prom.query(filled)
        if answer.get("status") != "success":
            failures.append(f"{query.where}: {answer.get('error')}")
        elif query.task not in (None, task):
            if answer["data"]["result"]:
                failures.append(f"{query.where}: data for a {task} model from {filled}")
        elif query.needs_data and not answer["data"]["result"]:
            failures.append(f"{query.where}: no data for {filled}")
        else:
            # The `model` variable picks one model: no series of another may leak in.
            others = {
                r["metric"]["model"]
                for r in answer["data"]["result"]
                if r["metric"].get("model", model) != model
            }
            if others:
                failures.append(f"{query.where}: series of {sorted(others)} for model {model}")
    for label, selector in variable_queries():
        values = prom.get(
            f"/api/v1/label/{label}/values?match[]="
            + quote(fill(selector, model, versions), safe="")
        )["data"]
        if not values:
            failures.append(f"variable {label}: no values for {selector}")
        elif label == "model" and model not in values:
            failures.append(f"variable model: {model} not among {values}")
    return failures
