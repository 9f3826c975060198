"""The bounded categorical reference: top categories, the "other" bucket, remembered hashes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from reference.category_bounds import (
    MAX_CATEGORIES,
    bound,
    category_hash,
    pack_hashes,
    unpack_hashes,
)
from reference.profile import (
    CategoricalReference,
    ProfileFormatError,
    build_categorical,
    build_profile,
    dumps,
    loads,
)


def test_a_feature_within_the_limit_keeps_every_category() -> None:
    counts = pd.Series({f"c{i}": i + 1 for i in range(MAX_CATEGORIES)})
    bounded = bound(counts)
    assert bounded.other is None
    assert len(bounded.frequencies) == MAX_CATEGORIES
    assert sum(bounded.frequencies.values()) == pytest.approx(1.0)


def test_past_the_limit_the_most_frequent_stay_and_the_rest_fold_into_other() -> None:
    # counts 1..10; keep 3: the 10, 9 and 8; fold 7 categories holding 28 of 55 values.
    counts = pd.Series({f"c{i}": i for i in range(1, 11)})
    bounded = bound(counts, max_categories=3, max_remembered=5)
    assert bounded.frequencies == {"c10": 10 / 55, "c8": 8 / 55, "c9": 9 / 55}
    other = bounded.other
    assert other is not None
    assert other.categories == 7
    assert other.share == pytest.approx(28 / 55)
    # The five most frequent folded ones are remembered; c2 and c1 (3 values) are not.
    assert set(other.hashes) == {category_hash(f"c{i}") for i in (3, 4, 5, 6, 7)}
    assert other.forgotten_share == pytest.approx(3 / 55)


def test_ties_are_broken_by_key_not_by_row_order() -> None:
    a = bound(pd.Series({"b": 2, "a": 2, "c": 2}), max_categories=2)
    b = bound(pd.Series({"c": 2, "b": 2, "a": 2}), max_categories=2)
    assert a == b and set(a.frequencies) == {"a", "b"}


def test_hashes_pack_to_base64_and_back() -> None:
    hashes = (category_hash("x"), category_hash("y"), 0, 2**32 - 1)
    assert unpack_hashes(pack_hashes(hashes)) == tuple(sorted(hashes))
    with pytest.raises(ValueError):
        unpack_hashes("AAA=")  # two bytes


def _profile(values: list[str]) -> str:
    frame = pd.DataFrame({"code": values})
    return dumps(
        build_profile(
            model_name="m", features=frame, numeric=[], categorical=["code"], target="y",
            classes=["0", "1"], holdout_predictions=["0", "1"], created_at=1.0,
        )
    )  # fmt: skip


def test_the_other_bucket_round_trips_and_a_broken_one_is_refused() -> None:
    values = [f"v{i}" for i in range(100) for _ in range(i % 3 + 1)]
    text = _profile(values)
    code = loads(text).feature("code")
    assert isinstance(code, CategoricalReference) and code.other is not None
    assert code == build_categorical("code", pd.Series(values))
    assert loads(dumps(loads(text))) == loads(text)
    doc = json.loads(text)
    doc["features"][0]["other"]["hashes"] = "not base64!"
    with pytest.raises(ProfileFormatError, match=r"code\.other\.hashes"):
        loads(json.dumps(doc))


@pytest.mark.parametrize("version", [2, 3])
def test_an_older_document_loads_without_roles_or_other(version: int) -> None:
    doc = json.loads(_profile(["a", "b"] * 30))
    doc["format_version"] = version
    del doc["roles"]
    del doc["features"][0]["other"]
    if version == 2:
        del doc["calibration"], doc["error_estimation"]
    profile = loads(json.dumps(doc))
    assert profile.format_version == version
    assert profile.roles.decisions == ()
    code = profile.feature("code")
    assert isinstance(code, CategoricalReference) and code.other is None
