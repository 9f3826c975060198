"""Render docs/metrics.md from the metric catalog, so the document cannot drift from the code.

Regenerate with ``python -m driftline.metric_docs > docs/metrics.md``;
tests/contracts/test_metric_catalog.py fails when the file is out of date.
"""

from __future__ import annotations

from driftline.metric_catalog import (
    ESTIMATE_BOUNDS,
    EXPORTER_STAGES,
    FEEDBACK_OUTCOMES,
    JOB_STATES,
    LATENCY_BUCKETS_SECONDS,
    METRICS,
    REGRESSION_CLASS,
    RELOAD_OUTCOMES,
    SERVING_FLUSH_SECONDS,
    WEBHOOK_OUTCOMES,
    WINDOW_KINDS,
)

_COMPONENTS = {
    "serving": "Inference servers (`serving/`, every gunicorn worker, multiprocess mode)",
    "exporter": "Drift exporter (`exporter/`, one process)",
    "receiver": "PHP webhook receiver (`php/`, `GET /metrics`)",
}


def render() -> str:
    lines = [
        "# Metrics",
        "",
        "<!-- Generated from driftline/metric_catalog.py by `python -m driftline.metric_docs`;"
        " edit the catalog, not this file. -->",
        "",
        "Every metric driftline exposes. The catalog in `driftline/metric_catalog.py` is the one",
        "source of truth: the serving and exporter code register these names, the PHP receiver's",
        "output is tested against them, and every alert rule, recording rule and dashboard query",
        "is checked to use only these names.",
        "",
        "Conventions: prefix `driftline_`; base units (seconds, ratios in 0..1); counters end in",
        "`_total`; label values are bounded (features by the model schema, versions by",
        "retention, classes by the model, the enumerations below).",
        "",
    ]
    for component, title in _COMPONENTS.items():
        lines += [
            f"## {title}",
            "",
            "| name | type | labels | meaning |",
            "| --- | --- | --- | --- |",
        ]
        for m in METRICS:
            if m.component == component:
                labels = ", ".join(f"`{label}`" for label in m.labels) or "-"
                lines.append(f"| `{m.name}` | {m.type} | {labels} | {m.help} |")
        lines.append("")
    buckets = ", ".join(f"{b:g}" for b in LATENCY_BUCKETS_SECONDS)
    lines += [
        "## Label values",
        "",
        f"- Latency histogram buckets (seconds): {buckets}.",
        "- `endpoint` of the serving metrics: the route path (`/predict`, `/feedback`, `/health`,"
        " `/ready`, `/metrics`, `/openapi.json`, `/admin/reload`), or `unmatched` for any other"
        " path, so a scan of random URLs cannot grow the label set.",
        "- `version` of the serving metrics: the version the answering worker served.",
        "- `class` of `driftline_predictions_total`: the predicted class of a classifier (its"
        f" classes bound it); `{REGRESSION_CLASS}` for every prediction of a regression version,"
        " which has none, so a regression version is one series.",
        f"- `outcome` of `driftline_feedback_total`: {', '.join(FEEDBACK_OUTCOMES)}"
        " (a rejected feedback request counts once as `invalid`; the others are the label"
        " outcomes `LABEL_OUTCOMES` of `driftline/outcomes.py`, which the prediction log"
        " answers and `POST /feedback` returns as `status`).",
        f"- `outcome` of `driftline_model_reloads_total`: {', '.join(RELOAD_OUTCOMES)}"
        " (`RELOAD_OUTCOMES` of `driftline/outcomes.py`, what a worker's registry check"
        " returns; a worker's first model load counts as `swapped`).",
        f"- `stage` of `driftline_exporter_errors_total`: {', '.join(EXPORTER_STAGES)}.",
        f"- `kind` of `driftline_window_samples`: {', '.join(WINDOW_KINDS)}.",
        f"- `bound` of the `driftline_model_estimated_*` figures: {', '.join(ESTIMATE_BOUNDS)}"
        " (the estimate and the two ends of its 95% band; docs/estimation.md).",
        f"- `outcome` of `driftline_webhooks_total`: {', '.join(WEBHOOK_OUTCOMES)}.",
        f"- `state` of `driftline_retrain_jobs`: {', '.join(JOB_STATES)}.",
        "",
        "## When serving metrics are written",
        "",
        "A worker adds each request to `driftline_http_requests_total`,"
        " `driftline_http_request_duration_seconds` and `driftline_predictions_total` in memory"
        f" and writes the sums to its multiprocess file every {SERVING_FLUSH_SECONDS:g} s, and"
        " before it answers a scrape itself. A scrape can therefore miss up to"
        f" {SERVING_FLUSH_SECONDS:g} s of another worker's latest requests; they show in the"
        " next one. A worker that stops writes what it holds; one killed outright (SIGKILL,"
        f" out of memory) loses at most its last {SERVING_FLUSH_SECONDS:g} s of counts. The"
        " batching saves the request path four locked file writes per prediction.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
