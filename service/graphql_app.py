"""GraphQL over HTTP as the specification says, on Strawberry's ASGI view.

- ``POST`` (JSON body) and ``GET`` (query string) for queries; variables and operation names.
- Content negotiation (:mod:`service.negotiation`): the acceptable type of highest ``q``,
  ``application/json`` without ``Accept`` or for ``*/*`` alone; neither acceptable is ``406``.
- Status codes for ``application/graphql-response+json``: ``200`` when execution started (the
  response has ``data``, even with field errors), ``400`` for request errors (parse, validation,
  limits: no ``data``), ``401`` without credentials. ``application/json`` answers ``200`` to every
  well-formed request, as the legacy convention requires.
- Requests that are not well-formed (no query, ``variables`` or body that is not a JSON object,
  not UTF-8, nested too deeply, with a lone surrogate or a number too long:
  :mod:`service.request_json`) answer ``400`` with a GraphQL error body (``errors`` with
  ``extensions.code``) in the negotiated media type, never plain text; so do 401, 405 and 406.
- Refusals before any query runs (401, 406, an unknown persisted query; 413 in
  :mod:`service.middleware`) are audited.
- Browsers asking for HTML get GraphiQL (when the ``graphiql`` setting is on), served from
  vendored assets with the study examples, under a strict CSP
  (:data:`service.security_headers.GRAPHIQL_CSP`).
- Automatic persisted queries (:mod:`service.persisted`): a hash instead of the query text; an
  unknown hash is answered ``PERSISTED_QUERY_NOT_FOUND`` (a request error: ``200`` in
  ``application/json``, ``400`` in ``application/graphql-response+json``) and audited.
- Responses are encoded by orjson (compact UTF-8 JSON).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib.resources import files
from typing import Any, Final

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.types import ExecutionResult

from lake.access import Caller
from lake.query.gateway import LakeGateway
from schema.context import Context
from service.audit import CAPTURED, JsonLinesAuditSink
from service.auth import Authenticator, Unauthenticated
from service.examples import EXAMPLES
from service.negotiation import GRAPHQL_RESPONSE, LEGACY_JSON, negotiate
from service.persisted import (
    NOT_FOUND_CODE,
    NOT_FOUND_MESSAGE,
    PersistedQueries,
    PersistedQueryNotFoundError,
    persisted_hash_of,
)
from service.request_json import MalformedJSON, decode_request_json
from service.response_cache import (
    CAPTURE,
    Capture,
    ResponseCache,
    ResponseKey,
    send_cached,
)
from service.security_headers import GRAPHIQL_CSP


def graphiql_page(static_prefix: str) -> str:
    """The GraphiQL page with the study examples as tabs."""
    template = files("service").joinpath("static/graphiql/index.html").read_text("utf-8")
    tabs = [{"query": e.query, "variables": e.variables} for e in EXAMPLES]
    examples = json.dumps(tabs).replace("</", "<\\/")  # safe inside <script>
    return template.replace("__STATIC__", static_prefix).replace("__EXAMPLES__", examples)


def masked(error: GraphQLError) -> GraphQLError:
    """What a client sees of an error that has no code (:meth:`HemalakeGraphQL.process_result`)."""
    return GraphQLError(
        "Unexpected error.", path=error.path, extensions={"code": "INTERNAL_SERVER_ERROR"}
    )


#: ``extensions.code`` of the HTTP-level refusals Strawberry raises.
HTTP_ERROR_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


async def execute_as(
    request: Request, caller: Caller, params: Mapping[str, str], variables: dict[str, Any]
) -> tuple[ExecutionResult, Context]:
    """Run the GraphQL document of a GET route's ``params`` (``query``, ``operationName``) as
    ``caller``, through the app's schema, gateway and audit (``/export.*`` and ``/plot.*``);
    the result and the request's context (what the resolvers kept, e.g. figures)."""
    context = Context.for_request(
        caller=caller, gateway=request.state.gateway, audit=request.state.audit
    )
    result = await request.state.schema.execute(
        params["query"],
        variable_values=variables,
        context_value=context,
        operation_name=params.get("operationName"),
    )
    return result, context


def error_response(status: int, message: str, code: str, media_type: str = LEGACY_JSON) -> Response:
    """A GraphQL error body (one error, with its ``code``) at HTTP ``status``."""
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status, media_type=media_type)


def audit_refusal(request: Request, *, status: int, code: str) -> None:
    """Audit a request refused before it ran (the lifespan state holds the sink)."""
    audit: JsonLinesAuditSink = request.state.audit
    audit.refusal(
        method=request.method,
        path=request.url.path,
        status=status,
        code=code,
        headers=request.headers,
        authenticator=request.state.authenticator,
    )


#: The raw names of the headers carrying credentials, and the names :class:`Authenticator` reads.
CREDENTIAL_HEADERS: Final = ((b"x-api-key", "x-api-key"), (b"authorization", "authorization"))


def first_headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by raw (lower-case) name, the first of each name, as Starlette's
    ``Headers.get`` reads them."""
    return dict(reversed(scope["headers"]))


async def read_body(receive: Receive) -> bytes:
    """The whole request body (Starlette's ``Request.body``, without its stream machinery)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` (already read) first, then what ``receive`` gives."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class HemalakeGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with hemalake's context, negotiation, status codes and IDE."""

    def __init__(
        self,
        *,
        authenticator: Authenticator,
        static_prefix: str,
        persisted: PersistedQueries | None = None,
        graphiql: bool = True,
        responses: ResponseCache | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(graphql_ide=None, **kwargs)
        self._authenticator = authenticator
        self._responses = responses
        self._persisted = PersistedQueries() if persisted is None else persisted
        self._ide_html = graphiql_page(static_prefix) if graphiql else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse unacceptable media types, missing credentials and malformed requests with
        GraphQL error bodies (Strawberry would answer plain text)."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        headers = first_headers(scope)
        accept = headers.get(b"accept", b"").decode("latin-1")
        media_type = negotiate(accept)
        method = scope["method"]
        if method == "GET" and "text/html" in accept and "query" not in request.query_params:
            page: Response
            if self._ide_html is not None:
                page = HTMLResponse(
                    self._ide_html, headers={"content-security-policy": GRAPHIQL_CSP}
                )
            else:
                page = error_response(404, "GraphiQL is switched off here", "NOT_FOUND")
            await page(scope, receive, send)
            return
        if media_type is None:
            audit_refusal(request, status=406, code="NOT_ACCEPTABLE")
            message = f"accept {GRAPHQL_RESPONSE} or {LEGACY_JSON}"
            await error_response(406, message, "NOT_ACCEPTABLE")(scope, receive, send)
            return
        capture = None
        if self._responses is not None and method in ("GET", "POST"):
            key, body = await self._key(self._responses, scope, headers, receive)
            entry = (
                None
                if key is None
                else self._responses.find(key, registered=self._persisted.registered)
            )
            if entry is not None:
                audit: JsonLinesAuditSink = scope["state"]["audit"]
                audit.record_again(entry.audit)
                await send_cached(entry, send)
                return
            capture = None if key is None else Capture(key=key)
            if body is not None:  # read here: Strawberry reads it again
                request = Request(scope, replaying(body, receive))
        response = await self._answer(request, media_type, capture)
        body = getattr(response, "body", None)  # a streamed answer has none: never kept
        if capture is not None and self._responses is not None and isinstance(body, bytes):
            self._responses.keep(
                capture,
                status=response.status_code,
                headers=response.raw_headers,
                body=body,
                audit=JsonLinesAuditSink.template,
            )
        await response(scope, receive, send)

    async def _answer(self, request: Request, media_type: str, capture: Capture | None) -> Response:
        """Strawberry's answer, or the coded refusal; what it learns goes to ``capture``."""
        capturing = CAPTURE.set(capture)
        auditing = CAPTURED.set(None if capture is None else capture.audit)
        try:
            response = await self.run(request)
        except Unauthenticated as error:
            audit_refusal(request, status=401, code="UNAUTHENTICATED")
            response = error_response(401, str(error), "UNAUTHENTICATED", media_type)
        except PersistedQueryNotFoundError:
            status = 400 if media_type == GRAPHQL_RESPONSE else 200
            audit_refusal(request, status=status, code=NOT_FOUND_CODE)
            response = error_response(status, NOT_FOUND_MESSAGE, NOT_FOUND_CODE, media_type)
        except HTTPException as error:
            code = HTTP_ERROR_CODES.get(error.status_code, "BAD_REQUEST")
            response = error_response(error.status_code, error.reason, code, media_type)
        finally:
            CAPTURED.reset(auditing)
            CAPTURE.reset(capturing)
        return response

    async def _key(
        self,
        responses: ResponseCache,
        scope: Scope,
        headers: Mapping[bytes, bytes],
        receive: Receive,
    ) -> tuple[ResponseKey | None, bytes | None]:
        """The response-cache key of a request, and its body when read for it.

        No key (the request is answered as before, nothing kept) when the lake has no version
        yet, the caller is not authenticated (the view refuses it) or not governed (their
        answers carry their privacy receipt: :mod:`service.response_cache`). Headers are read
        from the raw list once (Starlette's ``Headers`` scans it per lookup: a quarter of a
        cached answer's time).
        """
        version = responses.newest()
        if version is None:
            return None, None
        credentials = {
            name: headers[raw].decode("latin-1")
            for raw, name in CREDENTIAL_HEADERS
            if raw in headers
        }
        try:
            caller = await self._authenticator.authenticate(credentials)
        except Unauthenticated:
            return None, None
        if caller.access != "governed":
            return None, None
        body = await read_body(receive) if scope["method"] == "POST" else None
        key: ResponseKey = (
            scope["method"],
            scope["query_string"],
            headers.get(b"content-type", b"").decode("latin-1"),
            headers.get(b"accept", b"").decode("latin-1"),
            body or b"",
            caller,
            version,
        )
        return key, body

    def encode_json(self, data: object) -> bytes:
        """The response body, by orjson."""
        return orjson.dumps(data)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """Strawberry's rule (a GET without ``query``), except for a persisted query's GET,
        which has ``extensions`` instead."""
        return super().should_render_graphql_ide(request) and (
            "extensions" not in request.query_params
        )

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The request's operation(s), a persisted query's hash replaced by its registered
        text (:class:`service.persisted.PersistedQueries`)."""
        data = await super().parse_http_body(request)
        capture = CAPTURE.get()
        if capture is not None and not isinstance(data, list) and data.query is None:
            capture.persisted_hash = persisted_hash_of(data)
        if isinstance(data, list):
            return [self._persisted.resolve(item) for item in data]
        return self._persisted.resolve(data)

    def parse_json(self, data: str | bytes) -> dict[str, object] | list[object]:
        """The request's JSON (body, ``variables``, ``extensions``), decoded strictly: anything
        :func:`decode_request_json` refuses is ``400``."""
        try:
            return decode_request_json(data)
        except MalformedJSON as error:
            raise HTTPException(400, str(error)) from error

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        """Build the request context from the caller's credentials and the lifespan state."""
        gateway: LakeGateway = request.state.gateway
        capture = CAPTURE.get()
        context = Context.for_request(
            caller=await self._authenticator.authenticate(request.headers)
            if capture is None
            else capture.caller,
            gateway=gateway,
            audit=request.state.audit,
        )
        if capture is not None:
            capture.context = context
        return context

    async def get_sub_response(self, request: Request) -> Response:  # type: ignore[override]
        """Carry the negotiated media type to :meth:`create_response`."""
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = negotiate(request.headers.get("accept")) or LEGACY_JSON
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Drop ``data`` for request errors (no error has a path: execution never started), and
        mask an error without a code: one raised where Strawberry's error masking does not run
        (an exception inside validation) would otherwise reach the client as it is."""
        if result.errors:
            result.errors = [
                error if (error.extensions or {}).get("code") else masked(error)
                for error in result.errors
            ]
        capture = CAPTURE.get()
        if capture is not None:
            capture.saw(has_errors=bool(result.errors), has_data=result.data is not None)
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
