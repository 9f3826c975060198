"""What the traffic generator sends, phase by phase. Pure data, no I/O.

A scenario is a list of phases; each phase sends generated records for a number
of seconds (the last phase runs until the generator is stopped). Labels are the
generator's true labels, posted after a delay, so the live figures reflect the
drifted data exactly.

Two data sets, two models: the churn scenarios send customers to the ``churn``
classifier (training/synthetic.py, drifts per phase); the house-price scenarios
send houses to the ``houses`` regression model with their true prices as
labels (training/house_prices.py, a market per phase: its scenario and time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

from driftline.tasks import Task
from driftline.timing import Timing
from training.dataset import SyntheticName
from training.house_prices import Scenario as MarketScenario
from training.synthetic import Drift

# What each synthetic data set's model predicts.
DATA_SET_TASKS: Final[Mapping[SyntheticName, Task]] = {
    "churn": "classification",
    "houses": "regression",
}


@dataclass(frozen=True)
class Market:
    """The house-price market a phase draws from: training/house_prices.py's scenario at ``t``."""

    scenario: MarketScenario
    t: float  # years since the champion's training data was drawn


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: float | None  # None: until stopped
    drifts: tuple[Drift, ...] = ()  # churn data
    market: Market | None = None  # house-price data


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
    # The synthetic data set the records come from; also the registered model's name.
    data_set: SyntheticName = "churn"
    # Labels arrive late (the timing's late delay): the estimated performance speaks first.
    late_labels: bool = False

    def label_delay(self, timing: Timing) -> float:
        """Seconds from a prediction to its label in this story."""
        return timing.late_label_delay_seconds if self.late_labels else timing.label_delay_seconds

    @property
    def model_name(self) -> str:
        return self.data_set

    @property
    def task(self) -> Task:
        return DATA_SET_TASKS[self.data_set]

    @property
    def onset(self) -> Phase | None:
        """The phase whose start is the story's drift onset: the first after steady traffic."""
        return self.phases[1] if len(self.phases) > 1 else None


_CONCEPT_AND_COVARIATE = (
    Drift("concept", 1.0),
    Drift("covariate", 0.5, ("monthly_charges",)),
)
# A year on: the inflation scenario's +25% price level, the new market fully open.
_A_YEAR_ON: Final = 1.0
_STEADY_MARKET: Final = Market("steady", 0.0)


def _churn(name: str, steady_seconds: float) -> Scenario | None:
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
    return None


def _houses(name: str, steady_seconds: float) -> Scenario | None:
    steady = Phase("steady", steady_seconds, market=_STEADY_MARKET)
    if name == "inflation":
        return Scenario(
            name,
            "house prices at the training market's level, then 25% higher (the houses are the "
            "same, only the price moves): the price model's error rises, the error alert fires, "
            "a challenger trained on recent prices is promoted, the error comes back down",
            (steady, Phase("inflation", None, market=Market("inflation", _A_YEAR_ON))),
            expect_retrain=True,
            expect_promotion=True,
            data_set="houses",
        )
    if name == "new-market":
        return Scenario(
            name,
            "a new development opens: large new houses far out, a region the price model barely "
            "saw; prices follow the same formula but the model extrapolates, its error rises, a "
            "challenger trained on recent sales is promoted",
            (steady, Phase("new-market", None, market=Market("new-market", _A_YEAR_ON))),
            expect_retrain=True,
            expect_promotion=True,
            data_set="houses",
        )
    if name == "harmful-shift":
        # The new-market story with late sale prices: the estimate has to speak first.
        return replace(
            scenario("new-market", steady_seconds),
            name=name,
            description="new houses far out, where the price model is weak, and sale prices "
            "arrive late: the estimated error rises and its alert fires before the first sale "
            "price of a shifted house arrives; the realized error alert confirms later and "
            "retrains",
            late_labels=True,
        )
    if name == "steady-prices":
        return Scenario(
            name,
            "the housing market as the price model learnt it: nothing should fire",
            (Phase("steady", None, market=_STEADY_MARKET),),
            False,
            False,
            data_set="houses",
        )
    return None


def scenario(name: str, steady_seconds: float) -> Scenario:
    """The named scenario with a steady phase of ``steady_seconds`` before drift starts."""
    found = _churn(name, steady_seconds) or _houses(name, steady_seconds)
    if found is None:
        raise ValueError(f"unknown scenario {name!r} (choose from {', '.join(SCENARIOS)})")
    return found


# The scenario a model runs while another model's scenario is the story: nothing happens.
STEADY_SCENARIOS: Final[Mapping[str, str]] = {"churn": "steady", "houses": "steady-prices"}

CHURN_SCENARIOS: Final = ("drift-retrain", "covariate-only", "bad-retrain", "steady")
# House prices: training/house_prices.py's scenarios steady, inflation and new-market.
HOUSE_SCENARIOS: Final = ("inflation", "new-market", "harmful-shift", "steady-prices")
SCENARIOS: Final = (*CHURN_SCENARIOS, *HOUSE_SCENARIOS)
