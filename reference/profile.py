"""Build, save and load the reference profile of a model's training data.

The format is documented in docs/reference-profile.md. It is JSON, versioned by
``format_version``; a reader refuses versions it does not know rather than guess.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from reference.binning import DEFAULT_BINS, bin_counts, quantile_edges

FORMAT: Final = "driftline.reference-profile"
FORMAT_VERSION: Final = 1
# Bounded so the profile stays small (a few hundred kB) whatever the training set size.
DEFAULT_SAMPLE_SIZE: Final = 10_000

FeatureKind = Literal["numeric", "categorical"]


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
    frequencies: Mapping[str, float]  # category -> share of non-missing values
    kind: Literal["categorical"] = "categorical"


FeatureReference = NumericReference | CategoricalReference


@dataclass(frozen=True)
class ReferenceProfile:
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
    present = values.dropna()
    missing_ratio = 1.0 - len(present) / len(values) if len(values) else 0.0
    counts = present.map(category_key).value_counts()
    total = int(counts.sum())
    freqs = {str(k): float(v) / total for k, v in sorted(counts.items())} if total else {}
    return CategoricalReference(
        name=name, missing_ratio=float(missing_ratio), count=total, frequencies=freqs
    )


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
) -> ReferenceProfile:
    """Profile ``features`` (the training inputs) and the holdout's predicted classes."""
    refs: list[FeatureReference] = []
    for col in features.columns:
        if col in numeric:
            refs.append(build_numeric(col, features[col], n_bins, sample_size, seed))
        elif col in categorical:
            refs.append(build_categorical(col, features[col]))
        else:
            raise ValueError(f"column {col!r} is neither numeric nor categorical")
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
        features=tuple(refs),
        prediction_class_fractions=fractions,
        prediction_rows=n_pred,
        created_at=created_at,
    )


def to_dict(profile: ReferenceProfile) -> dict[str, Any]:
    feats: list[dict[str, Any]] = []
    for f in profile.features:
        if isinstance(f, NumericReference):
            feats.append(
                {
                    "name": f.name,
                    "kind": "numeric",
                    "missing_ratio": f.missing_ratio,
                    "count": f.count,
                    "bin_edges": list(f.bin_edges),
                    "bin_fractions": list(f.bin_fractions),
                    "sample": list(f.sample),
                }
            )
        else:
            feats.append(
                {
                    "name": f.name,
                    "kind": "categorical",
                    "missing_ratio": f.missing_ratio,
                    "count": f.count,
                    "frequencies": dict(f.frequencies),
                }
            )
    return {
        "format": FORMAT,
        "format_version": profile.format_version,
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
    }


def dumps(profile: ReferenceProfile) -> str:
    return json.dumps(to_dict(profile), allow_nan=False, separators=(",", ":"))


def _finite(value: Any, where: str) -> float:
    x = float(value)
    if not math.isfinite(x):
        raise ProfileFormatError(f"{where} is not a finite number")
    return x


def from_dict(doc: Mapping[str, Any]) -> ReferenceProfile:
    if doc.get("format") != FORMAT:
        raise ProfileFormatError(f"not a reference profile (format={doc.get('format')!r})")
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise ProfileFormatError(
            f"reference profile format_version {version!r} is not supported "
            f"(this driftline reads {FORMAT_VERSION})"
        )
    try:
        refs: list[FeatureReference] = []
        for f in doc["features"]:
            if f["kind"] == "numeric":
                refs.append(
                    NumericReference(
                        name=f["name"],
                        missing_ratio=_finite(f["missing_ratio"], f"{f['name']}.missing_ratio"),
                        count=int(f["count"]),
                        bin_edges=tuple(float(e) for e in f["bin_edges"]),
                        bin_fractions=tuple(float(x) for x in f["bin_fractions"]),
                        sample=tuple(float(x) for x in f["sample"]),
                    )
                )
            elif f["kind"] == "categorical":
                refs.append(
                    CategoricalReference(
                        name=f["name"],
                        missing_ratio=_finite(f["missing_ratio"], f"{f['name']}.missing_ratio"),
                        count=int(f["count"]),
                        frequencies={str(k): float(v) for k, v in f["frequencies"].items()},
                    )
                )
            else:
                raise ProfileFormatError(f"feature {f['name']!r} has unknown kind {f['kind']!r}")
        return ReferenceProfile(
            model_name=str(doc["model_name"]),
            rows=int(doc["rows"]),
            target=str(doc["target"]),
            classes=tuple(str(c) for c in doc["classes"]),
            features=tuple(refs),
            prediction_class_fractions={
                str(k): float(v) for k, v in doc["predictions"]["class_fractions"].items()
            },
            prediction_rows=int(doc["predictions"]["rows"]),
            created_at=float(doc["created_at"]),
            extra=dict(doc.get("extra", {})),
        )
    except (KeyError, TypeError) as exc:
        raise ProfileFormatError(f"reference profile is missing or mistypes {exc}") from exc


def loads(text: str) -> ReferenceProfile:
    return from_dict(json.loads(text))
