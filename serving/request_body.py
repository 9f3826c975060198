"""The JSON body of a request, read from the WSGI environ as Flask's ``request`` reads it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.wsgi import get_content_length, get_input_stream

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
    if "wsgi.input_terminated" not in environ:
        # What Flask's request.get_data() reads when the server does not end the stream.
        return get_input_stream(environ, max_content_length=max_body_bytes).read()
    length = get_content_length(environ)
    if length is not None and length > max_body_bytes:
        raise RequestEntityTooLarge()
    # The server ends the stream (gunicorn: a chunked body too). werkzeug's bounded stream
    # would stop at the limit without a word and hand on a cut body; one byte more tells a
    # body over the limit.
    body: bytes = environ["wsgi.input"].read(max_body_bytes + 1)
    if len(body) > max_body_bytes:
        raise RequestEntityTooLarge()
    return body
