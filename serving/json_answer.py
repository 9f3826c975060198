"""A JSON answer as every route sends it: the body's bytes, the status line and the headers.

The status line and headers are the ones a Flask ``Response(body, status,
mimetype="application/json")`` writes, so the answer of /predict's own request
path (predict_first.py) reads byte for byte as the Flask routes' answers do.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Final

from werkzeug.http import HTTP_STATUS_CODES

JSON_MIMETYPE: Final = "application/json"

# Built once: json.dumps with non-default options builds a new encoder per call.
_ENCODER: Final = json.JSONEncoder(separators=(",", ":"))


def encode(body: Any) -> bytes:
    return _ENCODER.encode(body).encode()


@cache
def status_line(code: int) -> str:
    """Werkzeug's status line for ``code``: ``415 UNSUPPORTED MEDIA TYPE``."""
    return f"{code} {HTTP_STATUS_CODES.get(code, 'unknown').upper()}"


def headers(data: bytes) -> list[tuple[str, str]]:
    return [("Content-Type", JSON_MIMETYPE), ("Content-Length", str(len(data)))]
