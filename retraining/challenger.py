"""Which estimator a challenger is made of; the outcome line says which (``describe``).

In order: the algorithm the job asks for (``--estimator``); the champion's own kind
when driftline trained it with one of training's estimators; otherwise (an adopted
champion, or a challenger that was itself a clone) scikit-learn's ``clone`` of the
champion, i.e. the same estimator class and parameters, unfitted (a whole Pipeline
clones). A champion that is not a scikit-learn object, or that ``clone`` refuses,
needs ``--estimator``: ``NoEstimator`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sklearn.base import clone

from driftline.version_facts import VersionFacts
from training.estimators import CLONED_ESTIMATOR, ESTIMATORS, check_estimator


class NoEstimator(ValueError):
    """No estimator for the challenger: the message says why and what to pass."""


@dataclass(frozen=True)
class ChallengerEstimator:
    kind: str  # training's estimator kind, or CLONED_ESTIMATOR
    estimator: Any  # the unfitted clone; None for a kind training builds
    describe: str  # for the outcome line


def choose(
    requested: str | None, champion: VersionFacts, champion_version: str, model: Any | None
) -> ChallengerEstimator:
    """The challenger's estimator; ``model`` is the champion's scikit-learn object (None
    when it is not one). ValueError for a kind of the other task, NoEstimator when
    nothing can be built."""
    task = champion.task
    if requested is not None:
        kind = check_estimator(requested, task)
        return ChallengerEstimator(kind, None, f"{kind} (--estimator)")
    if champion.origin == "trained" and champion.estimator != CLONED_ESTIMATOR:
        kind = check_estimator(champion.estimator, task)
        return ChallengerEstimator(kind, None, f"{kind} (the champion's)")
    choices = ", ".join(ESTIMATORS[task])
    if model is None:
        raise NoEstimator(
            f"champion v{champion_version} is not a scikit-learn model ({champion.estimator}), "
            f"so it cannot be cloned; name the challenger's algorithm with --estimator "
            f"({task}: {choices})"
        )
    try:
        unfitted = clone(model)
    except (TypeError, RuntimeError) as exc:  # what clone raises for a non-conforming object
        raise NoEstimator(
            f"champion v{champion_version}'s {type(model).__name__} cannot be cloned by "
            f"scikit-learn ({exc}); name the challenger's algorithm with --estimator "
            f"({task}: {choices})"
        ) from exc
    name = f"{type(model).__module__}.{type(model).__qualname__}"
    return ChallengerEstimator(
        CLONED_ESTIMATOR, unfitted, f"clone of champion v{champion_version} ({name})"
    )
