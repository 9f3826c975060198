"""The data set an adopted version was trained on, as driftline sees it; pure, no I/O.

Feature columns and kinds come from the model's signature when it has one (the
model's own statement of its inputs); the data's other columns are the target,
identifier or time columns (flags, then detection: reference/column_roles.py) or
left out. Without a signature every column but the target is a feature unless a
role says otherwise, and kinds are inferred as `driftline train` infers them
(training/dataset.py). The target: ``--target``, or with a signature the one
column the signature does not name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from adoption.signature_columns import SignatureColumns
from driftline.tasks import Task
from driftline.version_facts import ColumnsSource
from reference.column_roles import RoleError, ordering_key, settle
from reference.role_flags import RoleFlags
from training.dataset import Dataset, DatasetError, from_frame


class AdoptionDataError(ValueError):
    """The data cannot be the adopted version's training data; the message says why."""


@dataclass(frozen=True)
class VersionData:
    data: Dataset
    columns_from: ColumnsSource
    inputs: tuple[str, ...]  # the columns the model is given, as the file has them
    notes: tuple[str, ...]  # what was decided, one terminal line each


def _named_by_flags(flags: RoleFlags) -> set[str]:
    return {*flags.id_columns, *flags.drop, *((flags.time_column,) if flags.time_column else ())}


def _target(frame: pd.DataFrame, given: str | None, signature: SignatureColumns | None,
            flags: RoleFlags, source: str) -> tuple[str, str | None]:  # fmt: skip
    """(the target column, a note when it was not given)."""
    columns = ", ".join(map(str, frame.columns))
    if given is not None:
        if given not in frame.columns:
            raise AdoptionDataError(
                f"{source}: target column {given!r} not found (columns: {columns})"
            )
        return given, None
    if signature is None:
        raise AdoptionDataError(
            "the model has no signature, so its target cannot be told from its features: "
            "name it with --target"
        )
    others = [str(c) for c in frame.columns
              if c not in signature.names and c not in _named_by_flags(flags)]  # fmt: skip
    if len(others) != 1:
        raise AdoptionDataError(
            f"{source}: the target is missing: name it with --target (columns outside the "
            f"model's signature: {', '.join(others) or 'none'})"
        )
    return others[0], f"target: {others[0]} (the one column outside the model's signature)"


def version_data(
    frame: pd.DataFrame,
    *,
    target: str | None,
    signature: SignatureColumns | None,
    flags: RoleFlags,
    task: Task | None,
    source: str,
) -> VersionData:
    """``frame`` (the file as read) as the adopted version's data set."""
    target, target_note = _target(frame, target, signature, flags, source)
    notes = [] if target_note is None else [target_note]
    try:
        if signature is None:
            data = from_frame(frame, target, source=source, task=task, roles=flags)
            notes.append(
                "feature columns from the data (the model has no signature): "
                + _kinds(data.numeric, data.categorical)
            )
            return VersionData(data, "data", tuple(map(str, data.frame.columns)),
                               (*notes, *data.roles.describe()))  # fmt: skip
        missing = signature.missing_from(list(map(str, frame.columns)))
        if missing:
            raise AdoptionDataError(
                f"{source} lacks columns the model's signature needs: {', '.join(missing)}"
            )
        inputs = tuple(c for c in signature.names if c in frame.columns)
        if target in inputs:
            raise AdoptionDataError(f"the target {target!r} is an input of the model's signature")
        clash = sorted(_named_by_flags(flags) & set(inputs))
        if clash:
            raise AdoptionDataError(
                f"role flags name inputs of the model's signature: {', '.join(clash)}"
            )
        roles = settle(frame, target, flags, inputs)
        data = from_frame(
            frame[[*inputs, target]],
            target,
            source=source,
            numeric=[c for c in signature.numeric if c in inputs],
            categorical=[c for c in signature.categorical if c in inputs],
            boolean=signature.boolean,
            task=task,
        )
    except (DatasetError, RoleError) as exc:
        raise AdoptionDataError(str(exc)) from exc
    time_column = roles.time_column
    data = dataclasses.replace(
        data,
        roles=roles,
        time=None if time_column is None else ordering_key(frame[time_column]),
    )
    notes.append(
        "feature columns from the model's signature: " + _kinds(data.numeric, data.categorical)
    )
    left_out = [str(c) for c in frame.columns
                if c not in inputs and c != target and c not in roles.not_features]  # fmt: skip
    notes.extend(roles.describe())
    notes.extend(f"column {c}: not an input of the model's signature, left out" for c in left_out)
    return VersionData(data, "signature", inputs, tuple(notes))


def _kinds(numeric: tuple[str, ...], categorical: tuple[str, ...]) -> str:
    return (
        f"{len(numeric)} numeric ({', '.join(numeric) or '-'}), "
        f"{len(categorical)} categorical ({', '.join(categorical) or '-'})"
    )
