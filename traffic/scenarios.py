"""What the traffic generator sends, phase by phase. Pure data, no I/O.

A scenario is a list of phases; each phase sends generated records with its
drifts for a number of seconds (the last phase runs until the generator is
stopped). Labels are the generator's true labels, posted after a delay, so
accuracy reflects the drifted rule exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from training.synthetic import Drift


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: float | None  # None: until stopped
    drifts: tuple[Drift, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    phases: tuple[Phase, ...]
    # What the story expects to happen, for the demo's timeline and the end-to-end test.
    expect_retrain: bool
    expect_promotion: bool
    # Extra arguments for `driftline retrain` that the stack's worker passes.
    retrain_args: tuple[str, ...] = ()


_CONCEPT_AND_COVARIATE = (
    Drift("concept", 1.0),
    Drift("covariate", 0.5, ("monthly_charges",)),
)


def scenario(name: str, steady_seconds: float) -> Scenario:
    """The named scenario with a steady phase of ``steady_seconds`` before drift starts."""
    if name == "drift-retrain":
        return Scenario(
            name,
            "steady traffic, then the churn rule changes and prices rise: accuracy drops, the "
            "alert fires, a challenger trained on recent labels is promoted, accuracy recovers",
            (Phase("steady", steady_seconds), Phase("drift", None, _CONCEPT_AND_COVARIATE)),
            expect_retrain=True,
            expect_promotion=True,
        )
    if name == "covariate-only":
        return Scenario(
            name,
            "inputs shift (a price rise) but the churn rule holds: drift shows on the dashboards, "
            "accuracy holds, so nothing retrains",
            (
                Phase("steady", steady_seconds),
                Phase("drift", None, (Drift("covariate", 1.0, ("monthly_charges",)),)),
            ),
            expect_retrain=False,
            expect_promotion=False,
        )
    if name == "bad-retrain":
        # The drift-retrain story, with a margin no challenger can clear standing in
        # for a retraining that does not help.
        return replace(
            scenario("drift-retrain", steady_seconds),
            name=name,
            description="accuracy drops, a retraining job runs, but the challenger does not beat "
            "the champion by the margin: the gate rejects it and nothing served changes",
            expect_promotion=False,
            retrain_args=("--margin", "0.5"),
        )
    if name == "steady":
        return Scenario(
            name, "no drift at all: nothing should fire", (Phase("steady", None),), False, False
        )
    raise ValueError(f"unknown scenario {name!r} (choose from {', '.join(SCENARIOS)})")


SCENARIOS: Final = ("drift-retrain", "covariate-only", "bad-retrain", "steady")
