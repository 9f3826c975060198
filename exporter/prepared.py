"""A reference profile turned into the arrays a cycle compares against, once per version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from driftline.tasks import DEFAULT_TASK, Task
from exporter.stats.ks import KsReference
from reference.calibration import Calibrator
from reference.category_bounds import OTHER_LABEL, category_hash
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
    """Buckets: the kept categories, then OTHER_LABEL when the reference folded some
    (reference/category_bounds.py), then unseen; PSI and chi-square treat "other" as
    one more category, and only values training never had are unseen."""

    name: str
    categories: tuple[str, ...]  # bucket names; code i is categories[i]
    shares: FloatArray  # reference share of each bucket, then 0 for the unseen bucket
    codes: Mapping[str, int] = field(default_factory=dict)  # kept category -> code
    other_code: int | None = None
    folded: frozenset[int] = frozenset()  # category_hash of the folded categories

    @property
    def unseen_code(self) -> int:
        return len(self.categories)

    def code(self, key: str) -> int:
        """The bucket of a live value's key (reference.profile.category_key)."""
        known = self.codes.get(key)
        if known is not None:
            return known
        if self.other_code is not None and category_hash(key) in self.folded:
            return self.other_code
        return self.unseen_code


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
    kept = tuple(sorted(k for k, v in ref.frequencies.items() if v > 0))
    codes = {c: i for i, c in enumerate(kept)}
    shares = [ref.frequencies[c] for c in kept]
    other = ref.other
    if other is None or other.share <= 0:
        return PreparedCategorical(
            ref.name, kept, np.array([*shares, 0.0], dtype=np.float64), codes
        )
    return PreparedCategorical(
        name=ref.name,
        categories=(*kept, OTHER_LABEL),
        shares=np.array([*shares, other.share, 0.0], dtype=np.float64),
        codes=codes,
        other_code=len(kept),
        folded=frozenset(other.hashes),
    )


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
