"""A plain HTML drift report of the last cycle's results, for people."""

from __future__ import annotations

import html
import time

from exporter.results import CycleResults, VersionResult
from exporter.stats.performance import Performance


def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "&ndash;"
    if value != 0 and abs(value) < 10**-digits:
        return f"{value:.2e}"
    return f"{value:.{digits}f}"


def _flag(value: bool | None) -> str:
    if value is None:
        return "&ndash;"
    return '<b class="drift">DRIFT</b>' if value else "ok"


def _performance(perf: Performance | None) -> str:
    if perf is None:
        return "fewer labelled predictions than the minimum"
    which = "positive class" if perf.average == "binary" else "macro average"
    line = (
        f"accuracy {_fmt(perf.accuracy)}; {which}: precision {_fmt(perf.precision)}, "
        f"recall {_fmt(perf.recall)}, F1 {_fmt(perf.f1)}; ROC AUC {_fmt(perf.roc_auc)}"
    )
    for c in perf.per_class:
        line += (
            f"; class {html.escape(c.name)}: precision {_fmt(c.precision)}, "
            f"recall {_fmt(c.recall)}, F1 {_fmt(c.f1)}"
        )
    return line


def _errors(v: VersionResult) -> str:
    e = v.regression_errors
    holdout = f" (holdout MAE {_fmt(v.holdout_mean_absolute_error)})"
    if e is None:
        return "fewer labelled predictions than the minimum" + holdout
    return (
        f"MAE {_fmt(e.mean_absolute_error)}{holdout}, RMSE {_fmt(e.root_mean_squared_error)}, "
        f"R&sup2; {_fmt(e.r2)}, mean error {_fmt(e.mean_error)}"
    )


def _prediction(v: VersionResult) -> str:
    if v.task == "regression":
        return (
            f"Predicted-value PSI: {_fmt(v.prediction_psi)}, KS {_fmt(v.prediction_ks_statistic)}"
            f" (p {_fmt(v.prediction_ks_p_value)}, Holm p {_fmt(v.prediction_adjusted_p_value)})"
            f": {_flag(v.prediction_drift)}."
        )
    return f"Predicted-class PSI: {_fmt(v.prediction_psi)}."


def _version(v: VersionResult) -> str:
    rows = []
    for f in sorted(v.features, key=lambda f: (f.kind, f.name)):
        stat = f.ks_statistic if f.kind == "numeric" else f.chi2_statistic
        p = f.ks_p_value if f.kind == "numeric" else f.chi2_p_value
        rows.append(
            "<tr>"
            f"<td>{html.escape(f.name)}</td><td>{f.kind}</td><td>{f.samples}</td>"
            f"<td>{_fmt(f.missing_ratio)}</td><td>{_fmt(f.psi)}</td><td>{_fmt(stat)}</td>"
            f"<td>{_fmt(p)}</td><td>{_fmt(f.adjusted_p_value)}</td>"
            f"<td>{_fmt(f.unseen_ratio)}</td><td>{_flag(f.drift)}</td></tr>"
        )
    perf_line = _errors(v) if v.task == "regression" else _performance(v.performance)
    return (
        f"<h2>{html.escape(v.model)} version {html.escape(v.version)}: {_flag(v.drift)}</h2>"
        f"<p>Reference run {html.escape(v.run_id)}. Window: {v.window_samples} predictions, "
        f"{v.labelled_samples} labelled. Drifted features: {v.drifted_features}. "
        f"{_prediction(v)}</p>"
        f"<p>Performance: {perf_line}.</p>"
        "<table><tr><th>feature</th><th>kind</th><th>samples</th><th>missing</th>"
        "<th>PSI</th><th>KS / &chi;&sup2;</th><th>p-value</th><th>Holm p</th>"
        "<th>unseen</th><th>verdict</th></tr>" + "".join(rows) + "</table>"
    )


def render(results: CycleResults) -> str:
    when = (
        time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(results.last_run_at))
        if results.last_run_at
        else "not yet"
    )
    body = "".join(_version(v) for v in results.versions) or "<p>No predictions yet.</p>"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>driftline drift report</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
        "td:first-child{text-align:left}.drift{color:#b00}</style></head><body>"
        f"<h1>Drift report</h1><p>Last computation: {when}. "
        "Method: docs/drift.md.</p>" + body + "</body></html>"
    )
