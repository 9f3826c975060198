"""Render the Prometheus and Alertmanager configuration a stack run uses.

The native runner and the compose stack both call this, with their own
addresses, so both run the committed rules and routes with the same timings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from driftline.monitoring_render import (
    ALERTMANAGER,
    JOB_EXPORTER,
    JOB_RECEIVER,
    JOB_SERVING,
    TargetGroup,
    render_alertmanager_config,
    render_prometheus_config,
)
from stack.timing import Timing


def render_stack_config(
    out_dir: Path,
    *,
    addresses: Mapping[str, list[str]],
    token_file: Path,
    timing: Timing,
    model_name: str = "churn",
) -> tuple[Path, Path]:
    """Write prometheus.yml (+ targets, rules) and alertmanager.yml under ``out_dir``.

    ``addresses`` maps topology service names to ``host:port`` strings.
    Returns (prometheus.yml, alertmanager.yml).
    """

    def group(service: str, **labels: str) -> list[TargetGroup]:
        hosts = addresses.get(service, [])
        return [TargetGroup(tuple(hosts), labels)] if hosts else []

    prometheus_yml = render_prometheus_config(
        out_dir,
        {
            JOB_SERVING: [
                *group("serving-champion", model=model_name, deployment="champion"),
                *group("serving-challenger", model=model_name, deployment="challenger"),
            ],
            JOB_EXPORTER: group("exporter"),
            JOB_RECEIVER: group("receiver"),
            ALERTMANAGER: group("alertmanager"),
        },
        scrape_interval=timing.scrape_interval,
        evaluation_interval=timing.evaluation_interval,
        for_scale=timing.for_scale,
    )
    receivers = addresses.get("receiver") or ["127.0.0.1:8080"]
    alertmanager_yml = render_alertmanager_config(
        out_dir,
        receiver_url=f"http://{receivers[0]}",
        credentials_file=token_file,
        timing=timing.alertmanager,
    )
    return prometheus_yml, alertmanager_yml
