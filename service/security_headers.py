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


#: What :func:`secured` adds to a response that set none of these headers (the usual case).
ALL_ADDED: Final = (*HEADERS, (b"content-security-policy", DEFAULT_CSP.encode()))
_ADDED_NAMES: Final = frozenset(name for name, _ in ALL_ADDED)


def secured(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` (raw, of one HTTP response) extended by :data:`HEADERS`, and
    :data:`DEFAULT_CSP` where the response has no ``Content-Security-Policy`` of its own
    (:class:`service.middleware.RequestMiddleware` calls it on every response)."""
    names = {name.lower() for name, _ in headers}
    if names.isdisjoint(_ADDED_NAMES):
        headers.extend(ALL_ADDED)
        return headers
    headers += [(n, v) for n, v in HEADERS if n not in names]
    if b"content-security-policy" not in names:
        headers.append((b"content-security-policy", DEFAULT_CSP.encode()))
    return headers
