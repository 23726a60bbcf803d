"""Who is calling: an API key or an OIDC bearer token -> Caller.

- API keys (``Authorization: Bearer KEY`` or ``X-API-Key: KEY``), for scripts: looked up by
  SHA-256 digest (settings never hold keys in clear).
- OIDC identity tokens (``Authorization: Bearer JWT``), for single sign-on, when an ``[oidc]``
  issuer is configured: verified by :class:`service.oidc.OidcVerifier`.

Without valid credentials the caller is refused, unless anonymous access was enabled for the
demo (then: an ``analyst``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from anyio import to_thread

from lake.access import Caller
from service.oidc import OidcVerifier, TokenRejected

ANONYMOUS = Caller(user="anonymous", role="analyst")


class Unauthenticated(Exception):  # noqa: N818 - an HTTP outcome, not a failure
    """No valid API key or token was given and anonymous access is off."""


def _looks_like_jwt(credential: str) -> bool:
    return credential.count(".") == 2


class Authenticator:
    """Resolves request headers to a :class:`Caller`."""

    def __init__(
        self,
        *,
        api_keys: Mapping[str, Caller],
        allow_anonymous: bool,
        oidc: OidcVerifier | None = None,
    ) -> None:
        self._api_keys = dict(api_keys)
        self._allow_anonymous = allow_anonymous
        self.oidc = oidc

    @staticmethod
    def _credential(headers: Mapping[str, str]) -> str | None:
        key = headers.get("x-api-key")
        authorization = headers.get("authorization", "")
        if key is None and authorization.lower().startswith("bearer "):
            key = authorization[7:].strip()
        return key or None

    async def authenticate(self, headers: Mapping[str, str]) -> Caller:
        """:meth:`caller`, after fetching the issuer's keys in a worker thread when a token
        names a key not held yet (key rotation; rate-limited by the verifier)."""
        credential = self._credential(headers)
        oidc = self.oidc
        if (
            oidc is not None
            and credential
            and _looks_like_jwt(credential)
            and oidc.needs_refresh(credential)
        ):
            await to_thread.run_sync(oidc.refresh_for, credential)
        return self.caller(headers)

    def caller(self, headers: Mapping[str, str]) -> Caller:
        """The caller for these headers; raises :class:`Unauthenticated` if none (never fetches
        keys: see :meth:`authenticate`)."""
        credential = self._credential(headers)
        if credential:
            caller = self._api_keys.get(hashlib.sha256(credential.encode()).hexdigest())
            if caller is not None:
                return caller
            if self.oidc is not None and _looks_like_jwt(credential):
                try:
                    return self.oidc.caller(credential)
                except TokenRejected as error:
                    raise Unauthenticated(str(error)) from error
            raise Unauthenticated("the API key is not valid; ask an administrator for one")
        if self._allow_anonymous:
            return ANONYMOUS
        raise Unauthenticated(
            "no credentials: send an API key as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'"
            + (", or a single sign-on token as 'Authorization: Bearer TOKEN'" if self.oidc else "")
        )
