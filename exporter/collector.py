"""Prometheus custom collector over the last published cycle results.

A scrape only formats numbers computed by the background cycle: it never reads
the log or computes a statistic. Names, types and labels come from
driftline/metric_catalog.py. Series are ordered by model, version, then feature
name. Example of what one version produces::

    # HELP driftline_feature_psi Population stability index of a feature against the reference.
    # TYPE driftline_feature_psi gauge
    driftline_feature_psi{feature="age",model="churn",version="1"} 0.0021
    # HELP driftline_exporter_errors_total Failed computation steps, by stage.
    # TYPE driftline_exporter_errors_total counter
    driftline_exporter_errors_total{stage="compute"} 0.0

A figure computed from fewer samples than the configured minimum is absent,
never zero, so an empty window cannot read as "no drift".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from driftline.metric_catalog import ESTIMATE_BOUNDS, EXPORTER_STAGES, spec
from exporter.per_cycle import PerCycle
from exporter.results import CycleResults, FeatureResult, VersionResult, version_order
from exporter.stats.estimation import Band, EstimatedErrors, EstimatedPerformance
from exporter.stats.performance import ClassFigures


def _gauge(name: str) -> GaugeMetricFamily:
    s = spec(name)
    return GaugeMetricFamily(s.name, s.help, labels=list(s.labels))


_FEATURE_FIGURES: tuple[tuple[str, Callable[[FeatureResult], float | None]], ...] = (
    ("driftline_feature_psi", lambda f: f.psi),
    ("driftline_feature_ks_statistic", lambda f: f.ks_statistic),
    ("driftline_feature_ks_p_value", lambda f: f.ks_p_value),
    ("driftline_feature_chi2_statistic", lambda f: f.chi2_statistic),
    ("driftline_feature_chi2_p_value", lambda f: f.chi2_p_value),
    ("driftline_feature_unseen_category_ratio", lambda f: f.unseen_ratio),
    ("driftline_feature_missing_ratio", lambda f: f.missing_ratio),
    ("driftline_feature_samples", lambda f: float(f.samples)),
    ("driftline_feature_drift_detected", lambda f: None if f.drift is None else float(f.drift)),
)


def _perf(v: VersionResult, figure: str) -> float | None:
    if v.performance is None:
        return None
    value: float | None = getattr(v.performance, figure)
    return value


def _errors(v: VersionResult, figure: str) -> float | None:
    if v.regression_errors is None:
        return None
    value: float | None = getattr(v.regression_errors, figure)
    return value


_VERSION_FIGURES: tuple[tuple[str, Callable[[VersionResult], float | None]], ...] = (
    ("driftline_prediction_psi", lambda v: v.prediction_psi),
    ("driftline_prediction_ks_statistic", lambda v: v.prediction_ks_statistic),
    ("driftline_prediction_ks_p_value", lambda v: v.prediction_ks_p_value),
    (
        "driftline_prediction_drift_detected",
        lambda v: None if v.prediction_drift is None else float(v.prediction_drift),
    ),
    ("driftline_model_drift_detected", lambda v: None if v.drift is None else float(v.drift)),
    (
        "driftline_model_drifted_features",
        lambda v: None if v.drifted_features is None else float(v.drifted_features),
    ),
    ("driftline_model_accuracy_ratio", lambda v: _perf(v, "accuracy")),
    ("driftline_model_precision_ratio", lambda v: _perf(v, "precision")),
    ("driftline_model_recall_ratio", lambda v: _perf(v, "recall")),
    ("driftline_model_f1_ratio", lambda v: _perf(v, "f1")),
    ("driftline_model_roc_auc_ratio", lambda v: _perf(v, "roc_auc")),
    ("driftline_model_mean_absolute_error", lambda v: _errors(v, "mean_absolute_error")),
    ("driftline_model_root_mean_squared_error", lambda v: _errors(v, "root_mean_squared_error")),
    ("driftline_model_r2", lambda v: _errors(v, "r2")),
    ("driftline_model_mean_error", lambda v: _errors(v, "mean_error")),
    ("driftline_reference_mean_absolute_error", lambda v: v.holdout_mean_absolute_error),
    ("driftline_window_last_label_timestamp_seconds", lambda v: v.last_label_at),
)


def _estimated(v: VersionResult, figure: str) -> Band | None:
    est = v.estimated_performance
    if est is None or not hasattr(est, figure):
        return None
    band: Band | None = getattr(est, figure)
    return band


_ESTIMATED_FIGURES: tuple[tuple[str, str], ...] = (
    ("driftline_model_estimated_accuracy_ratio", "accuracy"),
    ("driftline_model_estimated_precision_ratio", "precision"),
    ("driftline_model_estimated_recall_ratio", "recall"),
    ("driftline_model_estimated_f1_ratio", "f1"),
    ("driftline_model_estimated_roc_auc_ratio", "roc_auc"),
    ("driftline_model_estimated_mean_absolute_error", "mean_absolute_error"),
    ("driftline_model_estimated_root_mean_squared_error", "root_mean_squared_error"),
)


def _estimation_families(versions: list[VersionResult]) -> Iterator[Metric]:
    for name, figure in _ESTIMATED_FIGURES:
        fam = _gauge(name)
        for v in versions:
            band = _estimated(v, figure)
            if band is not None:
                values = (band.estimate, band.lower, band.upper)
                for bound, value in zip(ESTIMATE_BOUNDS, values, strict=True):
                    fam.add_metric([v.model, v.version, bound], value)
        yield fam
    samples = _gauge("driftline_model_estimated_samples")
    calibration = _gauge("driftline_reference_calibration_error")
    for v in versions:
        est = v.estimated_performance
        if isinstance(est, EstimatedPerformance | EstimatedErrors):
            samples.add_metric([v.model, v.version], float(est.samples))
        if isinstance(est, EstimatedPerformance):
            calibration.add_metric([v.model, v.version], est.calibration_error)
    yield samples
    yield calibration


_CLASS_FIGURES: tuple[tuple[str, Callable[[ClassFigures], float | None]], ...] = (
    ("driftline_model_class_precision_ratio", lambda c: c.precision),
    ("driftline_model_class_recall_ratio", lambda c: c.recall),
    ("driftline_model_class_f1_ratio", lambda c: c.f1),
)


def families(results: CycleResults) -> Iterator[Metric]:
    """Every exporter metric family for ``results`` except the staleness gauge."""
    versions = sorted(results.versions, key=lambda v: version_order(v.model, v.version))
    for name, get in _FEATURE_FIGURES:
        fam = _gauge(name)
        for v in versions:
            for f in sorted(v.features, key=lambda f: f.name):
                value = get(f)
                if value is not None:
                    fam.add_metric([v.model, v.version, f.name], float(value))
        yield fam
    for name, get_v in _VERSION_FIGURES:
        fam = _gauge(name)
        for v in versions:
            value = get_v(v)
            if value is not None:
                fam.add_metric([v.model, v.version], float(value))
        yield fam
    for name, get_c in _CLASS_FIGURES:
        fam = _gauge(name)
        for v in versions:
            for c in () if v.performance is None else v.performance.per_class:
                value = get_c(c)
                if value is not None:
                    fam.add_metric([v.model, v.version, c.name], value)
        yield fam
    yield from _estimation_families(versions)
    samples = _gauge("driftline_window_samples")
    info = _gauge("driftline_reference_info")
    for v in versions:
        samples.add_metric([v.model, v.version, "labelled"], float(v.labelled_samples))
        samples.add_metric([v.model, v.version, "predictions"], float(v.window_samples))
        info.add_metric([v.model, v.version, v.run_id], 1.0)
    yield samples
    yield info
    for name, value in (
        ("driftline_exporter_last_run_timestamp_seconds", results.last_run_at),
        ("driftline_exporter_last_success_timestamp_seconds", results.last_success_at),
        ("driftline_exporter_run_duration_seconds", results.run_duration_seconds),
    ):
        fam = _gauge(name)
        if value is not None:
            fam.add_metric([], float(value))
        yield fam
    err_spec = spec("driftline_exporter_errors_total")
    errors = CounterMetricFamily(err_spec.name, err_spec.help, labels=list(err_spec.labels))
    for stage in sorted(EXPORTER_STAGES):
        errors.add_metric([stage], float(results.errors.get(stage, 0)))
    yield errors


def staleness(results: CycleResults, now: float) -> Metric:
    """Seconds since the last fully successful cycle (since start-up before the first)."""
    since = results.last_success_at or results.started_at
    stale = _gauge("driftline_exporter_staleness_seconds")
    if since is not None:
        stale.add_metric([], max(0.0, now - since))
    return stale


class DriftCollector(Collector):
    def __init__(
        self, results: Callable[[], CycleResults], clock: Callable[[], float] = time.time
    ) -> None:
        self._results = results
        self._clock = clock

    def describe(self) -> list[Metric]:
        return []  # no collect() at registration time

    def collect(self) -> Iterator[Metric]:
        results = self._results()
        yield from families(results)
        yield staleness(results, self._clock())


class _Families(Collector):
    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self._metrics


def _render(metrics: list[Metric]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(metrics))
    return generate_latest(registry)


class MetricsPage:
    """The ``/metrics`` body: what DriftCollector yields, formatted once per cycle.

    Only the staleness gauge depends on the scrape time; everything else is
    rendered when a new cycle's results are first scraped and then reused, so a
    scrape costs the same whatever the number of series or the window size.
    """

    def __init__(
        self, results: Callable[[], CycleResults], clock: Callable[[], float] = time.time
    ) -> None:
        self._body = PerCycle(results, lambda r: _render(list(families(r))))
        self._clock = clock

    def __call__(self) -> bytes:
        results, body = self._body()
        return body + _render([staleness(results, self._clock())])
