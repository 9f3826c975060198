"""The one text form of a regression value (a prediction or a label) in the prediction log.

The log's ``predicted_class`` and ``label`` columns are text; a regression version stores
``repr(float(x))`` there, so ``3``, ``3.0`` and ``numpy.float64(3)`` are the same label
and an idempotent re-send of feedback compares equal as text. ``-0.0`` is stored as
``0.0`` for the same reason (it equals ``0.0`` as a number).

Serving writes with ``value_text``; the exporter and retraining read with
``parse_value_text``. Standard library only: this is the ground floor.
"""

from __future__ import annotations

import math
import numbers


def value_text(x: object) -> str:
    """The canonical text of the finite number ``x``.

    Raises ValueError, naming the problem, for a boolean (``True`` is an ``int`` to
    Python but never a price), a non-number (text included: ``"3.5"`` is refused, the
    caller decides whether to parse), NaN, infinity, or an integer too large for a float.
    """
    # numpy's boolean (named bool_ before numpy 2) without importing numpy.
    if isinstance(x, bool) or type(x).__name__ in ("bool", "bool_"):
        raise ValueError("a regression value must be a number, not a boolean")
    if not isinstance(x, numbers.Real):
        raise ValueError(f"a regression value must be a number, got {type(x).__name__}")
    try:
        value = float(x)
    except OverflowError as exc:
        raise ValueError("a regression value is too large for a float") from exc
    if math.isnan(value):
        raise ValueError("a regression value must be a finite number, got NaN")
    if math.isinf(value):
        raise ValueError("a regression value must be a finite number, got infinity")
    # + 0.0 turns -0.0 into 0.0 and leaves every other float as it is.
    return repr(value + 0.0)


def parse_value_text(text: str) -> float:
    """The number a stored value text holds; ``parse_value_text(value_text(x)) == float(x)``.

    Raises ValueError for text that is not a finite number (a log row written by
    something else than ``value_text``).
    """
    if not isinstance(text, str):
        raise ValueError(f"a regression value text must be str, got {type(text).__name__}")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"not a regression value: {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"not a finite regression value: {text!r}")
    return value
