"""The per-feature drift flags and the per-model drift verdict.

On big windows a KS or chi-square p-value becomes tiny for shifts nobody cares
about, and testing twenty features at once produces false alarms by chance. So a
feature is flagged only when the evidence is both *significant* and *large*:

- numeric: Holm-adjusted KS p-value < ``alpha`` and KS statistic >= ``ks_min``;
- categorical: Holm-adjusted chi-square p-value < ``alpha`` and PSI >= ``categorical_psi_min``;
- any feature: PSI >= ``psi_max`` (a shift this large is drift whatever the p-value);
- categorical: unseen-category ratio >= ``unseen_max``.

The predictions are evidence too (``PredictionEvidence``): a classifier's
predicted-class PSI, a regression model's predicted-value PSI, KS statistic and
KS p-value. They show *prediction drift* when the PSI is >= ``prediction_psi_max``,
or, for predicted values, when the Holm-adjusted KS p-value < ``alpha`` and the KS
statistic >= ``ks_min`` (the numeric-feature rule).

Holm's step-down correction runs over the p-values of all the model version's
features that have one, and the predicted values' KS p-value when there is one,
so ``alpha`` is the family-wise error rate of a cycle. The model verdict is raised
when at least ``min_drifted_features`` features are flagged, or on prediction drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class VerdictRule:
    """The one home of the drift thresholds.

    The exporter's flags, the /report page, the Drift dashboard's lines and the
    drift alerts (which fire from the exported flags) all follow these values;
    ``DRIFTLINE_EXPORTER_<FIELD>`` overrides one (exporter/settings.py).
    """

    # Family-wise error rate of one cycle after Holm's correction.
    alpha: float = 0.05
    # A 0.2 SD mean shift of a normal gives D ~ 0.08; sampling noise of D for
    # 5,000 vs 10,000 values is ~0.015 (99.9th percentile ~0.035).
    ks_min: float = 0.05
    # A category share moving by ~5 points on a 3-category feature.
    categorical_psi_min: float = 0.02
    # The usual "significant shift" PSI rule of thumb: drift whatever the p-value.
    psi_max: float = 0.2
    # 1% of values never seen in training is a pipeline or product change.
    unseen_max: float = 0.01
    # The usual "moderate shift" PSI rule of thumb; with two classes a positive
    # rate moving from 20% to 35% gives about 0.115, a shift the business notices.
    prediction_psi_max: float = 0.1
    # One drifted input is worth a look.
    min_drifted_features: int = 1

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.min_drifted_features < 1:
            raise ValueError("min_drifted_features must be at least 1")
        for name in (
            "ks_min",
            "categorical_psi_min",
            "psi_max",
            "unseen_max",
            "prediction_psi_max",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


@dataclass(frozen=True)
class FeatureEvidence:
    name: str
    kind: Literal["numeric", "categorical"]
    psi: float | None
    p_value: float | None  # KS for numeric, chi-square for categorical
    ks_statistic: float | None = None
    unseen_ratio: float | None = None


@dataclass(frozen=True)
class PredictionEvidence:
    psi: float | None  # predicted classes (classifier) or predicted values (regression)
    p_value: float | None = None  # KS of the predicted values (regression only)
    ks_statistic: float | None = None


@dataclass(frozen=True)
class Verdict:
    flagged: dict[str, bool]
    adjusted_p_values: dict[str, float]
    prediction_drift: bool
    drift: bool
    prediction_adjusted_p_value: float | None = None

    @property
    def drifted_features(self) -> int:
        return sum(self.flagged.values())


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the order given."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def _at_least(value: float | None, threshold: float) -> bool:
    return value is not None and value >= threshold


def decide(
    features: Sequence[FeatureEvidence],
    prediction: PredictionEvidence | None,
    rule: VerdictRule,
) -> Verdict:
    if prediction is None:
        prediction = PredictionEvidence(psi=None)
    tested = [f for f in features if f.p_value is not None]
    p_values = [f.p_value for f in tested if f.p_value is not None]
    if prediction.p_value is not None:
        p_values.append(prediction.p_value)  # last: one more test in the same family
    adjusted_all = holm(p_values)
    adjusted = dict(zip((f.name for f in tested), adjusted_all[: len(tested)], strict=True))
    prediction_p = adjusted_all[-1] if prediction.p_value is not None else None
    flagged: dict[str, bool] = {}
    for f in features:
        significant = f.name in adjusted and adjusted[f.name] < rule.alpha
        if f.kind == "numeric":
            large = _at_least(f.ks_statistic, rule.ks_min)
        else:
            large = _at_least(f.psi, rule.categorical_psi_min)
        flagged[f.name] = (
            (significant and large)
            or _at_least(f.psi, rule.psi_max)
            or (f.kind == "categorical" and _at_least(f.unseen_ratio, rule.unseen_max))
        )
    prediction_drift = _at_least(prediction.psi, rule.prediction_psi_max) or (
        prediction_p is not None
        and prediction_p < rule.alpha
        and _at_least(prediction.ks_statistic, rule.ks_min)
    )
    drift = sum(flagged.values()) >= rule.min_drifted_features or prediction_drift
    return Verdict(
        flagged=flagged,
        adjusted_p_values=adjusted,
        prediction_drift=prediction_drift,
        drift=drift,
        prediction_adjusted_p_value=prediction_p,
    )
