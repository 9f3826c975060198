from __future__ import annotations

import numpy as np
import pytest

from training.synthetic import (
    CATEGORICAL_FEATURES,
    NEW_CATEGORY_VALUE,
    NUMERIC_FEATURES,
    TARGET,
    Drift,
    base_std,
    generate,
)


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = generate(500, seed=3)
    b = generate(500, seed=3)
    c = generate(500, seed=4)
    assert a.equals(b)
    assert not a.equals(c)
    assert list(a.columns) == [*NUMERIC_FEATURES, *CATEGORICAL_FEATURES, TARGET]


def test_labels_are_balanced_enough_and_binary() -> None:
    df = generate(20_000, seed=1)
    assert set(df[TARGET].unique()) == {0, 1}
    assert 0.35 < df[TARGET].mean() < 0.65


def test_covariate_shift_moves_only_the_chosen_feature_by_that_many_sds() -> None:
    base = generate(20_000, seed=5)
    shifted = generate(20_000, seed=5, drifts=[Drift("covariate", 0.5, ("monthly_charges",))])
    delta = shifted["monthly_charges"].mean() - base["monthly_charges"].mean()
    assert delta == pytest.approx(0.5 * base_std("monthly_charges"), rel=1e-6)
    assert shifted["tenure_months"].equals(base["tenure_months"])


def test_scale_drift_widens_spread() -> None:
    base = generate(20_000, seed=5)
    wide = generate(20_000, seed=5, drifts=[Drift("scale", 1.0, ("age",))])
    assert wide["age"].std() == pytest.approx(2 * base["age"].std(), rel=1e-6)


def test_new_category_appears_with_its_share() -> None:
    df = generate(20_000, seed=2, drifts=[Drift("new_category", 0.3, ("device",))])
    share = (df["device"] == NEW_CATEGORY_VALUE).mean()
    assert 0.27 < share < 0.33


def test_prior_shift_sets_class_share_exactly() -> None:
    df = generate(10_000, seed=2, drifts=[Drift("prior", 0.4)])
    assert df[TARGET].mean() == pytest.approx(0.7, abs=1e-3)


def test_concept_drift_keeps_inputs_and_changes_labels() -> None:
    base = generate(10_000, seed=9)
    drifted = generate(10_000, seed=9, drifts=[Drift("concept", 1.0)])
    features = [*NUMERIC_FEATURES, *CATEGORICAL_FEATURES]
    assert drifted[features].equals(base[features])
    assert (drifted[TARGET] != base[TARGET]).mean() > 0.15


def test_missing_rate_blanks_features_not_labels() -> None:
    df = generate(10_000, seed=1, missing_rate=0.1)
    assert 0.08 < df["age"].isna().mean() < 0.12
    assert df[TARGET].notna().all()


@pytest.mark.parametrize(
    "drift",
    [
        lambda: Drift("covariate", 0.2, ("contract_type",)),
        lambda: Drift("covariate", 0.2),
        lambda: Drift("new_category", 1.5, ("device",)),
        lambda: Drift("prior", 1.0),
        lambda: Drift("concept", 2.0),
    ],
)
def test_bad_drift_specs_are_refused(drift: object) -> None:
    with pytest.raises(ValueError):
        drift()  # type: ignore[operator]


def test_rejects_empty_request() -> None:
    with pytest.raises(ValueError):
        generate(0)
    assert np.isfinite(base_std("age"))
