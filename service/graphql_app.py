"""GraphQL over HTTP as the specification says, on Strawberry's ASGI view.

- ``POST`` (JSON body) and ``GET`` (query string) for queries; variables and operation names.
- Content negotiation: ``application/graphql-response+json`` when the client accepts it (or any
  type), ``application/json`` for legacy clients (or no ``Accept``); anything else is ``406``.
- Status codes for ``application/graphql-response+json``: ``200`` when execution started (the
  response has ``data``, even with field errors), ``400`` for request errors (parse, validation,
  limits: no ``data``), ``401`` without credentials. ``application/json`` answers ``200`` to every
  well-formed request, as the legacy convention requires.
- Browsers asking for HTML get GraphiQL, served from vendored assets with the study examples.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from lake.query import LakeGateway
from schema.context import Context
from service.auth import Authenticator, Unauthenticated
from service.examples import EXAMPLES

GRAPHQL_RESPONSE = "application/graphql-response+json"
LEGACY_JSON = "application/json"


def negotiate(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header, or ``None`` if none is acceptable."""
    if not accept:
        return LEGACY_JSON
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE in types or "*/*" in types or "application/*" in types:
        return GRAPHQL_RESPONSE
    if LEGACY_JSON in types:
        return LEGACY_JSON
    return None


def graphiql_page(static_prefix: str) -> str:
    """The GraphiQL page with the study examples as tabs."""
    template = files("service").joinpath("static/graphiql/index.html").read_text("utf-8")
    tabs = [{"query": e.query, "variables": e.variables} for e in EXAMPLES]
    examples = json.dumps(tabs).replace("</", "<\\/")  # safe inside <script>
    return template.replace("__STATIC__", static_prefix).replace("__EXAMPLES__", examples)


def _error_response(status: int, message: str, code: str, media_type: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status, media_type=media_type)


class HemalakeGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with hemalake's context, negotiation, status codes and IDE."""

    def __init__(self, *, authenticator: Authenticator, static_prefix: str, **kwargs: Any) -> None:
        super().__init__(graphql_ide=None, **kwargs)
        self._authenticator = authenticator
        self._ide_html = graphiql_page(static_prefix)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse unacceptable media types and missing credentials before executing."""
        if scope["type"] == "http":
            request = Request(scope, receive)
            media_type = negotiate(request.headers.get("accept"))
            wants_html = "text/html" in request.headers.get("accept", "")
            if request.method == "GET" and wants_html and "query" not in request.query_params:
                await HTMLResponse(self._ide_html)(scope, receive, send)
                return
            if media_type is None:
                response = _error_response(
                    406,
                    f"accept {GRAPHQL_RESPONSE} or {LEGACY_JSON}",
                    "NOT_ACCEPTABLE",
                    LEGACY_JSON,
                )
                await response(scope, receive, send)
                return
            try:
                await super().__call__(scope, receive, send)
            except Unauthenticated as error:
                media = media_type or LEGACY_JSON
                await _error_response(401, str(error), "UNAUTHENTICATED", media)(
                    scope, receive, send
                )
            return
        await super().__call__(scope, receive, send)

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        """Build the request context from the caller's credentials and the lifespan state."""
        gateway: LakeGateway = request.state.gateway
        return Context.for_request(
            caller=self._authenticator.caller(request.headers),
            gateway=gateway,
            audit=request.state.audit,
        )

    async def get_sub_response(self, request: Request) -> Response:  # type: ignore[override]
        """Carry the negotiated media type to :meth:`create_response`."""
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = negotiate(request.headers.get("accept")) or LEGACY_JSON
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Drop ``data`` for request errors (no error has a path: execution never started)."""
        processed = await super().process_result(request, result)
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            processed.pop("data", None)
        return processed

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        """Set the negotiated media type and the specification's status code."""
        response = super().create_response(response_data, sub_response)
        media_type = sub_response.media_type or LEGACY_JSON
        response.headers["content-type"] = media_type
        is_request_error = isinstance(response_data, dict) and "data" not in response_data
        if media_type == GRAPHQL_RESPONSE and is_request_error:
            response.status_code = 400
        return response
