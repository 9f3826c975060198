"""The live quality a story watches, by task: which alert retrains, and how Prometheus reads it.

A classifier's story watches its labelled-window accuracy against ``accuracy_min``
(DriftlineModelAccuracyLow); a regression model's its labelled-window MAE as a
multiple of its own holdout MAE against ``mae_ratio_max`` (DriftlineModelErrorHigh).
Thresholds come from alerting/thresholds.yml, the one place they are decided, so
the story's "recovered" is exactly "the alert's condition no longer holds".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from driftline.monitoring_render import load_thresholds
from driftline.tasks import Task

_THRESHOLDS: Final = load_thresholds()


@dataclass(frozen=True)
class Quality:
    task: Task
    alertname: str  # the retrain alert on this figure
    name: str  # how the timeline names the figure
    threshold: float
    higher_is_better: bool
    min_labelled: int  # the alert judges no window with fewer labelled predictions

    def figure(self, model: str, version: str) -> str:
        """PromQL: the live figure of one version (accuracy, or MAE in the target's unit)."""
        if self.task == "classification":
            return f'driftline_model_accuracy_ratio{{model="{model}",version="{version}"}}'
        return f'driftline_model_mean_absolute_error{{model="{model}",version="{version}"}}'

    def score(self, model: str, version: str) -> str:
        """PromQL: what the alert compares with the threshold (accuracy, or the MAE ratio)."""
        if self.task == "classification":
            return self.figure(model, version)
        selector = f'{{model="{model}",version="{version}"}}'
        return (
            f"max by (model, version) (driftline_model_mean_absolute_error{selector}) "
            f"/ max by (model, version) (driftline_reference_mean_absolute_error{selector})"
        )

    def healthy(self, model: str, version: str) -> str:
        """PromQL answering a series while the version is on the good side of the threshold,
        judged on as many labelled predictions as the alert needs."""
        op = ">=" if self.higher_is_better else "<="
        return f"{self.score(model, version)} {op} {self.threshold}{self._judged(model, version)}"

    def degraded(self, model: str, version: str) -> str:
        """PromQL answering a series while the alert's condition holds for the version."""
        op = "<" if self.higher_is_better else ">"
        return f"{self.score(model, version)} {op} {self.threshold}{self._judged(model, version)}"

    def _judged(self, model: str, version: str) -> str:
        # A window of a few labels can land on either side of the line by chance.
        selector = f'{{model="{model}",version="{version}",kind="labelled"}}'
        labelled = f"max by (model, version) (driftline_window_samples{selector})"
        return f" and on (model, version) {labelled} >= {self.min_labelled}"

    def describe(self, score: float, figure: float) -> str:
        """E.g. ``0.846`` (accuracy) or ``24,310 (0.98 x its holdout MAE)``."""
        if self.task == "classification":
            return f"{score:.3f}"
        return f"{figure:,.0f} ({score:.2f} x its holdout MAE)"

    def limit(self) -> str:
        """E.g. ``below 0.75`` or ``above 1.25 x``: where the alert's condition starts."""
        if self.higher_is_better:
            return f"below {self.threshold:g}"
        return f"above {self.threshold:g} x"


QUALITY: Final[Mapping[Task, Quality]] = {
    "classification": Quality(
        "classification",
        "DriftlineModelAccuracyLow",
        "accuracy",
        _THRESHOLDS["accuracy_min"],
        True,
        int(_THRESHOLDS["accuracy_min_labelled_samples"]),
    ),
    "regression": Quality(
        "regression",
        "DriftlineModelErrorHigh",
        "MAE",
        _THRESHOLDS["mae_ratio_max"],
        False,
        int(_THRESHOLDS["mae_min_labelled_samples"]),
    ),
}
