"""The line the retraining command prints for the PHP worker (docs/retrain-outcome.md).

`driftline retrain` prints exactly one JSON object as the last line of its
standard output. Exit code 0 means the job ran to a decision (promoted or
rejected); any other exit code means it failed and nothing served changed.

The gate judges a challenger by one figure per task (``GATE_METRICS``); the
line names it in ``figures.metric`` with ``figures.better`` (which way is an
improvement) and ``figures.margin_kind`` (how ``figures.margin`` is read), so a
reader needs no table to show it. The PHP side mirrors ``GATE_METRICS`` to name
the figure of a run whose line it has not seen (tests/php/test_contract.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, TypedDict

from driftline.tasks import Task

OUTCOME_SCHEMA: Final = "driftline.retrain-outcome"
OUTCOME_SCHEMA_VERSION: Final = 1

Status = Literal["promoted", "rejected", "failed"]
STATUSES: Final = ("promoted", "rejected", "failed")

# Which way a gate figure improves.
Better = Literal["higher", "lower"]
BETTER: Final[tuple[Better, ...]] = ("higher", "lower")
# How the margin is read: points of the figure, or a share of the champion's figure.
MarginKind = Literal["absolute", "relative"]
MARGIN_KINDS: Final[tuple[MarginKind, ...]] = ("absolute", "relative")


@dataclass(frozen=True)
class GateMetric:
    """The figure the gate compares on the recent holdout (a key of training's holdout metrics)."""

    name: str
    better: Better
    margin_kind: MarginKind


# Accuracy is what the classifier's alert and dashboards watch, and a gain in points
# reads the same at any level. An error is in the target's unit (euros, minutes), so
# its margin is a share of the champion's error: one number fits every target.
GATE_METRICS: Final[Mapping[Task, GateMetric]] = {
    "classification": GateMetric("accuracy", "higher", "absolute"),
    "regression": GateMetric("mae", "lower", "relative"),
}

# The figures keys that say how the decision was made (every decided line has them).
FIGURE_METRIC: Final = "metric"
FIGURE_BETTER: Final = "better"
FIGURE_MARGIN_KIND: Final = "margin_kind"
FIGURE_CHALLENGER_SCORE: Final = "challenger_score"
FIGURE_CHAMPION_SCORE: Final = "champion_score"
FIGURE_MARGIN: Final = "margin"
# What the challenger was made of: training's kind and why, or a clone of the champion.
FIGURE_CHALLENGER_ESTIMATOR: Final = "challenger_estimator"


class RetrainOutcome(TypedDict):
    schema: str  # OUTCOME_SCHEMA
    schema_version: int  # OUTCOME_SCHEMA_VERSION
    status: Status
    model: str
    job_id: str | None
    challenger_version: str | None  # registered version of the challenger, if one was registered
    champion_before: str | None
    champion_after: str | None
    # metric, better, margin_kind, challenger_score, champion_score, margin, holdout_rows,
    # training_rows, ... (docs/retrain-outcome.md)
    figures: dict[str, float | int | str]
    message: str


def make_outcome(
    status: Status,
    model: str,
    job_id: str | None,
    *,
    challenger_version: str | None = None,
    champion_before: str | None = None,
    champion_after: str | None = None,
    figures: dict[str, float | int | str] | None = None,
    message: str = "",
) -> RetrainOutcome:
    """An outcome with the schema fields filled in."""
    return RetrainOutcome(
        schema=OUTCOME_SCHEMA,
        schema_version=OUTCOME_SCHEMA_VERSION,
        status=status,
        model=model,
        job_id=job_id,
        challenger_version=challenger_version,
        champion_before=champion_before,
        champion_after=champion_after,
        figures=dict(figures or {}),
        message=message,
    )
