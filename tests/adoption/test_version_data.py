"""An adopted version's columns: from its signature (adoption/signature_columns.py) or
its data (adoption/version_data.py). Pure, on small frames."""

from __future__ import annotations

import pandas as pd
import pytest

from adoption.signature_columns import SignatureColumnsError, signature_columns
from adoption.version_data import AdoptionDataError, version_data
from reference.role_flags import RoleFlags

SIGNATURE = [
    {"type": "long", "name": "age", "required": True},
    {"type": "double", "name": "income", "required": True},
    {"type": "boolean", "name": "paperless", "required": True},
    {"type": "string", "name": "plan", "required": True},
    {"type": "double", "name": "discount", "required": False},
]


def _frame(n: int = 60) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "age": [20 + i % 50 for i in range(n)],
            "income": [1000.0 + 7 * i for i in range(n)],
            "paperless": [i % 2 == 0 for i in range(n)],
            "plan": ["basic", "pro"] * (n // 2),
            "note": ["x"] * n,
            "left": [i % 3 == 0 for i in range(n)],
        }
    )


def test_a_signature_gives_kinds_booleans_and_optional_inputs() -> None:
    columns = signature_columns(SIGNATURE)
    assert columns.numeric == ("age", "income", "paperless", "discount")
    assert (columns.categorical, columns.boolean) == (("plan",), ("paperless",))
    assert columns.missing_from(["age", "plan"]) == ("income", "paperless")  # not discount


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ([{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}],
         "takes a tensor"),
        ([{"type": "double"}], "unnamed input"),
        ([{"type": "datetime", "name": "when"}, {"type": "binary", "name": "blob"}],
         "cannot profile: when \\(datetime\\), blob \\(binary\\)"),
    ],
)  # fmt: skip
def test_a_signature_driftline_cannot_profile_is_refused(inputs: list, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(SignatureColumnsError, match=message):
        signature_columns(inputs)


def test_with_a_signature_its_inputs_are_the_features_and_the_rest_is_said() -> None:
    got = version_data(_frame(), target="left", signature=signature_columns(SIGNATURE),
                       flags=RoleFlags(), task=None, source="t.csv")  # fmt: skip
    assert got.columns_from == "signature"
    assert got.inputs == ("age", "income", "paperless", "plan")  # discount: optional, absent
    assert (got.data.numeric, got.data.categorical) == (("age", "income", "paperless"), ("plan",))
    assert got.data.boolean == ("paperless",)
    assert got.data.roles.id_columns == ("customer_id",)
    assert "column note: not an input of the model's signature, left out" in got.notes


def test_the_target_is_the_one_column_the_signature_leaves_over() -> None:
    frame = _frame().drop(columns=["note"])
    flags = RoleFlags(id_columns=("customer_id",))
    got = version_data(frame, target=None, signature=signature_columns(SIGNATURE), flags=flags,
                       task=None, source="t.csv")  # fmt: skip
    assert got.data.target_name == "left"
    assert got.notes[0] == "target: left (the one column outside the model's signature)"


def test_role_flags_cannot_take_an_input_of_the_signature() -> None:
    with pytest.raises(AdoptionDataError, match=r"role flags name inputs .*: age"):
        version_data(_frame(), target="left", signature=signature_columns(SIGNATURE),
                     flags=RoleFlags(drop=("age",)), task=None, source="t.csv")  # fmt: skip


def test_without_a_signature_the_data_decides_as_training_does() -> None:
    got = version_data(_frame(), target="left", signature=None, flags=RoleFlags(drop=("note",)),
                       task=None, source="t.csv")  # fmt: skip
    assert got.columns_from == "data"
    assert got.inputs == ("age", "income", "paperless", "plan")
    assert got.data.roles.id_columns == ("customer_id",)
