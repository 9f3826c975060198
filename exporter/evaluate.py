"""Turn one version's window counts into figures: pure, no I/O, no clock."""

from __future__ import annotations

from dataclasses import replace

from exporter.distribution import categorical_distribution, numeric_distribution
from exporter.prepared import PreparedNumeric, PreparedProfile
from exporter.results import FeatureResult, VersionResult
from exporter.settings import ExporterConfig
from exporter.stats.chi2 import chi_square
from exporter.stats.estimation import (
    EstimatedErrors,
    EstimatedPerformance,
    estimate_errors,
    estimate_performance,
)
from exporter.stats.ks import ks_from_counts
from exporter.stats.performance import (
    Performance,
    confusion_performance,
    multiclass_performance,
    performance,
)
from exporter.stats.psi import psi_from_counts
from exporter.stats.regression import RegressionErrors, regression_errors
from exporter.stats.verdict import FeatureEvidence, PredictionEvidence, decide
from exporter.window import LabelledCounts, LabelledData, LabelledValues
from exporter.window_counts import NumericCounts, WindowCounts


def _missing_ratio(missing: int, size: int, config: ExporterConfig) -> float | None:
    return missing / size if size >= config.min_samples else None


def numeric_drift(
    ref: PreparedNumeric, c: NumericCounts, config: ExporterConfig
) -> tuple[float, float | None, float | None]:
    """PSI, KS statistic and KS p-value of one numeric quantity (a feature, predicted values)."""
    psi = psi_from_counts(ref.fractions, c.bins, config.psi_epsilon)
    if ref.ks is None or c.ks_le is None or c.ks_lt is None:
        return psi, None, None
    ks = ks_from_counts(ref.ks, c.ks_le, c.ks_lt, c.samples)
    return psi, ks.statistic, ks.p_value


def numeric_features(
    prepared: PreparedProfile, counts: WindowCounts, config: ExporterConfig
) -> list[FeatureResult]:
    out: list[FeatureResult] = []
    for ref, c in zip(prepared.numeric, counts.numeric, strict=True):
        n = c.samples
        base = FeatureResult(
            name=ref.name,
            kind="numeric",
            samples=n,
            missing_ratio=_missing_ratio(counts.size - n, counts.size, config),
            distribution=numeric_distribution(ref, c.bins),
        )
        if n < config.min_samples:
            out.append(base)
            continue
        psi, ks_stat, ks_p = numeric_drift(ref, c, config)
        out.append(replace(base, psi=psi, ks_statistic=ks_stat, ks_p_value=ks_p))
    return out


def categorical_features(
    prepared: PreparedProfile, counts: WindowCounts, config: ExporterConfig
) -> list[FeatureResult]:
    out: list[FeatureResult] = []
    for ref, c in zip(prepared.categorical, counts.categorical, strict=True):
        n = int(c.sum())
        base = FeatureResult(
            name=ref.name,
            kind="categorical",
            samples=n,
            missing_ratio=_missing_ratio(counts.size - n, counts.size, config),
            distribution=categorical_distribution(ref, c) if ref.categories else None,
        )
        if n < config.min_samples or not ref.categories:
            out.append(base)
            continue
        psi = psi_from_counts(ref.shares, c, config.psi_epsilon)
        known = c[: ref.unseen_code]
        chi2_stat = chi2_p = None
        if known.sum() > 0:
            chi = chi_square(known, ref.shares[: ref.unseen_code])
            chi2_stat, chi2_p = chi.statistic, chi.p_value
        out.append(
            replace(
                base,
                psi=psi,
                chi2_statistic=chi2_stat,
                chi2_p_value=chi2_p,
                unseen_ratio=float(c[ref.unseen_code] / n),
            )
        )
    return out


def prediction_psi(
    prepared: PreparedProfile, counts: WindowCounts, config: ExporterConfig
) -> float | None:
    if counts.size < config.min_samples or prepared.profile.prediction_rows == 0:
        return None
    return psi_from_counts(prepared.class_shares, counts.predicted, config.psi_epsilon)


def prediction_evidence(
    prepared: PreparedProfile, counts: WindowCounts, config: ExporterConfig
) -> PredictionEvidence:
    """Predicted-class PSI (classifier), or PSI and KS of the predicted values (regression)."""
    if prepared.task == "classification":
        return PredictionEvidence(psi=prediction_psi(prepared, counts, config))
    ref, c = prepared.predicted_values, counts.predicted_values
    if ref is None or c is None or c.samples < config.min_samples:
        return PredictionEvidence(psi=None)
    psi, ks_stat, ks_p = numeric_drift(ref, c, config)
    return PredictionEvidence(psi=psi, p_value=ks_p, ks_statistic=ks_stat)


def labelled_performance(
    prepared: PreparedProfile, data: LabelledData | LabelledCounts, config: ExporterConfig
) -> Performance | None:
    if labelled_samples(data) < config.min_labelled:
        return None
    if isinstance(data, LabelledCounts):  # an interval window (exporter/interval_window.py)
        scores = (
            (data.positive_scores, data.negative_scores) if len(prepared.classes) == 2 else None
        )
        return confusion_performance(data.confusion, prepared.classes, scores)
    if len(prepared.classes) > 2:
        return multiclass_performance(data.predicted, data.label, prepared.classes)
    pos = len(prepared.classes) - 1
    score = data.positive_score if len(prepared.classes) == 2 else None  # one class: no AUC
    return performance(
        correct=(data.predicted == data.label) & (data.label >= 0),
        actual_positive=data.label == pos,
        predicted_positive=data.predicted == pos,
        positive_score=score,
    )


def labelled_samples(data: LabelledData | LabelledValues | LabelledCounts) -> int:
    return data.samples if isinstance(data, LabelledCounts) else int(data.label.size)


def labelled_errors(data: LabelledValues, config: ExporterConfig) -> RegressionErrors | None:
    if data.label.size < config.min_labelled:
        return None
    return regression_errors(data.predicted, data.label)


def estimated(
    prepared: PreparedProfile, window: WindowCounts, config: ExporterConfig
) -> EstimatedPerformance | EstimatedErrors | None:
    """The window's estimated performance, once it holds the minimum of estimable rows."""
    calibrator = prepared.calibrator
    if window.confidence is not None and calibrator is not None:
        if window.confidence.n < config.min_samples:
            return None
        return estimate_performance(window.confidence, calibrator.ece, window.expected_roc_auc)
    info = prepared.profile.error_estimation
    if window.error_sums is not None and info is not None:
        if window.error_sums.n < config.min_samples:
            return None
        return estimate_errors(window.error_sums, info.absolute_bias, info.squared_bias)
    return None


def holdout_mae(prepared: PreparedProfile) -> float | None:
    errors = prepared.profile.holdout_errors
    return None if errors is None else errors.get("mae")


def evaluate(
    prepared: PreparedProfile,
    window: WindowCounts,
    labelled: LabelledData | LabelledValues | LabelledCounts,
    last_label_at: float | None,
    config: ExporterConfig,
) -> VersionResult:
    features = numeric_features(prepared, window, config)
    features += categorical_features(prepared, window, config)
    prediction = prediction_evidence(prepared, window, config)
    drift: bool | None = None
    drifted: int | None = None
    prediction_drift: bool | None = None
    prediction_adjusted: float | None = None
    if window.size >= config.min_samples:
        evidence = [
            FeatureEvidence(
                name=f.name,
                kind=f.kind,
                psi=f.psi,
                p_value=f.ks_p_value if f.kind == "numeric" else f.chi2_p_value,
                ks_statistic=f.ks_statistic,
                unseen_ratio=f.unseen_ratio,
            )
            for f in features
        ]
        verdict = decide(evidence, prediction, config.rule)
        features = [
            replace(
                f,
                adjusted_p_value=verdict.adjusted_p_values.get(f.name),
                drift=verdict.flagged[f.name] if f.psi is not None else None,
            )
            for f in features
        ]
        drift, drifted = verdict.drift, verdict.drifted_features
        prediction_drift = verdict.prediction_drift
        prediction_adjusted = verdict.prediction_adjusted_p_value
    if isinstance(labelled, LabelledValues):
        perf, errors = None, labelled_errors(labelled, config)
    else:
        perf, errors = labelled_performance(prepared, labelled, config), None
    return VersionResult(
        model=prepared.model,
        version=prepared.version,
        run_id=prepared.run_id,
        window_samples=window.size,
        labelled_samples=labelled_samples(labelled),
        last_label_at=last_label_at,
        features=tuple(features),
        prediction_psi=prediction.psi,
        performance=perf,
        drift=drift,
        drifted_features=drifted,
        task=prepared.task,
        prediction_ks_statistic=prediction.ks_statistic,
        prediction_ks_p_value=prediction.p_value,
        prediction_adjusted_p_value=prediction_adjusted,
        prediction_drift=prediction_drift,
        regression_errors=errors,
        holdout_mean_absolute_error=holdout_mae(prepared),
        estimated_performance=estimated(prepared, window, config),
    )
