"""A reference profile turned into the arrays a cycle compares against, once per version."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from driftline.tasks import DEFAULT_TASK, Task
from exporter.stats.ks import KsReference
from reference.calibration import Calibrator
from reference.error_estimator import ErrorEstimator
from reference.profile import CategoricalReference, NumericReference, ReferenceProfile

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PreparedNumeric:
    name: str
    edges: FloatArray  # interior quantile edges (reference/binning.py)
    fractions: FloatArray  # reference share of each of len(edges) + 1 bins
    ks: KsReference | None  # None when the reference sample is empty


@dataclass(frozen=True)
class PreparedCategorical:
    name: str
    categories: tuple[str, ...]  # reference categories; code i is categories[i]
    shares: FloatArray  # reference share of each category, then 0 for the unseen bucket

    @property
    def unseen_code(self) -> int:
        return len(self.categories)


@dataclass(frozen=True)
class PreparedProfile:
    model: str
    version: str
    run_id: str
    profile: ReferenceProfile
    numeric: tuple[PreparedNumeric, ...]
    categorical: tuple[PreparedCategorical, ...]
    classes: tuple[str, ...]  # empty for a regression model
    class_shares: FloatArray  # reference predicted-class shares, then 0 for other classes
    task: Task = DEFAULT_TASK
    # Regression: the holdout's predicted values, binned and sampled like a numeric feature.
    predicted_values: PreparedNumeric | None = None
    # Regression: the version's error estimator, loaded from its run (None: it has none).
    error_estimator: ErrorEstimator | None = None

    @property
    def positive_class(self) -> str:
        return self.classes[-1]

    @property
    def calibrator(self) -> Calibrator | None:
        """A binary classifier's probability calibrator, from its profile."""
        return self.profile.calibration if len(self.classes) == 2 else None


def _numeric(ref: NumericReference) -> PreparedNumeric:
    sample = np.asarray(ref.sample, dtype=np.float64)
    return PreparedNumeric(
        name=ref.name,
        edges=np.asarray(ref.bin_edges, dtype=np.float64),
        fractions=np.asarray(ref.bin_fractions, dtype=np.float64),
        ks=KsReference.from_sample(sample) if np.isfinite(sample).any() else None,
    )


def _categorical(ref: CategoricalReference) -> PreparedCategorical:
    categories = tuple(sorted(k for k, v in ref.frequencies.items() if v > 0))
    shares = np.array([ref.frequencies[c] for c in categories] + [0.0], dtype=np.float64)
    return PreparedCategorical(name=ref.name, categories=categories, shares=shares)


def prepare(
    model: str,
    version: str,
    run_id: str,
    profile: ReferenceProfile,
    error_estimator: ErrorEstimator | None = None,
) -> PreparedProfile:
    numeric = tuple(_numeric(f) for f in profile.features if isinstance(f, NumericReference))
    categorical = tuple(
        _categorical(f) for f in profile.features if isinstance(f, CategoricalReference)
    )
    classes = tuple(profile.classes)
    shares = np.array(
        [profile.prediction_class_fractions.get(c, 0.0) for c in classes] + [0.0],
        dtype=np.float64,
    )
    predicted = profile.predicted_values
    return PreparedProfile(
        model=model,
        version=version,
        run_id=run_id,
        profile=profile,
        numeric=numeric,
        categorical=categorical,
        classes=classes,
        class_shares=shares,
        task=profile.task,
        predicted_values=None if predicted is None else _numeric(predicted),
        error_estimator=error_estimator,
    )
