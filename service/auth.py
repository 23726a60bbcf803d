"""Who is calling: API key (``Authorization: Bearer KEY`` or ``X-API-Key``) -> Caller.

Keys are looked up by SHA-256 digest (settings never hold keys in clear). Without a valid key the
caller is refused, unless anonymous access was enabled for the demo (then: an ``analyst``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from lake.access import Caller

ANONYMOUS = Caller(user="anonymous", role="analyst")


class Unauthenticated(Exception):  # noqa: N818 - an HTTP outcome, not a failure
    """No valid API key was given and anonymous access is off."""


class Authenticator:
    """Resolves request headers to a :class:`Caller`."""

    def __init__(self, *, api_keys: Mapping[str, Caller], allow_anonymous: bool) -> None:
        self._api_keys = dict(api_keys)
        self._allow_anonymous = allow_anonymous

    def caller(self, headers: Mapping[str, str]) -> Caller:
        """The caller for these headers; raises :class:`Unauthenticated` if none."""
        key = headers.get("x-api-key")
        authorization = headers.get("authorization", "")
        if key is None and authorization.lower().startswith("bearer "):
            key = authorization[7:].strip()
        if key:
            caller = self._api_keys.get(hashlib.sha256(key.encode()).hexdigest())
            if caller is not None:
                return caller
            raise Unauthenticated("the API key is not valid; ask an administrator for one")
        if self._allow_anonymous:
            return ANONYMOUS
        raise Unauthenticated(
            "no API key: send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'"
        )
