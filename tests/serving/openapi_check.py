"""Validate real requests and responses against the server's own /openapi.json."""

from __future__ import annotations

from typing import Any

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder, TestResponse


class ContractChecker:
    def __init__(self, document: dict[str, Any]) -> None:
        self._openapi = OpenAPI.from_dict(document)

    def check(
        self,
        response: TestResponse,
        *,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        request_valid: bool = True,
    ) -> None:
        """The response always matches the document; the request matches it when it should."""
        builder = EnvironBuilder(
            path=path,
            method=method,
            data=body,
            content_type=content_type,
            headers=list((headers or {}).items()),
            base_url="http://localhost",
        )
        request = WerkzeugOpenAPIRequest(builder.get_request())
        if request_valid:
            self._openapi.validate_request(request)
        self._openapi.validate_response(request, WerkzeugOpenAPIResponse(response))
