"""A seeded synthetic house-price data set with drift scenarios (a regression target).

Six numeric and four categorical features of a city's housing market; the target
``price`` (euros, rounded to 100) is ``true_price`` of the inputs, a known
non-linear formula, times log-normal noise of about 7%. Scenarios change the data
over time ``t`` (in years since the training data was drawn; 0 is the training
market):

- ``steady``: nothing changes; ``t`` is ignored.
- ``inflation``: prices rise by ``ANNUAL_INFLATION`` a year, compounded; the inputs
  are drawn exactly as in ``steady`` (same seed, same houses), only the target moves.
  A model trained at ``t = 0`` under-predicts by the price level's rise.
- ``new-market``: a share ``NEW_MARKET_SHARE * min(t, 1)`` of the houses come from a
  new development: large, new, detached houses far from the centre, a region the
  training data barely covers. The price formula is unchanged, so a model's error
  grows only because it extrapolates.
"""

from __future__ import annotations

import math
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

TARGET: Final = "price"

NUMERIC_FEATURES: Final = (
    "size_sqm",
    "rooms",
    "bathrooms",
    "age_years",
    "distance_to_center_km",
    "floor",
)
CATEGORICAL_FEATURES: Final = ("neighbourhood", "condition", "property_type", "energy_label")

# category -> (share of the training market, price factor)
CATEGORIES: Final[dict[str, dict[str, tuple[float, float]]]] = {
    "neighbourhood": {
        # Factor: euros per square metre at the centre, before the other factors.
        "old-town": (0.12, 5200.0),
        "riverside": (0.15, 4600.0),
        "university": (0.18, 3900.0),
        "harbour": (0.15, 3400.0),
        "suburbs": (0.30, 2900.0),
        "industrial": (0.10, 2300.0),
    },
    "condition": {
        "new": (0.10, 1.15),
        "good": (0.50, 1.0),
        "fair": (0.28, 0.9),
        "needs-renovation": (0.12, 0.75),
    },
    "property_type": {
        "apartment": (0.55, 1.0),
        "terraced": (0.28, 1.05),
        "detached": (0.17, 1.18),
    },
    "energy_label": {
        "A": (0.10, 1.06),
        "B": (0.20, 1.03),
        "C": (0.30, 1.0),
        "D": (0.22, 0.98),
        "E": (0.12, 0.95),
        "F": (0.06, 0.92),
    },
}

Scenario = Literal["steady", "inflation", "new-market"]
SCENARIOS: Final[tuple[Scenario, ...]] = ("steady", "inflation", "new-market")
# A price spike: +25% a year, compounded (1.25 ** t).
ANNUAL_INFLATION: Final = 0.25
# The share of new-development houses once the new market is fully open (t >= 1).
NEW_MARKET_SHARE: Final = 0.6
NOISE_SIGMA: Final = 0.07


def price_level(scenario: Scenario, t: float) -> float:
    """How much every price is multiplied by at time ``t`` (1.0 but for inflation)."""
    return (1.0 + ANNUAL_INFLATION) ** t if scenario == "inflation" else 1.0


def new_market_share(scenario: Scenario, t: float) -> float:
    """The share of houses drawn from the new development at time ``t``."""
    return NEW_MARKET_SHARE * min(t, 1.0) if scenario == "new-market" else 0.0


def _choice(rng: np.random.Generator, name: str, n: int) -> np.ndarray:
    values = list(CATEGORIES[name])
    shares = np.array([CATEGORIES[name][v][0] for v in values])
    return rng.choice(np.array(values, dtype=object), size=n, p=shares / shares.sum())


def _city_inputs(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """The training market: mostly 40-150 m², within 15 km of the centre."""
    size = np.clip(rng.lognormal(math.log(85.0), 0.35, n), 20.0, 320.0).round(1)
    rooms = np.clip(np.round(size / 28.0 + rng.normal(0.5, 0.7, n)), 1, 10)
    bathrooms = np.clip(np.round(size / 80.0 + rng.normal(0.4, 0.4, n)), 1, 4)
    return pd.DataFrame(
        {
            "size_sqm": size,
            "rooms": rooms,
            "bathrooms": bathrooms,
            "age_years": np.clip(rng.gamma(1.8, 22.0, n), 0.0, 150.0).round(),
            "distance_to_center_km": np.clip(rng.gamma(2.0, 2.8, n), 0.2, 45.0).round(1),
            "floor": np.clip(rng.poisson(1.8, n), 0, 20).astype(np.float64),
            "neighbourhood": _choice(rng, "neighbourhood", n),
            "condition": _choice(rng, "condition", n),
            "property_type": _choice(rng, "property_type", n),
            "energy_label": _choice(rng, "energy_label", n),
        }
    )


def _new_development_inputs(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Large new detached houses 25-45 km out: rare in the training market."""
    size = np.clip(rng.lognormal(math.log(210.0), 0.18, n), 120.0, 420.0).round(1)
    return pd.DataFrame(
        {
            "size_sqm": size,
            "rooms": np.clip(np.round(size / 32.0 + rng.normal(0.0, 0.6, n)), 3, 12),
            "bathrooms": np.clip(np.round(size / 90.0 + rng.normal(0.3, 0.4, n)), 2, 5),
            "age_years": rng.integers(0, 4, n).astype(np.float64),
            "distance_to_center_km": rng.uniform(25.0, 45.0, n).round(1),
            "floor": np.zeros(n),
            "neighbourhood": np.full(n, "suburbs", dtype=object),
            "condition": np.full(n, "new", dtype=object),
            "property_type": np.full(n, "detached", dtype=object),
            "energy_label": rng.choice(np.array(["A", "B"], dtype=object), size=n, p=[0.7, 0.3]),
        }
    )


def _factor(x: pd.DataFrame, name: str) -> np.ndarray:
    table = {k: v[1] for k, v in CATEGORIES[name].items()}
    return x[name].map(table).to_numpy(dtype=np.float64)


def true_price(x: pd.DataFrame) -> np.ndarray:
    """The noise-free price of each house at the training market's price level.

    Non-linear on purpose (size with diminishing returns, distance decaying
    exponentially, a premium for historic buildings), so models differ and a model
    extrapolating into the new market errs.
    """
    size = x["size_sqm"].to_numpy(dtype=np.float64)
    age = x["age_years"].to_numpy(dtype=np.float64)
    distance = x["distance_to_center_km"].to_numpy(dtype=np.float64)
    floor = x["floor"].to_numpy(dtype=np.float64)
    apartment = (x["property_type"] == "apartment").to_numpy(dtype=np.float64)
    age_factor = 1.0 - 0.004 * np.minimum(age, 60.0) + 0.002 * np.maximum(age - 90.0, 0.0)
    floor_factor = 1.0 + apartment * 0.015 * np.minimum(floor, 10.0)
    base = (
        _factor(x, "neighbourhood")
        * size**0.92
        * np.exp(-0.03 * distance)
        * _factor(x, "condition")
        * _factor(x, "property_type")
        * _factor(x, "energy_label")
        * age_factor
        * floor_factor
    )
    extras = 6000.0 * x["rooms"].to_numpy(dtype=np.float64) + 9000.0 * (
        x["bathrooms"].to_numpy(dtype=np.float64) - 1.0
    )
    return np.asarray(base + extras, dtype=np.float64)


def generate(
    n: int,
    seed: int = 0,
    *,
    scenario: Scenario = "steady",
    t: float = 0.0,
    missing_rate: float = 0.0,
) -> pd.DataFrame:
    """``n`` houses with their ``price`` under ``scenario`` at time ``t``, from ``seed``.

    The same seed gives the same city houses whatever the scenario and time (each
    draw has its own random stream), so scenarios differ only by what they change.
    ``missing_rate`` blanks that share of every feature's values (never the price).
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r} (choose from {', '.join(SCENARIOS)})")
    if not math.isfinite(t) or t < 0:
        raise ValueError(f"t is years since training, a finite number >= 0, got {t!r}")
    city_rng, noise_rng, market_rng, missing_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )
    x = _city_inputs(n, city_rng)
    noise = noise_rng.lognormal(0.0, NOISE_SIGMA, n)
    share = new_market_share(scenario, t)
    if share > 0:
        hit = market_rng.random(n) < share
        if hit.any():
            x.loc[hit] = _new_development_inputs(int(hit.sum()), market_rng).set_index(x.index[hit])
    price = np.round(true_price(x) * noise * price_level(scenario, t), -2)
    if missing_rate > 0:
        for col in x.columns:
            x.loc[missing_rng.random(n) < missing_rate, col] = None
    x[TARGET] = price
    return x


def records(
    n: int, seed: int = 0, *, scenario: Scenario = "steady", t: float = 0.0
) -> list[tuple[dict[str, Any], float]]:
    """(JSON record for ``POST /predict``, its true price) for ``n`` houses, as ``generate``."""
    frame = generate(n, seed, scenario=scenario, t=t)
    prices = frame.pop(TARGET).tolist()
    rows = frame.to_dict(orient="records")
    return [
        ({str(k): v for k, v in row.items()}, float(price))
        for row, price in zip(rows, prices, strict=True)
    ]
