"""A feature with 5,000 categories: a bounded profile, no drift on unshifted traffic,
drift when its top categories' shares move, and "other" never counted as unseen."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from exporter.prepared import prepare
from exporter.results import VersionResult
from reference.category_bounds import MAX_CATEGORIES, OTHER_LABEL
from reference.profile import CategoricalReference, build_profile, dumps, loads
from tests.exporter.logdata import log_rows, open_log
from tests.exporter.test_tasks_engine import engine_for
from tests.training.tables import orders

MODEL = "orders"


def _profile_text(train: pd.DataFrame) -> str:
    return dumps(
        build_profile(
            model_name=MODEL, features=train[["product", "price"]], numeric=["price"],
            categorical=["product"], target="returned", classes=["0", "1"],
            holdout_predictions=["0"] * 80 + ["1"] * 20, created_at=1.0,
        )
    )  # fmt: skip


def _cycle(tmp_path: Path, live: pd.DataFrame, profile: str) -> VersionResult:
    """One exporter cycle over ``live`` logged in a fresh prediction log."""
    db_url = f"sqlite:///{tmp_path / 'predictions.db'}"
    predicted = ["0"] * (len(live) - len(live) // 5) + ["1"] * (len(live) // 5)
    log_rows(open_log(db_url), live[["product", "price"]], predicted, model_name=MODEL)
    [version] = engine_for(db_url, {(MODEL, "1"): profile}).run_cycle().versions
    return version


def test_the_profile_keeps_the_top_categories_and_folds_the_rest() -> None:
    train = orders(20_000, seed=1, cover=True)
    text = _profile_text(train)
    product = loads(text).feature("product")
    assert isinstance(product, CategoricalReference) and product.other is not None
    assert len(product.frequencies) == MAX_CATEGORIES
    distinct = train["product"].nunique()
    assert product.other.categories == distinct - MAX_CATEGORIES
    assert sum(product.frequencies.values()) + product.other.share == pytest.approx(1.0)
    top = train["product"].value_counts(normalize=True).head(MAX_CATEGORIES)
    assert set(product.frequencies) == set(top.index)
    # Bounded: about 5 bytes of JSON per folded category, not their names.
    [doc] = [f for f in json.loads(text)["features"] if f["name"] == "product"]
    assert len(json.dumps(doc)) < 6 * distinct, len(json.dumps(doc))
    prepared = prepare(MODEL, "1", "run", loads(text)).categorical[0]
    assert prepared.categories[-1] == OTHER_LABEL
    rare = train["product"].value_counts().index[-1]
    assert prepared.code(str(rare)) == prepared.other_code
    assert prepared.code("P99999x") == prepared.unseen_code
    # A real category spelled like the bucket is unseen, not "other".
    assert prepared.code(OTHER_LABEL) == prepared.unseen_code


def test_unshifted_traffic_shows_no_drift_and_no_unseen_values(tmp_path: Path) -> None:
    profile = _profile_text(orders(20_000, seed=1, cover=True))
    version = _cycle(tmp_path, orders(5_000, seed=2), profile)
    product = next(f for f in version.features if f.name == "product")
    assert product.samples == 5_000
    # Values folded into "other" were seen in training: only new ones are unseen.
    assert product.unseen_ratio is not None and product.unseen_ratio < 0.01
    assert product.psi is not None and product.psi < 0.05
    assert not product.drift
    assert not version.drift


def test_moving_the_top_categories_shares_is_drift(tmp_path: Path) -> None:
    live = orders(5_000, seed=3)
    top = live["product"].value_counts().index[:5]
    rng = np.random.default_rng(4)
    others = live.loc[~live["product"].isin(top), "product"].to_numpy()
    # The five most frequent products lose their customers to the long tail.
    moved = live["product"].isin(top) & (rng.random(len(live)) < 0.8)
    live.loc[moved, "product"] = rng.choice(others, int(moved.sum()))
    version = _cycle(tmp_path, live, _profile_text(orders(20_000, seed=1, cover=True)))
    product = next(f for f in version.features if f.name == "product")
    assert product.unseen_ratio is not None and product.unseen_ratio < 0.01
    assert product.drift and version.drift
