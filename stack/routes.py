"""DRIFTLINE_ROUTES, the PHP router's configuration, rendered from a stack's model list.

The contract (php/README.md, docs/): a JSON object mapping each model name to the
variant spec string DRIFTLINE_VARIANTS always had, ``NAME=URL:WEIGHT`` comma-separated;
``POST /predict/{model}`` picks among that model's variants, ``POST /predict`` among
DRIFTLINE_MODEL_NAME's. Pure, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping


def variant_spec(champion_url: str, challenger_url: str, champion_weight: int) -> str:
    """``champion=URL:95,challenger=URL:5``: the champion's share of a model's traffic."""
    if not 0 <= champion_weight <= 100:
        raise ValueError(f"champion weight {champion_weight} is not a percentage")
    return (
        f"champion={champion_url}:{champion_weight},"
        f"challenger={challenger_url}:{100 - champion_weight}"
    )


def routes_json(servers: Mapping[str, tuple[str, str]], champion_weight: int) -> str:
    """DRIFTLINE_ROUTES for ``servers`` (model -> (champion URL, challenger URL))."""
    return json.dumps(
        {
            model: variant_spec(champion, challenger, champion_weight)
            for model, (champion, challenger) in servers.items()
        },
        separators=(",", ":"),
    )
