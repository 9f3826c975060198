"""Models that are not scikit-learn, logged and registered with plain MLflow (``mlflow.pyfunc``).

Each scores a small table of customers from numpy weights: a logistic scorer giving
probabilities of its two classes, a linear regressor giving a price, and a label
classifier giving only its label. The classes live here, an importable module, so
a gunicorn worker that loads the pickled model finds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc.model import PythonModel
from mlflow.tracking import MlflowClient
from mlflow.types import ColSpec, Schema

from driftline.registry_contract import PROFILE_ARTIFACT_PATH
from reference.profile import build_profile, dumps
from tests.support.model_store import environment_for

INPUTS: Final = Schema(
    [ColSpec("long", "age"), ColSpec("double", "income"), ColSpec("string", "plan")]
)
PLANS: Final = ("basic", "plus", "pro")
CLASSES: Final = ("stays", "leaves")
# Weights of age, income (thousands), and each plan; then the bias.
WEIGHTS: Final = (-0.04, 0.03, 0.0, -0.5, -1.2)
BIAS: Final = 1.0


def design(frame: pd.DataFrame) -> np.ndarray:
    """The numeric matrix the weights apply to: age, income in thousands, plan one-hot."""
    plans = frame["plan"].astype(str).to_numpy()
    columns = [
        frame["age"].to_numpy(dtype=np.float64),
        frame["income"].to_numpy(dtype=np.float64) / 1000.0,
        *[(plans == plan).astype(np.float64) for plan in PLANS],
    ]
    return np.column_stack(columns)


def leave_probability(frame: pd.DataFrame) -> np.ndarray:
    scores: np.ndarray = design(frame) @ np.asarray(WEIGHTS) + BIAS
    probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-scores))
    return probabilities


class LogisticScorer(PythonModel):  # type: ignore[misc]
    """Probabilities of CLASSES, one column per class."""

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        leaves = leave_probability(model_input)
        return pd.DataFrame({"stays": 1.0 - leaves, "leaves": leaves})


class PriceRegressor(PythonModel):  # type: ignore[misc]
    """A yearly price: one number per row."""

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> np.ndarray:
        prices: np.ndarray = design(model_input) @ np.asarray([1.5, 10.0, 100.0, 250.0, 600.0])
        return prices + 20.0


class ScoresNotProbabilities(PythonModel):  # type: ignore[misc]
    """Declares one double column per class but answers raw scores."""

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        scores = design(model_input) @ np.asarray(WEIGHTS)
        return pd.DataFrame({"stays": -scores, "leaves": scores})


class LabelClassifier(PythonModel):  # type: ignore[misc]
    """Only the class, no probabilities."""

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> np.ndarray:
        return np.where(leave_probability(model_input) >= 0.5, "leaves", "stays")


PROBABILITY_OUTPUTS: Final = Schema([ColSpec("double", c) for c in CLASSES])
PRICE_OUTPUT: Final = Schema([ColSpec("double", "price")])
LABEL_OUTPUT: Final = Schema([ColSpec("string", "label")])


def customers(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` seeded customers with the INPUTS columns and dtypes."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(np.int64),
            "income": np.round(rng.uniform(10_000.0, 120_000.0, n), 2),
            "plan": rng.choice(PLANS, n).astype(object),
        }
    )


def customer_records(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """The same customers as JSON-native request records."""
    frame = customers(n, seed)
    return [
        {"age": int(age), "income": float(income), "plan": str(plan)}
        for age, income, plan in zip(
            frame["age"].tolist(), frame["income"].tolist(), frame["plan"].tolist(), strict=True
        )
    ]


@dataclass(frozen=True)
class PyfuncStore:
    home: Path
    env: dict[str, str]  # a subprocess's environment pointing at this store
    uri: str  # tracking and registry URI


def log_pyfunc(
    store: PyfuncStore,
    name: str,
    model: PythonModel,
    outputs: Schema | None,
    *,
    with_signature: bool = True,
    run_params: dict[str, str] | None = None,
) -> str:
    """Log ``model`` as a registered version of ``name`` with plain MLflow; its version."""
    mlflow.set_tracking_uri(store.uri)
    mlflow.set_registry_uri(store.uri)
    signature = ModelSignature(inputs=INPUTS, outputs=outputs) if with_signature else None
    with mlflow.start_run():
        mlflow.log_params(run_params or {})
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=model,
            signature=signature,
            # An example would let MLflow infer the signature a test means to leave out.
            input_example=customers(3) if with_signature else None,
            registered_model_name=name,
            # Nothing to infer (inferring starts a subprocess): the test's own environment.
            pip_requirements=["mlflow", "numpy", "pandas"],
        )
    return str(info.registered_model_version)


def make_pyfunc_store(home: Path) -> PyfuncStore:
    env = environment_for(home)
    return PyfuncStore(home=home, env=env, uri=env["MLFLOW_TRACKING_URI"])


def log_profile(store: PyfuncStore, name: str, version: str, model: PythonModel) -> None:
    """Store the reference profile of ``version``'s training customers in its run, as
    adopting it does (``driftline profile``): the columns, the kinds and the classes."""
    client = MlflowClient(tracking_uri=store.uri, registry_uri=store.uri)
    frame = customers(400, seed=7)
    predicted = model.predict(None, frame)
    labels = predicted.idxmax(axis=1) if isinstance(predicted, pd.DataFrame) else predicted
    profile = build_profile(
        model_name=name, features=frame, numeric=["age", "income"], categorical=["plan"],
        target="churned", classes=CLASSES, holdout_predictions=list(labels), created_at=0.0,
    )  # fmt: skip
    run_id = str(client.get_model_version(name, version).run_id)
    client.log_text(run_id, dumps(profile), PROFILE_ARTIFACT_PATH)
