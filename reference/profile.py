"""Build, save and load the reference profile of a model's training data.

The format is documented in docs/reference-profile.md. It is JSON, versioned by
``format_version``; a reader refuses versions it does not know rather than guess.
Version 2 added the model's task and what a regression model needs (the
distribution of its predicted values, of the target, and its holdout errors);
version 3 what estimating performance without labels needs (a binary
classifier's probability calibrator, where a regression version's error
estimator is stored). Version-1 documents still load, as classifiers; version-1
and version-2 ones have no estimation parts. Version 4 added the column roles
(reference/column_roles.py: identifiers, time and dropped columns, never features)
and the "other" bucket of a high-cardinality categorical feature
(reference/category_bounds.py); older documents load without them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from driftline.tasks import DEFAULT_TASK, TASKS, Task
from reference import calibration
from reference.binning import DEFAULT_BINS, bin_counts, quantile_edges
from reference.calibration import Calibrator
from reference.category_bounds import OtherBucket, bound, pack_hashes, unpack_hashes
from reference.column_roles import ColumnRoles

FORMAT: Final = "driftline.reference-profile"
FORMAT_VERSION: Final = 4
# Versions this reader understands; version 1 has no task (a classifier), versions
# 1 to 3 no column roles and no "other" bucket.
READABLE_VERSIONS: Final = (1, 2, 3, 4)
# Bounded so the profile stays small (a few hundred kB) whatever the training set size.
DEFAULT_SAMPLE_SIZE: Final = 10_000

FeatureKind = Literal["numeric", "categorical"]

# A regression profile's holdout error figures, in this order. Training logs the same
# names as MLflow metrics (training/regression_metrics.py): mean absolute error, root
# mean squared error, R², and mean error = mean(prediction - target), the bias
# (positive: the model over-predicts).
HOLDOUT_ERROR_KEYS: Final = ("mae", "rmse", "r2", "mean_error")
# The ``name`` of a regression profile's predicted-value reference.
PREDICTED_VALUES_NAME: Final = "prediction"


class ProfileFormatError(ValueError):
    """The profile document is not one this version of driftline can read."""


@dataclass(frozen=True)
class NumericReference:
    name: str
    missing_ratio: float
    count: int  # finite values in the reference
    bin_edges: tuple[float, ...]
    bin_fractions: tuple[float, ...]
    sample: tuple[float, ...]  # sorted, at most DEFAULT_SAMPLE_SIZE values
    kind: Literal["numeric"] = "numeric"


@dataclass(frozen=True)
class CategoricalReference:
    name: str
    missing_ratio: float
    count: int  # non-missing values in the reference
    frequencies: Mapping[str, float]  # kept category -> share of non-missing values
    kind: Literal["categorical"] = "categorical"
    # High cardinality: the categories folded together (frequencies hold the rest).
    other: OtherBucket | None = None


FeatureReference = NumericReference | CategoricalReference


@dataclass(frozen=True)
class ErrorEstimation:
    """Where a regression version's error estimator is stored (reference/error_estimator.py)."""

    artifact: str  # run artifact path
    rows: int  # holdout rows it was fitted on
    # Out-of-fold gap between the estimated and the holdout's mean absolute (squared)
    # error, relative to the latter: the estimator's own error, part of every band.
    absolute_bias: float = 0.0
    squared_bias: float = 0.0


@dataclass(frozen=True)
class ReferenceProfile:
    """What a version was trained on and predicted on its holdout.

    ``format_version`` is the version of the document the profile was read from
    (``FORMAT_VERSION`` for one built here); ``dumps`` always writes the current one.
    A regression profile has ``classes == ()``, ``prediction_class_fractions == {}``
    and the three regression fields set; a classifier's are None.
    """

    model_name: str
    rows: int
    target: str
    classes: tuple[str, ...]
    features: tuple[FeatureReference, ...]
    prediction_class_fractions: Mapping[str, float]
    prediction_rows: int
    created_at: float
    format_version: int = FORMAT_VERSION
    extra: Mapping[str, Any] = field(default_factory=dict)
    task: Task = DEFAULT_TASK
    # Regression: the model's predicted values on the holdout (name PREDICTED_VALUES_NAME).
    predicted_values: NumericReference | None = None
    # Regression: the target's values in the training rows (name: the target column).
    target_values: NumericReference | None = None
    # Regression: HOLDOUT_ERROR_KEYS -> the figure on the holdout.
    holdout_errors: Mapping[str, float] | None = None
    # Version 3. A binary classifier's calibrator (None: multiclass, too small a
    # holdout, or an older profile); a regression version's error estimator.
    calibration: Calibrator | None = None
    error_estimation: ErrorEstimation | None = None
    # Version 4: the training table's columns that were not features (empty before).
    roles: ColumnRoles = field(default_factory=ColumnRoles)

    def feature(self, name: str) -> FeatureReference:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)


def category_key(value: object) -> str:
    """How a categorical value is keyed in the profile and in live windows."""
    return str(value)


def build_numeric(
    name: str,
    values: pd.Series,
    n_bins: int = DEFAULT_BINS,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    seed: int = 0,
) -> NumericReference:
    arr = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    finite = arr[np.isfinite(arr)]
    missing_ratio = 1.0 - finite.size / arr.size if arr.size else 0.0
    edges = quantile_edges(finite, n_bins)
    counts = bin_counts(finite, edges)
    fractions = counts / counts.sum() if counts.sum() else counts.astype(np.float64)
    if finite.size > sample_size:
        rng = np.random.default_rng(seed)
        sample = rng.choice(finite, size=sample_size, replace=False)
    else:
        sample = finite
    return NumericReference(
        name=name,
        missing_ratio=float(missing_ratio),
        count=int(finite.size),
        bin_edges=tuple(float(e) for e in edges),
        bin_fractions=tuple(float(f) for f in fractions),
        sample=tuple(float(v) for v in np.sort(sample)),
    )


def build_categorical(name: str, values: pd.Series) -> CategoricalReference:
    """Shares of every category, bounded past MAX_CATEGORIES (reference/category_bounds.py)."""
    present = values.dropna()
    missing_ratio = 1.0 - len(present) / len(values) if len(values) else 0.0
    counts = present.map(category_key).value_counts()
    bounded = bound(counts)
    return CategoricalReference(
        name=name,
        missing_ratio=float(missing_ratio),
        count=int(counts.sum()),
        frequencies=bounded.frequencies,
        other=bounded.other,
    )


def _feature_references(
    features: pd.DataFrame,
    numeric: Sequence[str],
    categorical: Sequence[str],
    n_bins: int,
    sample_size: int,
    seed: int,
) -> tuple[FeatureReference, ...]:
    refs: list[FeatureReference] = []
    for col in features.columns:
        if col in numeric:
            refs.append(build_numeric(col, features[col], n_bins, sample_size, seed))
        elif col in categorical:
            refs.append(build_categorical(col, features[col]))
        else:
            raise ValueError(f"column {col!r} is neither numeric nor categorical")
    return tuple(refs)


def build_profile(
    *,
    model_name: str,
    features: pd.DataFrame,
    numeric: Sequence[str],
    categorical: Sequence[str],
    target: str,
    classes: Sequence[object],
    holdout_predictions: Sequence[object],
    created_at: float,
    n_bins: int = DEFAULT_BINS,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    seed: int = 0,
    calibrator: Calibrator | None = None,
    roles: ColumnRoles | None = None,
) -> ReferenceProfile:
    """A classifier's profile: ``features`` (the training inputs) and the holdout's classes,
    and its probability calibrator when it has one (reference/calibration.py)."""
    refs = _feature_references(features, numeric, categorical, n_bins, sample_size, seed)
    preds = pd.Series([category_key(p) for p in holdout_predictions])
    class_keys = tuple(category_key(c) for c in classes)
    counts = preds.value_counts()
    n_pred = int(counts.sum())
    fractions = {c: (float(counts.get(c, 0)) / n_pred if n_pred else 0.0) for c in class_keys}
    return ReferenceProfile(
        model_name=model_name,
        rows=len(features),
        target=target,
        classes=class_keys,
        features=refs,
        prediction_class_fractions=fractions,
        prediction_rows=n_pred,
        created_at=created_at,
        task="classification",
        calibration=calibrator,
        roles=roles or ColumnRoles(),
    )


def _checked_errors(errors: Mapping[str, float], where: str) -> dict[str, float]:
    if set(errors) != set(HOLDOUT_ERROR_KEYS):
        raise ProfileFormatError(
            f"{where} must have exactly {', '.join(HOLDOUT_ERROR_KEYS)}, got {sorted(errors)}"
        )
    return {k: _finite(errors[k], f"{where}.{k}") for k in HOLDOUT_ERROR_KEYS}


def build_regression_profile(
    *,
    model_name: str,
    features: pd.DataFrame,
    numeric: Sequence[str],
    categorical: Sequence[str],
    target: str,
    target_values: pd.Series,
    holdout_predictions: Sequence[float],
    holdout_errors: Mapping[str, float],
    created_at: float,
    n_bins: int = DEFAULT_BINS,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    seed: int = 0,
    error_estimation: ErrorEstimation | None = None,
    roles: ColumnRoles | None = None,
) -> ReferenceProfile:
    """A regression model's profile.

    ``features`` and ``target_values`` are the training rows; ``holdout_predictions``
    the model's predicted values on the holdout, binned and sampled like a numeric
    feature; ``holdout_errors`` the figures training computed on the same holdout
    (HOLDOUT_ERROR_KEYS), so the profile and the run's metrics are the same numbers;
    ``error_estimation`` where its error estimator is stored, when it has one.
    """
    refs = _feature_references(features, numeric, categorical, n_bins, sample_size, seed)
    predicted = build_numeric(
        PREDICTED_VALUES_NAME,
        pd.Series(np.asarray(holdout_predictions, dtype=np.float64)),
        n_bins,
        sample_size,
        seed,
    )
    return ReferenceProfile(
        model_name=model_name,
        rows=len(features),
        target=target,
        classes=(),
        features=refs,
        prediction_class_fractions={},
        prediction_rows=predicted.count,
        created_at=created_at,
        task="regression",
        predicted_values=predicted,
        target_values=build_numeric(target, target_values, n_bins, sample_size, seed),
        holdout_errors=_checked_errors(holdout_errors, "holdout_errors"),
        error_estimation=error_estimation,
        roles=roles or ColumnRoles(),
    )


def _numeric_to_dict(f: NumericReference) -> dict[str, Any]:
    return {
        "name": f.name,
        "kind": "numeric",
        "missing_ratio": f.missing_ratio,
        "count": f.count,
        "bin_edges": list(f.bin_edges),
        "bin_fractions": list(f.bin_fractions),
        "sample": list(f.sample),
    }


def to_dict(profile: ReferenceProfile) -> dict[str, Any]:
    """A document in the current format, whatever version ``profile`` was read from."""
    feats: list[dict[str, Any]] = []
    for f in profile.features:
        if isinstance(f, NumericReference):
            feats.append(_numeric_to_dict(f))
        else:
            feats.append(
                {
                    "name": f.name,
                    "kind": "categorical",
                    "missing_ratio": f.missing_ratio,
                    "count": f.count,
                    "frequencies": dict(f.frequencies),
                    # Version 4; null when every category is kept.
                    "other": _other_to_dict(f.other),
                }
            )
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_name": profile.model_name,
        "created_at": profile.created_at,
        "rows": profile.rows,
        "target": profile.target,
        "classes": list(profile.classes),
        "features": feats,
        "predictions": {
            "rows": profile.prediction_rows,
            "class_fractions": dict(profile.prediction_class_fractions),
        },
        "extra": dict(profile.extra),
        # Version 2. Written as null for a classifier, so every reader sees every key.
        "task": profile.task,
        "predicted_values": _optional_numeric(profile.predicted_values),
        "target_values": _optional_numeric(profile.target_values),
        "holdout_errors": (
            None if profile.holdout_errors is None else dict(profile.holdout_errors)
        ),
        # Version 3, null where a version has none.
        "calibration": (
            None if profile.calibration is None else calibration.to_dict(profile.calibration)
        ),
        "error_estimation": (
            None
            if profile.error_estimation is None
            else {
                "artifact": profile.error_estimation.artifact,
                "rows": profile.error_estimation.rows,
                "absolute_bias": profile.error_estimation.absolute_bias,
                "squared_bias": profile.error_estimation.squared_bias,
            }
        ),
        # Version 4.
        "roles": profile.roles.to_dict(),
    }


def _other_to_dict(other: OtherBucket | None) -> dict[str, Any] | None:
    if other is None:
        return None
    return {
        "share": other.share,
        "categories": other.categories,
        "hashes": pack_hashes(other.hashes),
        "forgotten_share": other.forgotten_share,
    }


def _other_from_dict(doc: Mapping[str, Any] | None, where: str) -> OtherBucket | None:
    if doc is None:
        return None
    try:
        hashes = unpack_hashes(str(doc["hashes"]))
    except ValueError as exc:
        raise ProfileFormatError(f"{where}.hashes: {exc}") from exc
    return OtherBucket(
        share=_finite(doc["share"], f"{where}.share"),
        categories=int(doc["categories"]),
        hashes=hashes,
        forgotten_share=_finite(doc["forgotten_share"], f"{where}.forgotten_share"),
    )


def _optional_numeric(ref: NumericReference | None) -> dict[str, Any] | None:
    return None if ref is None else _numeric_to_dict(ref)


def dumps(profile: ReferenceProfile) -> str:
    return json.dumps(to_dict(profile), allow_nan=False, separators=(",", ":"))


def _finite(value: Any, where: str) -> float:
    x = float(value)
    if not math.isfinite(x):
        raise ProfileFormatError(f"{where} is not a finite number")
    return x


def _numeric_from_dict(f: Mapping[str, Any]) -> NumericReference:
    return NumericReference(
        name=f["name"],
        missing_ratio=_finite(f["missing_ratio"], f"{f['name']}.missing_ratio"),
        count=int(f["count"]),
        bin_edges=tuple(float(e) for e in f["bin_edges"]),
        bin_fractions=tuple(float(x) for x in f["bin_fractions"]),
        sample=tuple(float(x) for x in f["sample"]),
    )


def _feature_from_dict(f: Mapping[str, Any], version: int) -> FeatureReference:
    if f["kind"] == "numeric":
        return _numeric_from_dict(f)
    if f["kind"] == "categorical":
        return CategoricalReference(
            name=f["name"],
            missing_ratio=_finite(f["missing_ratio"], f"{f['name']}.missing_ratio"),
            count=int(f["count"]),
            frequencies={str(k): float(v) for k, v in f["frequencies"].items()},
            other=_other_from_dict(f["other"], f"{f['name']}.other") if version >= 4 else None,
        )
    raise ProfileFormatError(f"feature {f['name']!r} has unknown kind {f['kind']!r}")


@dataclass(frozen=True)
class _TaskPart:
    task: Task
    predicted_values: NumericReference | None
    target_values: NumericReference | None
    holdout_errors: Mapping[str, float] | None


def _task_part(doc: Mapping[str, Any], version: int) -> _TaskPart:
    """The version-2 keys; a version-1 document is a classifier without them."""
    if version == 1:
        return _TaskPart(DEFAULT_TASK, None, None, None)
    task = doc["task"]
    if task not in TASKS:
        raise ProfileFormatError(f"reference profile has unknown task {task!r}")
    regression_keys = ("predicted_values", "target_values", "holdout_errors")
    if task == "classification":
        present = [k for k in regression_keys if doc[k] is not None]
        if present:
            raise ProfileFormatError(f"a classification profile has regression keys {present}")
        return _TaskPart("classification", None, None, None)
    absent = [k for k in regression_keys if doc[k] is None]
    if absent:
        raise ProfileFormatError(f"a regression profile lacks {absent}")
    if doc["classes"] or doc["predictions"]["class_fractions"]:
        raise ProfileFormatError("a regression profile has classes")
    return _TaskPart(
        "regression",
        _numeric_from_dict(doc["predicted_values"]),
        _numeric_from_dict(doc["target_values"]),
        _checked_errors(doc["holdout_errors"], "holdout_errors"),
    )


def _estimation_part(
    doc: Mapping[str, Any], version: int, task: Task
) -> tuple[Calibrator | None, ErrorEstimation | None]:
    """The version-3 keys; older documents have neither."""
    if version < 3:
        return None, None
    cal, est = doc["calibration"], doc["error_estimation"]
    if cal is not None and task != "classification":
        raise ProfileFormatError("only a classification profile has a calibration")
    if est is not None and task != "regression":
        raise ProfileFormatError("only a regression profile has an error estimation")
    try:
        calibrator = None if cal is None else calibration.from_dict(cal)
    except calibration.CalibrationError as exc:
        raise ProfileFormatError(f"reference profile calibration: {exc}") from exc
    estimation = None
    if est is not None:
        estimation = ErrorEstimation(
            artifact=str(est["artifact"]),
            rows=int(est["rows"]),
            absolute_bias=_finite(est["absolute_bias"], "error_estimation.absolute_bias"),
            squared_bias=_finite(est["squared_bias"], "error_estimation.squared_bias"),
        )
    return calibrator, estimation


def from_dict(doc: Mapping[str, Any]) -> ReferenceProfile:
    if doc.get("format") != FORMAT:
        raise ProfileFormatError(f"not a reference profile (format={doc.get('format')!r})")
    version = doc.get("format_version")
    # bool is an int to Python; a document saying ``true`` is not version 1.
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise ProfileFormatError(
            f"reference profile format_version {version!r} is not supported "
            f"(this driftline reads {', '.join(map(str, READABLE_VERSIONS))})"
        )
    try:
        part = _task_part(doc, int(version))
        calibrator, estimation = _estimation_part(doc, int(version), part.task)
        return ReferenceProfile(
            model_name=str(doc["model_name"]),
            rows=int(doc["rows"]),
            target=str(doc["target"]),
            classes=tuple(str(c) for c in doc["classes"]),
            features=tuple(_feature_from_dict(f, int(version)) for f in doc["features"]),
            prediction_class_fractions={
                str(k): float(v) for k, v in doc["predictions"]["class_fractions"].items()
            },
            prediction_rows=int(doc["predictions"]["rows"]),
            created_at=float(doc["created_at"]),
            format_version=int(version),
            extra=dict(doc.get("extra", {})),
            task=part.task,
            predicted_values=part.predicted_values,
            target_values=part.target_values,
            holdout_errors=part.holdout_errors,
            calibration=calibrator,
            error_estimation=estimation,
            roles=ColumnRoles.from_dict(doc["roles"]) if version >= 4 else ColumnRoles(),
        )
    except (KeyError, TypeError) as exc:
        raise ProfileFormatError(f"reference profile is missing or mistypes {exc}") from exc


def loads(text: str) -> ReferenceProfile:
    return from_dict(json.loads(text))
