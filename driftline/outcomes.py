"""Outcomes several layers name: the one definition of each set of values.

A label's outcome is what the prediction log answers (predictionlog/records.py),
a ``status`` of the feedback API (serving/openapi.py) and an ``outcome`` of
driftline_feedback_total (driftline/metric_catalog.py). A registry check's
outcome is what the serving runtime returns and an ``outcome`` of
driftline_model_reloads_total.

mypy cannot build a ``Literal`` from a tuple, so each ``Literal`` is spelled
beside its tuple; tests/contracts/test_enumerations.py holds the two equal, in
order.
"""

from __future__ import annotations

from typing import Final, Literal

# What happened to one submitted label (predictionlog.records.LabelResult says more).
LabelOutcome = Literal["recorded", "duplicate", "conflict", "unknown_prediction"]
LABEL_OUTCOMES: Final[tuple[LabelOutcome, ...]] = (
    "recorded", "duplicate", "conflict", "unknown_prediction",
)  # fmt: skip

# What one check of the registry for a new champion did.
ReloadOutcome = Literal["swapped", "unchanged", "failed"]
RELOAD_OUTCOMES: Final[tuple[ReloadOutcome, ...]] = ("swapped", "unchanged", "failed")
