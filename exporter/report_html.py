"""The HTML drift report of the last cycle's results, for people.

Per version: a summary, a table of every feature's figures, then one card per
feature with the reference distribution beside the window's and the history of
its PSI and KS statistic over the exporter's recent cycles, and a chart of the
version's quality figures (exporter/history.py: QUALITY_SERIES). Charts are inline
SVG (exporter/report_svg.py): the page works offline and runs no script.
"""

from __future__ import annotations

import html
import time
import urllib.parse
from collections.abc import Callable

from exporter.history import QUALITY_SERIES, CycleHistory, CyclePoint
from exporter.per_cycle import PerCycle
from exporter.report_svg import REFERENCE_COLOUR, WINDOW_COLOUR, bar_chart, line_chart
from exporter.results import CycleResults, FeatureResult, VersionResult
from exporter.stats.performance import Performance
from exporter.stats.verdict import VerdictRule


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


def _table(v: VersionResult) -> str:
    rows = []
    for f in sorted(v.features, key=lambda f: (f.kind, f.name)):
        stat = f.ks_statistic if f.kind == "numeric" else f.chi2_statistic
        p = f.ks_p_value if f.kind == "numeric" else f.chi2_p_value
        rows.append(
            "<tr>"
            f"<td><a href='#{_anchor(v, f)}'>{html.escape(f.name)}</a></td><td>{f.kind}</td>"
            f"<td>{f.samples}</td>"
            f"<td>{_fmt(f.missing_ratio)}</td><td>{_fmt(f.psi)}</td><td>{_fmt(stat)}</td>"
            f"<td>{_fmt(p)}</td><td>{_fmt(f.adjusted_p_value)}</td>"
            f"<td>{_fmt(f.unseen_ratio)}</td><td>{_flag(f.drift)}</td></tr>"
        )
    return (
        "<table><tr><th>feature</th><th>kind</th><th>samples</th><th>missing</th>"
        "<th>PSI</th><th>KS / &chi;&sup2;</th><th>p-value</th><th>Holm p</th>"
        "<th>unseen</th><th>verdict</th></tr>" + "".join(rows) + "</table>"
    )


def _anchor(v: VersionResult, f: FeatureResult) -> str:
    return html.escape(urllib.parse.quote(f"{v.model}-{v.version}-{f.name}"), quote=True)


def _figures(f: FeatureResult) -> str:
    if f.kind == "numeric":
        test = (
            f"KS {_fmt(f.ks_statistic)} (p {_fmt(f.ks_p_value)}, Holm p {_fmt(f.adjusted_p_value)})"
        )
    else:
        test = (
            f"&chi;&sup2; {_fmt(f.chi2_statistic)} (p {_fmt(f.chi2_p_value)}, "
            f"Holm p {_fmt(f.adjusted_p_value)}), unseen {_fmt(f.unseen_ratio)}"
        )
    return f"{f.samples} values, missing {_fmt(f.missing_ratio)}; PSI {_fmt(f.psi)}; {test}"


def _feature_card(
    v: VersionResult, f: FeatureResult, points: tuple[CyclePoint, ...], rule: VerdictRule
) -> str:
    verdict = "none" if f.drift is None else ("drift" if f.drift else "ok")
    bars = (
        bar_chart(f.distribution)
        if f.distribution is not None
        else "<p class='none'>no reference buckets</p>"
    )
    times = [p.at for p in points]
    series: dict[str, list[float | None]] = {"PSI": [p.psi.get(f.name) for p in points]}
    levels = {"PSI that flags on its own": rule.psi_max}
    if f.kind == "numeric":
        series["KS statistic"] = [p.ks.get(f.name) for p in points]
        levels["KS statistic the rule needs"] = rule.ks_min
    return (
        f"<section class='feature v-{verdict}' id='{_anchor(v, f)}' "
        f"data-feature='{html.escape(f.name, quote=True)}' data-verdict='{verdict}'>"
        f"<h3>{html.escape(f.name)} <small>{f.kind}</small> {_flag(f.drift)}</h3>"
        f"<p class='figures'>{_figures(f)}</p>"
        f"<div class='charts'>{bars}{line_chart(times, series, levels=levels)}</div></section>"
    )


def _quality(points: tuple[CyclePoint, ...]) -> str:
    series = {name: [p.quality.get(name) for p in points] for name, _ in QUALITY_SERIES}
    return (
        "<div class='quality'><h3>Quality over recent cycles</h3>"
        + line_chart([p.at for p in points], series, width=560)
        + "</div>"
    )


def _version(v: VersionResult, history: CycleHistory | None, rule: VerdictRule) -> str:
    points = history.of(v.model, v.version) if history is not None else ()
    perf_line = _errors(v) if v.task == "regression" else _performance(v.performance)
    query = urllib.parse.urlencode({"model": v.model, "version": v.version})
    cards = "".join(
        _feature_card(v, f, points, rule)
        for f in sorted(v.features, key=lambda f: (not f.drift, f.kind, f.name))
    )
    return (
        f"<div class='version' data-model='{html.escape(v.model, quote=True)}' "
        f"data-version='{html.escape(v.version, quote=True)}'>"
        f"<h2>{html.escape(v.model)} version {html.escape(v.version)}: {_flag(v.drift)}</h2>"
        f"<p>Reference run {html.escape(v.run_id)}. Window: {v.window_samples} predictions, "
        f"{v.labelled_samples} labelled. Drifted features: {v.drifted_features}. "
        f"{_prediction(v)} <a href='/report/evidently?{html.escape(query)}'>Evidently's "
        "report of this window</a>.</p>"
        f"<p>Performance: {perf_line}.</p>"
        + _quality(points)
        + _table(v)
        + f"<div class='cards'>{cards}</div></div>"
    )


STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
    "td:first-child{text-align:left}.drift{color:#b00}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:12px}"
    ".feature{border:1px solid #ddd;border-radius:4px;padding:6px 10px}"
    ".feature.v-drift{border-color:#b00}.feature h3{margin:0.2em 0;font-size:1.05em}"
    ".figures{font-size:0.85em;margin:0.2em 0 0.5em}"
    "svg text{font-size:10px;fill:#333}svg text.legend{font-size:11px}"
    f".key span{{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}}"
    f".key .ref{{background:{REFERENCE_COLOUR}}}.key .win{{background:{WINDOW_COLOUR}}}"
)


def render(
    results: CycleResults,
    history: CycleHistory | None = None,
    rule: VerdictRule | None = None,
) -> str:
    """The page for ``results``; ``rule`` draws the verdict's levels on the history charts."""
    rule = VerdictRule() if rule is None else rule
    when = (
        time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(results.last_run_at))
        if results.last_run_at
        else "not yet"
    )
    body = "".join(_version(v, history, rule) for v in results.versions)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>driftline drift report</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>Drift report</h1><p>Last computation: {when}. Method: docs/drift.md. "
        "Distributions: <span class='key'><span class='ref'></span>training reference"
        "<span class='win'></span>current window</span> (numeric features in the reference "
        "profile's frozen bins; categorical ones with an <i>unseen</i> bar).</p>"
        + (body or "<p>No predictions yet.</p>")
        + "</body></html>"
    )


class ReportPage:
    """The /report body, rendered once per published cycle and reused until the next.

    The engine records a cycle in the history before publishing its results, so
    a page rendered for some results always holds their history point.
    """

    def __init__(
        self,
        results: Callable[[], CycleResults],
        history: CycleHistory | None = None,
        rule: VerdictRule | None = None,
    ) -> None:
        self._page = PerCycle(results, lambda r: render(r, history, rule).encode())

    def __call__(self) -> bytes:
        return self._page()[1]
