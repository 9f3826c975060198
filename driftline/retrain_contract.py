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
