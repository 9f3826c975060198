"""Turn one version's window counts into figures: pure, no I/O, no clock."""

from __future__ import annotations

from dataclasses import replace

from exporter.prepared import PreparedProfile
from exporter.results import FeatureResult, VersionResult
from exporter.settings import ExporterConfig
from exporter.stats.chi2 import chi_square
from exporter.stats.ks import ks_from_counts
from exporter.stats.performance import Performance, multiclass_performance, performance
from exporter.stats.psi import psi_from_counts
from exporter.stats.verdict import FeatureEvidence, PredictionEvidence, decide
from exporter.window import LabelledData
from exporter.window_counts import WindowCounts


def _missing_ratio(missing: int, size: int, config: ExporterConfig) -> float | None:
    return missing / size if size >= config.min_samples else None


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
        )
        if n < config.min_samples:
            out.append(base)
            continue
        psi = psi_from_counts(ref.fractions, c.bins, config.psi_epsilon)
        ks_stat = ks_p = None
        if ref.ks is not None and c.ks_le is not None and c.ks_lt is not None:
            ks = ks_from_counts(ref.ks, c.ks_le, c.ks_lt, n)
            ks_stat, ks_p = ks.statistic, ks.p_value
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


def labelled_performance(
    prepared: PreparedProfile, data: LabelledData, config: ExporterConfig
) -> Performance | None:
    if data.label.size < config.min_labelled:
        return None
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


def evaluate(
    prepared: PreparedProfile,
    window: WindowCounts,
    labelled: LabelledData,
    last_label_at: float | None,
    config: ExporterConfig,
) -> VersionResult:
    features = numeric_features(prepared, window, config)
    features += categorical_features(prepared, window, config)
    pred_psi = prediction_psi(prepared, window, config)
    drift: bool | None = None
    drifted: int | None = None
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
        verdict = decide(evidence, PredictionEvidence(psi=pred_psi), config.rule)
        features = [
            replace(
                f,
                adjusted_p_value=verdict.adjusted_p_values.get(f.name),
                drift=verdict.flagged[f.name] if f.psi is not None else None,
            )
            for f in features
        ]
        drift, drifted = verdict.drift, verdict.drifted_features
    return VersionResult(
        model=prepared.model,
        version=prepared.version,
        run_id=prepared.run_id,
        window_samples=window.size,
        labelled_samples=int(labelled.label.size),
        last_label_at=last_label_at,
        features=tuple(features),
        prediction_psi=pred_psi,
        performance=labelled_performance(prepared, labelled, config),
        drift=drift,
        drifted_features=drifted,
    )
