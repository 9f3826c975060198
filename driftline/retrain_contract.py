"""The line the retraining command prints for the PHP worker (docs/retrain-outcome.md).

`driftline retrain` prints exactly one JSON object as the last line of its
standard output. Exit code 0 means the job ran to a decision (promoted or
rejected); any other exit code means it failed and nothing served changed.
"""

from __future__ import annotations

from typing import Final, Literal, TypedDict

OUTCOME_SCHEMA: Final = "driftline.retrain-outcome"
OUTCOME_SCHEMA_VERSION: Final = 1

Status = Literal["promoted", "rejected", "failed"]
STATUSES: Final = ("promoted", "rejected", "failed")


class RetrainOutcome(TypedDict):
    schema: str  # OUTCOME_SCHEMA
    schema_version: int  # OUTCOME_SCHEMA_VERSION
    status: Status
    model: str
    job_id: str | None
    challenger_version: str | None  # registered version of the challenger, if one was registered
    champion_before: str | None
    champion_after: str | None
    # challenger_score, champion_score, margin, metric, holdout_rows, training_rows
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
