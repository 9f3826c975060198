"""Training, promotion and rollback against a real MLflow store in a temporary directory."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest

from driftline import registry
from driftline.mlflow_setup import connect
from driftline.registry_contract import CHAMPION_HISTORY_TAG, PROFILE_ARTIFACT_PATH
from driftline.registry_errors import RegistryError
from reference.profile import NumericReference, loads
from tests.support.model_store import TrainedStore, make_trained_store
from training.dataset import load
from training.train import TrainOptions, fit_and_log
from training.version_artifacts import TRAINING_DATA_ARTIFACT


def test_trained_version_has_metrics_signature_profile_and_data(
    trained_store: TrainedStore,
) -> None:
    client = connect(trained_store.settings)
    result = trained_store.champion
    run = client.get_run(result.run_id)
    for metric in ("accuracy", "f1", "roc_auc"):
        assert 0.5 < run.data.metrics[metric] <= 1.0
    assert run.data.params["model_kind"] == "logreg"
    profile = loads(mlflow.artifacts.load_text(f"runs:/{result.run_id}/{PROFILE_ARTIFACT_PATH}"))
    assert profile.target == "churned"
    assert len(profile.features) == 20
    assert isinstance(profile.feature("tenure_months"), NumericReference)
    info = mlflow.models.get_model_info(f"models:/churn/{result.version}")
    assert info.signature is not None
    names = [c.name for c in info.signature.inputs.inputs]
    assert names == list(profile.feature_names)
    files = {a.path for a in client.list_artifacts(result.run_id, "data")}
    assert TRAINING_DATA_ARTIFACT in files
    model = mlflow.sklearn.load_model("models:/churn@champion")
    assert list(model.classes_) == [0, 1]


def test_promote_and_rollback_follow_the_champion_history(tmp_path: Path) -> None:
    store = make_trained_store(tmp_path, rows=1500)
    client = connect(store.settings)
    data = load(None, None, rows=1500, seed=1)
    v2, _ = fit_and_log(store.settings, data, TrainOptions(seed=1, promote=True))
    v3, _ = fit_and_log(store.settings, data, TrainOptions(seed=2))
    assert registry.champion_version(client, "churn") == v2.version
    assert v2.previous_champion == "1"
    assert registry.promote(client, "churn", v3.version) == v2.version
    history = json.loads(client.get_registered_model("churn").tags[CHAMPION_HISTORY_TAG])
    assert history == ["1", v2.version, v3.version]

    assert registry.rollback(client, "churn") == (v3.version, v2.version)
    assert registry.rollback(client, "churn") == (v2.version, "1")
    with pytest.raises(RegistryError, match="no earlier champion"):
        registry.rollback(client, "churn")
    assert registry.champion_version(client, "churn") == "1"
    assert registry.rollback(client, "churn", to=v3.version) == ("1", v3.version)

    with pytest.raises(RegistryError, match="has no version '99'"):
        registry.promote(client, "churn", "99")
    with pytest.raises(RegistryError, match="has no version '99'"):
        registry.rollback(client, "churn", to="99")
    assert registry.champion_version(client, "churn") == v3.version

    listed = registry.list_versions(client, "churn")
    assert [v.version for v in listed] == ["1", "2", "3"]
    assert listed[2].aliases == ("champion",)
    assert listed[0].metrics["accuracy"] > 0.5


def test_unknown_model_is_a_registry_error(trained_store: TrainedStore) -> None:
    client = connect(trained_store.settings)
    with pytest.raises(RegistryError, match="no registered model named 'nope'"):
        registry.list_versions(client, "nope")
