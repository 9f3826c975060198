"""Tables shaped like real exports, made here (nothing downloaded): loans with an id and a
timestamp, payments with booleans, orders with a 5,000-category feature."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd

LOAN_FEATURES = (
    "amount", "term_months", "income", "age", "debt_ratio",
    "credit_lines", "purpose", "home", "employment_years",
)  # fmt: skip


def loans(rows: int, seed: int = 0, start: str = "2025-01-01") -> pd.DataFrame:
    """``loan_id`` (L100000, ...), ``applied_at`` (ISO timestamps), nine features, ``defaulted``."""
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(9.5, 0.6, rows).round(0)
    income = rng.lognormal(10.8, 0.4, rows).round(0)
    debt_ratio = rng.beta(2, 5, rows)
    age = rng.integers(21, 75, rows)
    purpose = rng.choice(["car", "home", "education", "business", "other"], rows)
    home = rng.choice(["rent", "own", "mortgage"], rows, p=[0.45, 0.2, 0.35])
    score = 2.5 * debt_ratio + 0.6 * np.log(amount / income) - 0.02 * (age - 40)
    defaulted = (score + rng.normal(0, 0.4, rows) > 0.2).astype(int)
    stamps = pd.Timestamp(start) + pd.to_timedelta(np.sort(rng.uniform(0, 3e7, rows)), unit="s")
    return pd.DataFrame(
        {
            "loan_id": [f"L{100000 + i}" for i in range(rows)],
            "applied_at": stamps.strftime("%Y-%m-%dT%H:%M:%S"),
            "amount": amount,
            "term_months": rng.choice([12, 24, 36, 60], rows),
            "income": income,
            "age": age,
            "debt_ratio": debt_ratio,
            "credit_lines": rng.poisson(4, rows),
            "purpose": purpose,
            "home": home,
            "employment_years": rng.integers(0, 30, rows),
            "defaulted": defaulted,
        }
    )


def payments(rows: int, seed: int = 0) -> pd.DataFrame:
    """Payments with a boolean feature ``is_weekend`` and a boolean target ``fraud``."""
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(4, 1, rows)
    is_weekend = rng.random(rows) < 2 / 7
    hour = rng.integers(0, 24, rows)
    high = rng.integers(0, 2**63, rows)  # random UUIDs, reproducibly
    risk = 0.004 * amount + 1.5 * is_weekend + 0.8 * (hour < 6) + rng.normal(0, 0.8, rows)
    return pd.DataFrame(
        {
            "payment_id": [str(uuid.UUID(int=int(h) << 64 | i)) for i, h in enumerate(high)],
            "amount": amount,
            "is_weekend": is_weekend,
            "hour": hour,
            "fraud": risk > 2.0,
        }
    )


def zipf_shares(categories: int, exponent: float = 1.1) -> np.ndarray:
    weights = 1.0 / np.arange(1, categories + 1) ** exponent
    shares: np.ndarray = weights / weights.sum()
    return shares


def orders(rows: int, seed: int = 0, categories: int = 5000, cover: bool = False) -> pd.DataFrame:
    """A ``product`` feature with ``categories`` distinct values, a price, and ``returned``.

    Products come from one population: a quarter of rows uniform over every product,
    three quarters Zipf-distributed (a few best sellers, a long tail). ``cover`` draws
    the uniform quarter as each product in turn, so a training table of
    4 x ``categories`` rows holds every product of the population once at least.
    """
    rng = np.random.default_rng(seed)
    codes = np.array([f"P{7 * i:05d}" for i in range(categories)])
    n_uniform = rows // 4
    uniform = np.resize(codes, n_uniform) if cover else rng.choice(codes, n_uniform)
    popular = rng.choice(codes, rows - n_uniform, p=zipf_shares(categories))
    product = rng.permutation(np.concatenate([uniform, popular]))
    price = rng.lognormal(3, 0.5, rows)
    returned = (rng.random(rows) < 0.2 + 0.1 * (price > 30)).astype(int)
    return pd.DataFrame({"product": product, "price": price, "returned": returned})
