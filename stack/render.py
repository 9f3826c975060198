"""Render the Prometheus and Alertmanager configuration a stack run uses.

The native runner and the compose stack both call this, with their own
addresses, so both run the committed rules and routes with the same timings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from driftline.monitoring_render import (
    ALERTMANAGER,
    JOB_EXPORTER,
    JOB_RECEIVER,
    JOB_SERVING,
    TargetGroup,
    render_alertmanager_config,
    render_prometheus_config,
)
from driftline.runbooks import DEFAULT_RUNBOOK_BASE_URL
from driftline.timing import Timing
from stack import topology


def render_stack_config(
    out_dir: Path,
    *,
    addresses: Mapping[str, list[str]],
    token_file: Path,
    timing: Timing,
    models: Sequence[str] = ("churn",),
    dns_discovered: Mapping[str, int] | None = None,
    retrain_on_estimate: bool = False,
    runbook_base_url: str = DEFAULT_RUNBOOK_BASE_URL,
) -> tuple[Path, Path]:
    """Write prometheus.yml (+ targets, rules) and alertmanager.yml under ``out_dir``.

    ``addresses`` maps topology service names to ``host:port`` strings; each of
    ``models`` has its champion and challenger servers (stack/topology.py names),
    scraped with their ``model`` and ``deployment`` labels.
    ``dns_discovered`` maps inference services to their port for services that
    run as several replicas behind one DNS name (compose): Prometheus resolves
    the name itself and scrapes every replica, instead of one file_sd target
    that would reach a different replica on each scrape. ``retrain_on_estimate``:
    the estimated-performance alert starts retraining too. ``runbook_base_url`` is
    where the alerts' ``runbook_url`` links point (driftline/runbooks.py).
    Returns (prometheus.yml, alertmanager.yml).
    """
    dns = dict(dns_discovered or {})

    def group(service: str, **labels: str) -> list[TargetGroup]:
        hosts = [] if service in dns else addresses.get(service, [])
        return [TargetGroup(tuple(hosts), labels)] if hosts else []

    serving = serving_labels(models)
    prometheus_yml = render_prometheus_config(
        out_dir,
        {
            JOB_SERVING: [
                target
                for name, (model, deployment) in serving.items()
                for target in group(name, model=model, deployment=deployment)
            ],
            JOB_EXPORTER: group("exporter"),
            JOB_RECEIVER: group("receiver"),
            ALERTMANAGER: group("alertmanager"),
        },
        scrape_interval=timing.scrape_interval,
        evaluation_interval=timing.evaluation_interval,
        for_scale=timing.for_scale,
        retrain_on_estimate=retrain_on_estimate,
        runbook_base_url=runbook_base_url,
    )
    if dns:
        _add_dns_discovery(prometheus_yml, dns, serving)
    receivers = addresses.get("receiver") or ["127.0.0.1:8080"]
    alertmanager_yml = render_alertmanager_config(
        out_dir,
        receiver_url=f"http://{receivers[0]}",
        credentials_file=token_file,
        timing=timing.alertmanager,
    )
    return prometheus_yml, alertmanager_yml


def serving_labels(models: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Inference service name -> (model, deployment) of a stack of ``models``."""
    return {
        topology.serving(model, alias, models).name: (model, alias)
        for model in models
        for alias in ("champion", "challenger")
    }


def _add_dns_discovery(
    prometheus_yml: Path, dns: Mapping[str, int], serving: Mapping[str, tuple[str, str]]
) -> None:
    """Scrape every replica of the ``dns`` services, labelled as their file_sd twins would be."""
    config: dict[str, Any] = yaml.safe_load(prometheus_yml.read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == JOB_SERVING]
    job["dns_sd_configs"] = [
        {"names": [name], "type": "A", "port": port, "refresh_interval": "5s"}
        for name, port in sorted(dns.items())
    ]
    relabel: list[dict[str, Any]] = job.setdefault("relabel_configs", [])
    for name in sorted(dns):
        model, deployment = serving[name]
        for label, value in (("deployment", deployment), ("model", model)):
            relabel.append(
                {
                    "source_labels": ["__meta_dns_name"],
                    "regex": name,
                    "target_label": label,
                    "replacement": value,
                }
            )
    prometheus_yml.write_text(yaml.safe_dump(config, sort_keys=False))
