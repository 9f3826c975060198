"""The JSON bodies of the errors the server answers that are not a RequestError.

Both request paths (the Flask routes' error handlers and /predict's own,
predict_first.py) build them here, so an error reads the same on every route.
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import HTTPException


def http_error(exc: HTTPException, max_body_bytes: int) -> tuple[int, dict[str, Any]]:
    """The status and body for one of werkzeug's HTTP errors (404, 405, 413...)."""
    status = exc.code or 500
    code = {413: "body_too_large"}.get(status, (exc.name or "error").lower().replace(" ", "_"))
    message = exc.description or exc.name or "error"
    if status == 413:
        message = f"request body is over the limit of {max_body_bytes} bytes"
    return status, {"error": {"code": code, "message": message}}


def unexpected_error(exc: Exception) -> tuple[int, dict[str, Any]]:
    """A failure of the server, named by its type only: its text may hold internals."""
    return 500, {"error": {"code": "internal_error", "message": f"{type(exc).__name__}"}}
