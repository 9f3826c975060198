"""Which scenario each model of a stack runs, and where each model's labels go. Pure, no I/O.

One story at a time: the named scenario drives its own model (churn for the churn
scenarios, houses for the price ones); every other model of the stack gets its steady
scenario (traffic/scenarios.py STEADY_SCENARIOS), so a story in one model runs beside
steady traffic in the others. `driftline demo --models` and `driftline traffic --models`
both build their plan here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from traffic.scenarios import DATA_SET_TASKS, STEADY_SCENARIOS, Scenario, scenario

# The models a stack can run: one per synthetic data set, named after it.
MODELS: Final = tuple(DATA_SET_TASKS)


def parse_models(text: str) -> tuple[str, ...]:
    """``churn,houses`` -> ("churn", "houses"); ValueError naming what is wrong."""
    names = tuple(part.strip() for part in text.split(","))
    if not all(names):
        raise ValueError(f"--models {text!r}: empty model name (write e.g. churn,houses)")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ValueError(
            f"--models: unknown model {', '.join(map(repr, unknown))} "
            f"(choose from {', '.join(MODELS)})"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"--models {text!r} names a model twice")
    return names


def plan(models: Sequence[str], story: Scenario) -> dict[str, Scenario]:
    """Model -> its scenario: ``story`` for its own model, the steady one for the others.

    ``models`` empty: the story's model alone. The story's model must be among ``models``.
    """
    names = tuple(models) or (story.model_name,)
    if story.model_name not in names:
        raise ValueError(
            f"--scenario {story.name} drives the {story.model_name} model, which is not in "
            f"--models {','.join(names)}"
        )
    # A steady scenario is one endless phase: the story's steady length does not apply.
    return {
        name: story if name == story.model_name else scenario(STEADY_SCENARIOS[name], 0.0)
        for name in names
    }


def feedback_urls(models: Iterable[str], values: Sequence[str]) -> dict[str, str]:
    """Model -> the inference server its labels go to, from ``--feedback`` values.

    A value is ``MODEL=URL``, or a bare URL when the stack runs one model.
    """
    names = tuple(models)
    urls: dict[str, str] = {}
    bare = [v for v in values if not _is_pair(v)]
    for value in values:
        if _is_pair(value):
            model, url = value.split("=", 1)
            if model not in names:
                raise ValueError(f"--feedback {value}: {model} is not one of {', '.join(names)}")
            urls[model] = url
    if bare:
        if len(names) != 1 or len(bare) != 1:
            raise ValueError(
                "--feedback: a bare URL only serves a single model; "
                f"write MODEL=URL for each of {', '.join(names)}"
            )
        urls.setdefault(names[0], bare[0])
    missing = [n for n in names if n not in urls]
    if missing:
        raise ValueError(f"--feedback: no inference server for {', '.join(missing)} (MODEL=URL)")
    return urls


def _is_pair(value: str) -> bool:
    head = value.split("=", 1)[0]
    return "=" in value and "/" not in head and ":" not in head
