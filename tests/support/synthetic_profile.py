"""A classifier's reference profile built straight from generated training data (no MLflow)."""

from __future__ import annotations

import pandas as pd

from reference.profile import ReferenceProfile, build_profile
from training.synthetic import CATEGORICAL_FEATURES, NUMERIC_FEATURES, TARGET


def synthetic_profile(reference: pd.DataFrame, model_name: str) -> ReferenceProfile:
    """The profile of ``reference`` (training.synthetic.generate output), holdout = its labels."""
    return build_profile(
        model_name=model_name,
        features=reference[list(NUMERIC_FEATURES + CATEGORICAL_FEATURES)],
        numeric=NUMERIC_FEATURES,
        categorical=CATEGORICAL_FEATURES,
        target=TARGET,
        classes=[0, 1],
        holdout_predictions=list(reference[TARGET]),
        created_at=0.0,
    )
