"""driftline/loaded_model.py on real registered versions: sklearn flavor, plain pyfunc."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from driftline.loaded_model import (
    LoadedModel,
    ModelOutputError,
    load_registered,
    probability_classes,
)
from tests.serving import pyfunc_models as pm
from tests.serving.records import records
from tests.support.model_store import TrainedStore


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> pm.PyfuncStore:
    return pm.make_pyfunc_store(tmp_path_factory.mktemp("pyfunc-store"))


def _load(store: pm.PyfuncStore, name: str, model: object, outputs: Schema | None) -> LoadedModel:
    version = pm.log_pyfunc(store, name, model, outputs)  # type: ignore[arg-type]
    return load_registered(store.uri, store.uri, name, version)


def _own_predict(store: pm.PyfuncStore, name: str, frame: pd.DataFrame) -> object:
    """What the model answers through MLflow's own pyfunc API."""
    mlflow.set_tracking_uri(store.uri)
    mlflow.set_registry_uri(store.uri)
    return mlflow.pyfunc.load_model(f"models:/{name}/1").predict(frame)


def test_a_pyfunc_with_one_probability_column_per_class(store: pm.PyfuncStore) -> None:
    loaded = _load(store, "scorer", pm.LogisticScorer(), pm.PROBABILITY_OUTPUTS)
    frame = pm.customers(40)
    own = _own_predict(store, "scorer", frame)
    assert isinstance(own, pd.DataFrame)
    assert (loaded.flavor, loaded.classes, loaded.estimator) == ("pyfunc", pm.CLASSES, None)
    assert loaded.signature is not None and loaded.gives_probabilities
    probabilities = loaded.predict_proba(frame)
    assert probabilities is not None
    np.testing.assert_array_equal(probabilities, own[list(pm.CLASSES)].to_numpy())
    winners = np.where(own["leaves"] > own["stays"], "leaves", "stays")
    assert loaded.predict_values(frame).tolist() == winners.tolist()
    assert set(winners) == set(pm.CLASSES)  # both classes occur: the argmax is tested


def test_a_pyfunc_regressor_gives_values_and_no_probabilities(store: pm.PyfuncStore) -> None:
    loaded = _load(store, "price", pm.PriceRegressor(), pm.PRICE_OUTPUT)
    frame = pm.customers(20)
    assert loaded.classes is None and not loaded.gives_probabilities
    assert loaded.predict_proba(frame) is None
    own = np.asarray(_own_predict(store, "price", frame), dtype=np.float64).ravel()
    np.testing.assert_array_equal(loaded.predict_values(frame).astype(np.float64), own)


def test_a_label_classifier_gives_its_labels_only(store: pm.PyfuncStore) -> None:
    loaded = _load(store, "labels", pm.LabelClassifier(), pm.LABEL_OUTPUT)
    frame = pm.customers(20)
    assert loaded.classes is None and loaded.predict_proba(frame) is None
    own = np.asarray(_own_predict(store, "labels", frame))
    assert loaded.predict_values(frame).tolist() == own.tolist()


def test_class_columns_that_are_not_probabilities_are_refused(store: pm.PyfuncStore) -> None:
    loaded = _load(store, "scores", pm.ScoresNotProbabilities(), pm.PROBABILITY_OUTPUTS)
    with pytest.raises(ModelOutputError, match=r"not probabilities"):
        loaded.predict_proba(pm.customers(5))


def test_the_sklearn_flavor_loads_as_the_estimator(trained_store: TrainedStore) -> None:
    settings = trained_store.settings
    loaded = load_registered(
        settings.tracking_uri,
        settings.registry_uri,
        settings.model_name,
        trained_store.champion.version,
    )
    assert loaded.flavor == "sklearn" and loaded.pyfunc is None
    assert loaded.run_id == trained_store.champion.run_id
    estimator = loaded.estimator
    assert estimator is not None
    assert loaded.classes == tuple(c.item() for c in estimator.classes_)
    frame = pd.DataFrame(records(30))
    probabilities = loaded.predict_proba(frame)
    assert probabilities is not None
    np.testing.assert_array_equal(probabilities, estimator.predict_proba(frame))
    assert loaded.predict_values(frame).tolist() == estimator.predict(frame).tolist()


def _outputs(*columns: tuple[str, str]) -> ModelSignature:
    return ModelSignature(inputs=pm.INPUTS, outputs=Schema([ColSpec(t, n) for t, n in columns]))


@pytest.mark.parametrize(
    ("signature", "classes"),
    [
        (_outputs(("double", "no"), ("float", "yes")), ("no", "yes")),
        (_outputs(("double", "a"), ("double", "b"), ("double", "c")), ("a", "b", "c")),
        (_outputs(("double", "score")), None),  # one column: a value
        (_outputs(("double", "p"), ("string", "label")), None),  # not all numbers
        (_outputs(("long", "a"), ("long", "b")), None),  # integers are no probabilities
        (ModelSignature(inputs=pm.INPUTS), None),  # no output schema
        (None, None),
    ],
)
def test_the_probability_rule(signature: ModelSignature | None, classes: object) -> None:
    assert probability_classes(signature) == classes


def test_an_unknown_version_is_mlflows_error(store: pm.PyfuncStore) -> None:
    with pytest.raises(mlflow.exceptions.MlflowException):
        load_registered(store.uri, store.uri, "scorer", "99")
