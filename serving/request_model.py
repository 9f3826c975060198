"""The model that answers a request: the one loaded when the request reads it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from serving.request_metrics import SERVED_VERSION
from serving.runtime import ServingRuntime
from serving.served_model import ServedModel
from serving.validation import RequestError

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment


def model_for(environ: WSGIEnvironment, rt: ServingRuntime) -> ServedModel:
    """The served model, read once (a swap during the request does not affect it) and
    recorded in ``environ`` for the request metrics; a RequestError (503) when none is."""
    model = rt.model
    if model is None:
        raise RequestError(
            503,
            "model_not_loaded",
            f"no version of {rt.config.model_uri} is loaded yet: {rt.last_error}",
        )
    environ[SERVED_VERSION] = model.version
    return model
