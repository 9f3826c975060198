"""What one computation cycle found: immutable values the collector and report read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from driftline.tasks import DEFAULT_TASK, Task
from exporter.stats.estimation import EstimatedErrors, EstimatedPerformance
from exporter.stats.performance import Performance
from exporter.stats.regression import RegressionErrors


@dataclass(frozen=True)
class Distribution:
    """A feature's buckets as the statistics saw them: reference shares beside the window's.

    Numeric: the reference profile's frozen bins (``bucket`` labels name their
    edges); categorical: the reference categories, then ``unseen``.
    """

    buckets: tuple[str, ...]
    reference: tuple[float, ...]  # shares, summing to 1
    window: tuple[float, ...]  # shares of the window's non-missing values (all 0: none)


@dataclass(frozen=True)
class FeatureResult:
    name: str
    kind: Literal["numeric", "categorical"]
    samples: int  # non-missing values in the window
    missing_ratio: float | None  # None for an empty window
    psi: float | None = None  # None: fewer than the minimum samples
    ks_statistic: float | None = None
    ks_p_value: float | None = None
    chi2_statistic: float | None = None
    chi2_p_value: float | None = None
    unseen_ratio: float | None = None
    adjusted_p_value: float | None = None  # Holm-adjusted p-value used by the verdict
    drift: bool | None = None
    distribution: Distribution | None = None  # for people (the /report page), not exported


@dataclass(frozen=True)
class VersionResult:
    model: str
    version: str
    run_id: str
    window_samples: int
    labelled_samples: int
    last_label_at: float | None
    features: tuple[FeatureResult, ...]
    # Predicted classes (classifier) or predicted values (regression) against the reference.
    prediction_psi: float | None
    performance: Performance | None  # classifiers; None: fewer labelled samples than the minimum
    drift: bool | None  # None: window below the minimum, no verdict
    drifted_features: int | None
    task: Task = DEFAULT_TASK
    prediction_ks_statistic: float | None = None  # regression: KS of the predicted values
    prediction_ks_p_value: float | None = None
    prediction_adjusted_p_value: float | None = None  # Holm-adjusted, as the verdict used it
    prediction_drift: bool | None = None  # None: no verdict
    regression_errors: RegressionErrors | None = None  # regression; None: below the minimum
    holdout_mean_absolute_error: float | None = None  # regression: the profile's holdout MAE
    # Estimated from the predictions alone, labelled or not (docs/estimation.md): a binary
    # classifier's figures or a regression version's errors; None: no estimator, or fewer
    # predictions than the minimum.
    estimated_performance: EstimatedPerformance | EstimatedErrors | None = None


@dataclass(frozen=True)
class CycleResults:
    versions: tuple[VersionResult, ...] = ()
    last_run_at: float | None = None
    last_success_at: float | None = None
    run_duration_seconds: float | None = None
    errors: dict[str, int] = field(default_factory=dict)  # stage -> failures so far
    started_at: float | None = None  # when the exporter started (staleness before a success)


def version_order(model: str, version: str) -> tuple[str, int, str]:
    """Sort key: by model, then numerically by version ("10" after "9")."""
    return (model, int(version) if version.isdigit() else -1, version)
