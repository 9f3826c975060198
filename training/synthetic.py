"""A seeded synthetic "customer churn" data set with drift scenarios.

Ten numeric and ten categorical features with realistic names and ranges; the
label ``churned`` (0/1) follows a known logistic rule plus noise. Drift
scenarios change the data the way production data changes:

- ``covariate``: the mean of chosen numeric features moves by ``strength``
  standard deviations (``scale`` widens their spread by ``1 + strength``
  instead); the label rule stays the same.
- ``new_category``: a share ``strength`` of a categorical feature takes a value
  never seen in training.
- ``prior``: the share of churners moves to ``0.5 * (1 + strength)`` of the data
  (``strength`` in -1..1) while each class's inputs stay as they were.
- ``concept``: the label rule changes while inputs stay the same; at strength 1
  support calls and tenure stop mattering and price sensitivity flips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import pandas as pd

TARGET: Final = "churned"

NUMERIC_FEATURES: Final = (
    "tenure_months",
    "monthly_charges",
    "total_charges",
    "support_calls",
    "late_payments",
    "avg_session_minutes",
    "data_usage_gb",
    "num_products",
    "age",
    "satisfaction_score",
)
CATEGORICAL_FEATURES: Final = (
    "contract_type",
    "payment_method",
    "internet_service",
    "region",
    "device",
    "plan_tier",
    "paperless_billing",
    "has_partner",
    "referral_source",
    "support_tier",
)

CATEGORIES: Final[dict[str, tuple[tuple[str, ...], tuple[float, ...]]]] = {
    "contract_type": (("month-to-month", "one-year", "two-year"), (0.5, 0.3, 0.2)),
    "payment_method": (
        ("electronic-check", "credit-card", "bank-transfer", "mailed-check"),
        (0.35, 0.25, 0.25, 0.15),
    ),
    "internet_service": (("fiber", "dsl", "none"), (0.45, 0.35, 0.2)),
    "region": (("north", "south", "east", "west"), (0.25, 0.3, 0.2, 0.25)),
    "device": (("android", "ios", "web"), (0.45, 0.35, 0.2)),
    "plan_tier": (("basic", "standard", "premium"), (0.4, 0.4, 0.2)),
    "paperless_billing": (("yes", "no"), (0.6, 0.4)),
    "has_partner": (("yes", "no"), (0.5, 0.5)),
    "referral_source": (("search", "social", "friend", "ads"), (0.35, 0.25, 0.2, 0.2)),
    "support_tier": (("standard", "priority"), (0.8, 0.2)),
}

DriftKind = Literal["covariate", "scale", "new_category", "prior", "concept"]


@dataclass(frozen=True)
class Drift:
    """One change applied to generated data; see the module docstring."""

    kind: DriftKind
    strength: float
    features: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.kind in ("covariate", "scale"):
            unknown = [f for f in self.features if f not in NUMERIC_FEATURES]
            if not self.features or unknown:
                raise ValueError(f"{self.kind} drift needs numeric features, got {self.features}")
        if self.kind == "new_category":
            unknown = [f for f in self.features if f not in CATEGORICAL_FEATURES]
            if not self.features or unknown:
                raise ValueError(f"new_category drift needs categorical features: {self.features}")
            if not 0.0 <= self.strength <= 1.0:
                raise ValueError("new_category strength is a share in 0..1")
        if self.kind == "prior" and not -1.0 < self.strength < 1.0:
            raise ValueError("prior strength must be in (-1, 1)")
        if self.kind == "concept" and not 0.0 <= self.strength <= 1.0:
            raise ValueError("concept strength must be in 0..1")


NEW_CATEGORY_VALUE: Final = "unseen-value"
# Sharpens the label rule: a well-fitted model scores about 0.85, so a drop is
# visible well above the noise of a few hundred labels.
LOGIT_SCALE: Final = 2.0


def _inputs(n: int, rng: np.random.Generator) -> pd.DataFrame:
    tenure = np.clip(rng.gamma(1.6, 18.0, n), 0, 72).round()
    monthly = np.clip(rng.normal(70.0, 25.0, n), 18.0, 120.0).round(2)
    data: dict[str, np.ndarray] = {
        "tenure_months": tenure,
        "monthly_charges": monthly,
        "total_charges": (tenure * monthly * rng.normal(1.0, 0.05, n)).round(2),
        "support_calls": rng.poisson(1.5, n).astype(np.float64),
        "late_payments": rng.poisson(0.6, n).astype(np.float64),
        "avg_session_minutes": rng.lognormal(3.0, 0.5, n).round(1),
        "data_usage_gb": rng.gamma(2.0, 12.0, n).round(2),
        "num_products": rng.integers(1, 6, n).astype(np.float64),
        "age": np.clip(rng.normal(45.0, 14.0, n), 18, 90).round(),
        "satisfaction_score": np.clip(rng.normal(6.5, 1.8, n), 1.0, 10.0).round(1),
    }
    frame = pd.DataFrame(data)
    for name in CATEGORICAL_FEATURES:
        values, probs = CATEGORIES[name]
        frame[name] = rng.choice(np.array(values, dtype=object), size=n, p=np.array(probs))
    return frame


def churn_logit(x: pd.DataFrame, concept: float = 0.0) -> np.ndarray:
    """The true log-odds of churn; ``concept`` in 0..1 morphs it into the drifted rule."""
    keep = 1.0 - concept
    mtm = (x["contract_type"] == "month-to-month").to_numpy(dtype=float)
    two_year = (x["contract_type"] == "two-year").to_numpy(dtype=float)
    echeck = (x["payment_method"] == "electronic-check").to_numpy(dtype=float)
    fiber = (x["internet_service"] == "fiber").to_numpy(dtype=float)
    priority = (x["support_tier"] == "priority").to_numpy(dtype=float)
    tenure = x["tenure_months"].to_numpy(dtype=float)
    charges = x["monthly_charges"].to_numpy(dtype=float)
    calls = x["support_calls"].to_numpy(dtype=float)
    late = x["late_payments"].to_numpy(dtype=float)
    satisfaction = x["satisfaction_score"].to_numpy(dtype=float)
    products = x["num_products"].to_numpy(dtype=float)
    return np.asarray(
        -0.6
        + 1.3 * mtm
        - 1.0 * two_year
        + 0.6 * echeck
        + 0.4 * fiber
        - 0.5 * priority
        - keep * 0.05 * (tenure - 24.0)
        + (keep * 0.03 - concept * 0.06) * (charges - 70.0)
        + keep * 0.45 * (calls - 1.5)
        + 0.6 * (late - 0.6)
        - (0.45 + concept * 0.3) * (satisfaction - 6.5)
        - 0.2 * (products - 3.0)
        + concept * 1.2 * (x["age"].to_numpy(dtype=float) < 30),
        dtype=np.float64,
    )


def _labels(x: pd.DataFrame, concept: float, rng: np.random.Generator) -> np.ndarray:
    p = 1.0 / (1.0 + np.exp(-LOGIT_SCALE * churn_logit(x, concept)))
    labels: np.ndarray = (rng.random(len(x)) < p).astype(np.int64)
    return labels


def _move_inputs(
    x: pd.DataFrame, drifts: Sequence[Drift], rng: np.random.Generator
) -> pd.DataFrame:
    for d in drifts:
        if d.kind == "covariate":
            for f in d.features:
                x[f] = x[f] + d.strength * _BASE_STD[f]
        elif d.kind == "scale":
            for f in d.features:
                mean = x[f].mean()
                x[f] = mean + (x[f] - mean) * (1.0 + d.strength)
        elif d.kind == "new_category":
            for f in d.features:
                hit = rng.random(len(x)) < d.strength
                x.loc[hit, f] = NEW_CATEGORY_VALUE
    return x


def generate(
    n: int, seed: int = 0, drifts: Sequence[Drift] = (), missing_rate: float = 0.0
) -> pd.DataFrame:
    """``n`` rows of features plus the ``churned`` label, reproducible from ``seed``.

    ``missing_rate`` blanks that share of every feature's values at random
    (the label is never missing).
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.default_rng(seed)
    prior = next((d for d in drifts if d.kind == "prior"), None)
    # Prior shift keeps P(x | y): draw a larger pool and sample each class to the new share.
    pool_n = n * 4 if prior else n
    x = _move_inputs(_inputs(pool_n, rng), drifts, rng)
    concept = max((d.strength for d in drifts if d.kind == "concept"), default=0.0)
    # Labels follow the inputs as they are now: an input drift keeps the label rule
    # (covariate shift), only a concept drift changes it.
    y = _labels(x, concept, rng)
    if prior is not None:
        share = 0.5 * (1.0 + prior.strength)
        n_pos = round(n * share)
        pos = rng.permutation(np.flatnonzero(y == 1))
        neg = rng.permutation(np.flatnonzero(y == 0))
        if n_pos > pos.size or n - n_pos > neg.size:
            raise ValueError("prior drift too strong for the generator's pool")
        idx = rng.permutation(np.concatenate([pos[:n_pos], neg[: n - n_pos]]))
        x = x.iloc[idx].reset_index(drop=True)
        y = y[idx]
    if missing_rate > 0:
        for col in x.columns:
            hit = rng.random(len(x)) < missing_rate
            x.loc[hit, col] = None
    x[TARGET] = y
    return x


def _base_std() -> dict[str, float]:
    sample = _inputs(50_000, np.random.default_rng(12345))
    return {f: float(sample[f].std()) for f in NUMERIC_FEATURES}


# Standard deviations of the undrifted inputs, so a covariate shift of 1.0 is one SD.
_BASE_STD: Final = _base_std()


def base_std(feature: str) -> float:
    return _BASE_STD[feature]
