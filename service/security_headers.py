"""Security headers on every response; the GraphiQL page's Content-Security-Policy.

Every response: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
``X-Frame-Options: DENY`` and, unless the response set its own, a CSP that allows nothing and no
framing (JSON and CSV need neither scripts nor frames). The GraphiQL page
(:data:`GRAPHIQL_CSP`) loads scripts, styles and fonts from this origin only (its script is a
vendored file, no inline script), talks only to this origin, and may not be framed by any site
(``frame-ancestors 'none'``: no clickjacking of a signed-in user).
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: GraphiQL styles elements inline (React ``style`` attributes): ``'unsafe-inline'`` for styles
#: only; scripts come from ``'self'`` alone.
GRAPHIQL_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
DEFAULT_CSP: Final = "default-src 'none'; frame-ancestors 'none'"
HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


class SecurityHeadersMiddleware:
    """Adds :data:`HEADERS` to every HTTP response, and :data:`DEFAULT_CSP` where the response
    has no ``Content-Security-Policy`` of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in HEADERS if n not in names]
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", DEFAULT_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
