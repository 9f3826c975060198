"""The promotion gate: does the challenger beat the champion by enough? Pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    challenger_score: float
    champion_score: float
    margin: float
    reason: str


def decide(challenger_score: float, champion_score: float | None, margin: float) -> GateDecision:
    """Promote when ``challenger_score >= champion_score + margin``.

    Scores are on the same recent holdout, higher is better. With no champion the
    challenger wins. A challenger merely equal to the champion is not promoted
    unless the margin is zero or negative: swapping models costs a reload and
    resets what the dashboards compare, so it must buy something.
    """
    if champion_score is None:
        return GateDecision(True, challenger_score, float("nan"), margin, "no champion to beat")
    gain = challenger_score - champion_score
    if gain >= margin:
        return GateDecision(
            True,
            challenger_score,
            champion_score,
            margin,
            f"challenger better by {gain:+.4f} (margin {margin:.4f})",
        )
    return GateDecision(
        False,
        challenger_score,
        champion_score,
        margin,
        f"challenger better by only {gain:+.4f}, needs {margin:.4f}",
    )
