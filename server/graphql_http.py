"""The GraphQL-over-HTTP media type: `application/graphql-response+json` answers with real status codes.

A client that lists that media type in `Accept` gets it back, and a request error (the document does
not parse or validate, the variables do not fit, nothing was executed) is HTTP 400 without `data`.
A client that accepts only `application/json` keeps the classic behaviour: 200 with `errors`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

GRAPHQL_RESPONSE = "application/graphql-response+json"


def accepts_graphql_response(request: Request) -> bool:
    """Whether `Accept` lists application/graphql-response+json (and not with q=0)."""
    for item in request.headers.get("accept", "").split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if media.lower() == GRAPHQL_RESPONSE:
            return not any(p.replace(" ", "") in {"q=0", "q=0.0", "q=0.00", "q=0.000"} for p in params)
    return False


def is_request_error(result: ExecutionResult) -> bool:
    """Nothing was executed: no data and no error that belongs to a field (field errors carry a path)."""
    return result.data is None and bool(result.errors) and all(e.path is None for e in result.errors or [])


class GraphQLResponseMedia:
    """Mixin for the Strawberry view (before `GraphQL` in the bases)."""

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        processed: GraphQLHTTPResponse = await super().process_result(request, result)  # type: ignore[misc]
        if isinstance(request, Request) and accepts_graphql_response(request) and is_request_error(result):
            request.state.graphql_request_error = True
            processed.pop("data", None)  # the spec: a request error has no `data` entry
        return processed

    async def run(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = await super().run(request, *args, **kwargs)  # type: ignore[misc]
        if (
            isinstance(request, Request)
            and isinstance(response, Response)
            and response.media_type == "application/json"
            and accepts_graphql_response(request)
        ):
            response.headers["content-type"] = GRAPHQL_RESPONSE
            if getattr(request.state, "graphql_request_error", False) and response.status_code == 200:
                response.status_code = 400  # a status set for another reason (503 UNAVAILABLE) stands
        return response
