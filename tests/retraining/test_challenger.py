"""retraining/challenger.py: what a challenger is made of, for trained and adopted champions."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from driftline.version_facts import VersionFacts
from retraining.challenger import NoEstimator, choose
from training.estimators import CLONED_ESTIMATOR

TRAINED = VersionFacts(origin="trained", run_id="r", task="classification", target="y",
                       numeric=("a",), categorical=(), estimator="gbm")  # fmt: skip
ADOPTED = dataclasses.replace(TRAINED, origin="adopted", estimator="sklearn.pipeline.Pipeline")


class Unclonable(BaseEstimator):  # type: ignore[misc]
    """Stores a changed copy of its parameter: scikit-learn's clone refuses it."""

    def __init__(self, c: float = 1.0) -> None:
        self.c = c * 2


def test_the_job_s_estimator_wins_then_the_champion_s_kind() -> None:
    assert choose("forest", ADOPTED, "1", None).describe == "forest (--estimator)"
    chosen = choose(None, TRAINED, "3", None)
    assert (chosen.kind, chosen.estimator, chosen.describe) == ("gbm", None, "gbm (the champion's)")
    with pytest.raises(ValueError, match="'ridge' is not one for classification"):
        choose("ridge", TRAINED, "3", None)


@pytest.mark.parametrize(
    "facts", [ADOPTED, dataclasses.replace(TRAINED, estimator=CLONED_ESTIMATOR)]
)
def test_an_adopted_champion_or_a_clone_is_cloned_unfitted(facts: VersionFacts) -> None:
    fitted = make_pipeline(StandardScaler(), LogisticRegression(C=0.3)).fit([[0.0], [1.0]], [0, 1])
    chosen = choose(None, facts, "1", fitted)
    assert chosen.kind == CLONED_ESTIMATOR
    assert chosen.describe == "clone of champion v1 (sklearn.pipeline.Pipeline)"
    clone: Any = chosen.estimator
    assert isinstance(clone, Pipeline) and clone is not fitted
    assert clone.get_params()["logisticregression__C"] == 0.3
    assert not hasattr(clone[-1], "coef_")  # unfitted


def test_a_champion_that_cannot_be_cloned_needs_the_estimator_flag() -> None:
    pyfunc = dataclasses.replace(ADOPTED, estimator="mlflow.pyfunc")
    with pytest.raises(NoEstimator, match=r"not a scikit-learn model .*--estimator"):
        choose(None, pyfunc, "2", None)
    with pytest.raises(NoEstimator, match=r"Unclonable cannot be cloned .*--estimator"):
        choose(None, ADOPTED, "2", Unclonable())
