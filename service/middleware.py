"""One small ASGI class per concern: request ids, request metrics and request body size."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from random import getrandbits

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.audit import JsonLinesAuditSink
from service.logs import REQUEST_ID

#: an id a client (or a proxy in front) may give; anything else is replaced by a fresh one
CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdMiddleware:
    """Names every HTTP request: the ``X-Request-Id`` it came with, when well-formed, else a
    fresh one (128 random bits, 32 hex digits: unique, not secret, so drawn from ``random``, a
    fifth of the cost of ``uuid4`` and its system call); sets :data:`service.logs.REQUEST_ID`
    while it is served and answers with it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        request_id = given if CLIENT_REQUEST_ID.fullmatch(given) else f"{getrandbits(128):032x}"

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)


class Metrics:
    """Request counters and latency totals, read by the ``/metrics`` route."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_status: Counter[int] = Counter()
        self.seconds_total = 0.0

    def observe(self, status: int, seconds: float) -> None:
        """Count one finished request."""
        with self._lock:
            self.by_status[status] += 1
            self.seconds_total += seconds


class MetricsMiddleware:
    """Counts every HTTP request by status code and adds up its latency."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            self.metrics.observe(status, time.perf_counter() - started)


class BodySizeLimitMiddleware:
    """Answers ``413`` when a request body exceeds ``max_bytes`` (queries are small), audited.

    The refusal is written to the lifespan's audit sink (``scope["state"]``) when there is one.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and int(declared) > self.max_bytes:
            await _too_large(scope, send, self.max_bytes)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await _too_large(scope, send, self.max_bytes)


class BodyTooLarge(Exception):  # noqa: N818 - control flow inside the middleware only
    """Raised by the wrapped ``receive`` when the body grows past the limit."""


async def _too_large(scope: Scope, send: Send, max_bytes: int) -> None:
    state = scope.get("state") or {}
    audit: JsonLinesAuditSink | None = state.get("audit")
    if audit is not None:
        audit.refusal(
            method=scope["method"],
            path=scope["path"],
            status=413,
            code="PAYLOAD_TOO_LARGE",
            headers=Headers(scope=scope),
            authenticator=state["authenticator"],
        )
    body = (
        f'{{"errors":[{{"message":"request body exceeds {max_bytes} bytes",'
        '"extensions":{"code":"PAYLOAD_TOO_LARGE"}}]}'
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
