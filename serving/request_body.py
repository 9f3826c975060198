"""The JSON body of a request, read from the WSGI environ as Flask's ``request`` reads it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.http import parse_options_header
from werkzeug.wsgi import get_input_stream

from serving.json_answer import JSON_MIMETYPE
from serving.validation import RequestError

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment


def json_body(environ: WSGIEnvironment, max_body_bytes: int) -> bytes:
    """The body's bytes; a RequestError (415) unless it is declared JSON, werkzeug's
    RequestEntityTooLarge (413) when it is over ``max_body_bytes``."""
    mimetype = parse_options_header(environ.get("CONTENT_TYPE", ""))[0].lower()
    if mimetype != JSON_MIMETYPE:
        raise RequestError(
            415,
            "unsupported_media_type",
            f"Content-Type must be {JSON_MIMETYPE}, got {mimetype or 'none'}",
        )
    # What Flask's request.get_data() reads: the length checked first, the stream bounded.
    return get_input_stream(environ, max_content_length=max_body_bytes).read()
