"""The promotion gate: does the challenger beat the champion by enough? Pure, no I/O.

Both are scored on the same recent holdout by the task's gate metric
(driftline/retrain_contract.py ``GATE_METRICS``):

- accuracy (classifiers), higher is better, the margin in points:
  promote when ``challenger >= champion + margin``;
- MAE (regression), lower is better, the margin a share of the champion's MAE:
  promote when ``challenger <= champion * (1 - margin)``, i.e. the error is lower
  by at least ``margin`` of itself (0.01: one per cent lower).

A challenger merely equal to the champion is not promoted unless the margin is
zero or negative: swapping models costs a reload and resets what the dashboards
compare, so it must buy something. With no champion the challenger wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from driftline.retrain_contract import GATE_METRICS, GateMetric

ACCURACY = GATE_METRICS["classification"]


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    challenger_score: float
    champion_score: float
    margin: float
    reason: str


def improvement(challenger_score: float, champion_score: float, metric: GateMetric) -> float:
    """How much better the challenger is, in the unit the margin is given in.

    Absolute: the difference in the metric's direction. Relative: the share of the
    champion's figure removed (or added, for a higher-is-better figure). A champion
    figure of zero leaves no share to win: a tie is 0, anything worse ``-inf``.
    """
    gain = challenger_score - champion_score
    if metric.better == "lower":
        gain = -gain
    if metric.margin_kind == "absolute":
        return gain
    if champion_score == 0.0:
        return 0.0 if gain == 0.0 else (math.inf if gain > 0 else -math.inf)
    return gain / abs(champion_score)


def _relative_text(gain: float, metric: GateMetric, *, only: bool) -> str:
    """E.g. ``mae lower by 27.30%``, ``mae lower by only 0.40%``, ``mae higher by 3.00%``."""
    good, bad = ("lower", "higher") if metric.better == "lower" else ("higher", "lower")
    if gain < 0:
        return f"{metric.name} {bad} by {-gain:.2%}"
    return f"{metric.name} {good} by {'only ' if only else ''}{gain:.2%}"


def decide(
    challenger_score: float,
    champion_score: float | None,
    margin: float,
    metric: GateMetric = ACCURACY,
) -> GateDecision:
    """Promote when the challenger improves on the champion by at least ``margin``."""
    if champion_score is None:
        return GateDecision(True, challenger_score, float("nan"), margin, "no champion to beat")
    gain = improvement(challenger_score, champion_score, metric)
    if metric.margin_kind == "absolute":
        # The classifier's wording, as the PHP worker and operators have read it so far.
        if gain >= margin:
            text = f"challenger better by {gain:+.4f} (margin {margin:.4f})"
        else:
            text = f"challenger better by only {gain:+.4f}, needs {margin:.4f}"
    else:
        if gain >= margin:
            text = f"challenger {_relative_text(gain, metric, only=False)} (margin {margin:.2%}; "
        else:
            text = (
                f"challenger {_relative_text(gain, metric, only=True)}, needs {margin:.2%} "
                f"{metric.better} ("
            )
        text += f"challenger {challenger_score:.6g} vs champion {champion_score:.6g})"
    return GateDecision(gain >= margin, challenger_score, champion_score, margin, text)
