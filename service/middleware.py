"""Every HTTP request's request id, security headers, metrics and body limit, in one ASGI layer.

These four concerns were four middleware classes, each wrapping ``send`` (and one ``receive``)
in a closure of its own; a cached answer (:mod:`service.response_cache`) paid for the four layers
a fifth of its time. :class:`RequestMiddleware` does the same work in one call and one wrapped
``send``: the response headers, then ``X-Request-Id``, then the security headers
(:func:`service.security_headers.secured`), the status counted as the answer starts.
"""

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
from service.security_headers import secured

#: an id a client (or a proxy in front) may give; anything else is replaced by a fresh one
CLIENT_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")


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


class RequestMiddleware:
    """For every HTTP request, outermost first:

    - **request id**: the ``X-Request-Id`` it came with (the first), when well-formed, else a
      fresh one (128 random bits, 32 hex digits: unique, not secret, so drawn from ``random``, a
      fifth of the cost of ``uuid4`` and its system call); :data:`service.logs.REQUEST_ID` is
      set while it is served and the answer carries it;
    - **security headers** on the answer (:func:`service.security_headers.secured`);
    - **metrics**: the request counted by status code (``500`` when it fails before answering)
      and its latency added up (:class:`Metrics`);
    - **body limit**: ``413`` when the body (declared by ``Content-Length``, the last one, or as
      received) exceeds ``max_bytes`` (queries are small), audited in the lifespan's audit sink
      (``scope["state"]``) when there is one.
    """

    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = declared = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value if given is None else given
            elif name == b"content-length":
                declared = value
        raw_id = (
            given
            if given is not None and CLIENT_REQUEST_ID.fullmatch(given)
            else b"%032x" % getrandbits(128)
        )
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), (b"x-request-id", raw_id)]
                message = {**message, "headers": secured(headers)}
            await send(message)

        max_bytes = self.max_bytes
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise BodyTooLarge
            return message

        token = REQUEST_ID.set(raw_id.decode("ascii"))
        try:
            if declared is not None and int(declared) > max_bytes:
                await _too_large(scope, send_with_headers, max_bytes)
                return
            try:
                await self.app(scope, limited_receive, send_with_headers)
            except BodyTooLarge:
                await _too_large(scope, send_with_headers, max_bytes)
        finally:
            REQUEST_ID.reset(token)
            self.metrics.observe(status, time.perf_counter() - started)


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
