"""``POST /predict`` served by a plain WSGI callable in front of the Flask app.

Flask's per-request machinery (the request and app contexts, URL matching,
the Response object, the signals) costs about as much CPU as a prediction's own
validation, metrics and journal write together (docs/serving.md, "The request
path"). The busiest route therefore skips it: this callable answers
``POST /predict`` with the same PredictRoute the Flask route uses, the same
error bodies and the same status line and headers, and hands every other request
to Flask unchanged, ``/predict`` with another method included (405, OPTIONS).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException

from serving import json_answer
from serving.error_bodies import http_error, unexpected_error
from serving.predict_route import PredictRoute
from serving.validation import RequestError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

PATH = "/predict"


class PredictFirst:
    """``app`` with ``POST /predict`` answered by ``route``.

    ``before`` runs first, as the Flask app's ``before_request`` does for its routes.
    """

    def __init__(
        self,
        app: WSGIApplication,
        route: PredictRoute,
        *,
        before: Callable[[], None],
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self._route = route
        self._before = before
        self._max_body_bytes = max_body_bytes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        status, body = self._answer(environ)
        data = json_answer.encode(body)
        start_response(json_answer.status_line(status), json_answer.headers(data))
        return [data]

    def _answer(self, environ: WSGIEnvironment) -> tuple[int, Any]:
        try:
            self._before()
            return 200, self._route.answer(environ)
        except RequestError as exc:
            return exc.status, exc.body()
        except HTTPException as exc:
            return http_error(exc, self._max_body_bytes)
        except Exception as exc:
            log.exception("unexpected error answering POST %s", PATH)
            return unexpected_error(exc)
