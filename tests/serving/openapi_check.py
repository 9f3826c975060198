"""Validate real requests and responses against the server's own /openapi.json."""

from __future__ import annotations

from typing import Any

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder, TestResponse

from driftline.outcomes import LABEL_OUTCOMES


def feedback_statuses(document: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The ``status`` values a 200 of ``POST /feedback`` lists: (single label, batch)."""
    answer = document["paths"]["/feedback"]["post"]["responses"]["200"]
    single, batch = answer["content"]["application/json"]["schema"]["oneOf"]
    result = batch["properties"]["results"]["items"]
    return single["properties"]["status"]["enum"], result["properties"]["status"]["enum"]


class ContractChecker:
    def __init__(self, document: dict[str, Any]) -> None:
        # The served document's label outcomes are driftline/outcomes.py's, in order.
        single, batch = feedback_statuses(document)
        assert tuple(batch) == LABEL_OUTCOMES, f"batch statuses {batch} != {LABEL_OUTCOMES}"
        assert set(single) < set(LABEL_OUTCOMES), f"single-label statuses {single}"
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
