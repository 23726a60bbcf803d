"""Single sign-on: OIDC bearer tokens (JWTs) verified against the issuer's JWKS with PyJWT.

A token is accepted only when all of these hold (:meth:`OidcVerifier.caller`):

- its header names an asymmetric algorithm the settings allow (``RS256``/``ES256``... never
  ``none`` nor an HMAC algorithm: an HMAC "signed" with the issuer's *public* key, the key
  confusion attack, is refused before any key is used) and a ``kid`` of the issuer's JWKS whose
  key type fits that algorithm;
- the signature verifies with that key;
- ``iss`` is the configured issuer, ``aud`` contains the configured audience, ``exp`` is in the
  future and ``nbf``/``iat`` are not, each within ``leeway_seconds`` of clock skew (at most
  :data:`MAX_LEEWAY_SECONDS`);
- the role claim maps to exactly one hemalake role (``[oidc.roles]`` maps the identity
  provider's values, e.g. group names, to roles; a role's own name maps to itself).

The JWKS is fetched (with a timeout) at startup and again when a token names an unknown ``kid``
(key rotation), at most once per ``jwks_min_refresh_seconds``: tokens with made-up ``kid`` values
cannot make the service hammer the issuer. Fetches run in a worker thread
(:meth:`OidcVerifier.refresh_for`), never on the event loop.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

import jwt
from jwt.exceptions import PyJWKError, PyJWTError

from lake.access import ROLES, Caller, Role
from lake.errors import ConfigError

#: Algorithms a deployment may allow: asymmetric signatures only.
ASYMMETRIC_ALGORITHMS: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
MAX_LEEWAY_SECONDS: Final = 300
FETCH_TIMEOUT_SECONDS: Final = 5.0
MAX_JWKS_BYTES: Final = 1_000_000


class TokenRejected(Exception):  # noqa: N818 - an HTTP outcome, not a failure
    """The bearer token is not a valid identity token for this service (the reason says why)."""


@dataclass(frozen=True, slots=True)
class OidcSettings:
    """The ``[oidc]`` settings table."""

    issuer: str
    audience: str
    jwks_url: str | None = None  # default: the issuer's discovery document's ``jwks_uri``
    user_claim: str = "sub"
    role_claim: str = "hemalake_role"
    site_claim: str | None = "hemalake_site"
    roles: Mapping[str, Role] = field(default_factory=dict)
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    leeway_seconds: int = 60
    jwks_min_refresh_seconds: int = 60

    def __post_init__(self) -> None:
        if not self.issuer or not self.audience:
            raise ConfigError("oidc: issuer and audience are required")
        weak = sorted(set(self.algorithms) - ASYMMETRIC_ALGORITHMS)
        if weak or not self.algorithms:
            raise ConfigError(
                f"oidc.algorithms: {weak or 'none given'} not allowed; use asymmetric ones "
                f"({', '.join(sorted(ASYMMETRIC_ALGORITHMS))})"
            )
        if not 0 <= self.leeway_seconds <= MAX_LEEWAY_SECONDS:
            raise ConfigError(
                f"oidc.leeway_seconds must be between 0 and {MAX_LEEWAY_SECONDS} "
                f"(got {self.leeway_seconds})"
            )
        bad = sorted(v for v in self.roles.values() if v not in ROLES)
        if bad:
            raise ConfigError(f"oidc.roles: {bad} are not roles ({', '.join(ROLES)})")

    @property
    def urls(self) -> tuple[str, ...]:
        """The URLs the service fetches from (production requires HTTPS off loopback)."""
        return (self.issuer, self.jwks_url) if self.jwks_url else (self.issuer,)


def is_loopback_or_https(url: str) -> bool:
    """HTTPS, or plain HTTP to this machine only (a test issuer)."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (
        parts.scheme == "http" and parts.hostname in {"127.0.0.1", "::1", "localhost"}
    )


def _fetch_json(url: str) -> Any:
    if urlsplit(url).scheme not in {"http", "https"}:
        raise TokenRejected(f"cannot fetch {url!r}: not an http(s) URL")
    request = urllib.request.Request(url, headers={"accept": "application/json"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
        return json.loads(response.read(MAX_JWKS_BYTES))


class OidcVerifier:
    """Verifies bearer JWTs and maps their claims to a :class:`Caller`."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._keys: dict[str, jwt.PyJWK] = {}
        self._jwks_url = settings.jwks_url
        self._fetched_at = -float("inf")
        self._lock = threading.Lock()

    # -- keys ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Fetch the JWKS now (blocking: call from a worker thread or at startup)."""
        with self._lock:
            self._fetched_at = time.monotonic()
            if self._jwks_url is None:
                discovery_url = (
                    self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
                )
                discovery = _fetch_json(discovery_url)
                if discovery.get("issuer") != self.settings.issuer:  # OIDC Discovery 1.0, 4.3
                    raise TokenRejected(
                        f"{discovery_url} names issuer {discovery.get('issuer')!r}, "
                        f"not {self.settings.issuer!r}: check oidc.issuer"
                    )
                self._jwks_url = str(discovery["jwks_uri"])
            document = _fetch_json(self._jwks_url)
            keys: dict[str, jwt.PyJWK] = {}
            for entry in document.get("keys", []):
                if (
                    not isinstance(entry, dict)
                    or "kid" not in entry
                    or entry.get("use") == "enc"
                    or entry.get("kty") == "oct"  # symmetric: never a verification key here
                ):
                    continue
                try:
                    keys[str(entry["kid"])] = jwt.PyJWK(entry)
                except PyJWKError:
                    continue  # a key type this service cannot use (or a symmetric key)
            self._keys = keys

    def needs_refresh(self, token: str) -> bool:
        """Whether ``token`` names a key not held yet and a fetch is allowed now."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except PyJWTError:
            return False
        waited = time.monotonic() - self._fetched_at
        return (
            isinstance(kid, str)
            and kid not in self._keys
            and waited >= self.settings.jwks_min_refresh_seconds
        )

    def refresh_for(self, token: str) -> None:
        """Fetch the JWKS if ``token`` names an unknown key (rate-limited); fetch failures leave
        the keys held as they were (the token is then refused)."""
        if self.needs_refresh(token):
            with contextlib.suppress(OSError, ValueError, KeyError, TokenRejected):
                self.refresh()

    # -- tokens ----------------------------------------------------------------------------

    def _key(self, token: str) -> tuple[jwt.PyJWK, str]:
        try:
            header = jwt.get_unverified_header(token)
        except PyJWTError as error:
            raise TokenRejected(f"the bearer token is not a JWT ({error})") from error
        algorithm = header.get("alg")
        if algorithm not in self.settings.algorithms:
            raise TokenRejected(
                f"token algorithm {algorithm!r} is not accepted "
                f"(accepted: {', '.join(self.settings.algorithms)})"
            )
        key = self._keys.get(str(header.get("kid")))
        if key is None:
            raise TokenRejected("the token's signing key (kid) is not in the issuer's JWKS")
        if key.algorithm_name != algorithm and not (
            key.key_type == "RSA" and algorithm.startswith(("RS", "PS"))
        ):
            raise TokenRejected(f"the key {header.get('kid')!r} does not sign {algorithm}")
        return key, algorithm

    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims of ``token``; raises :class:`TokenRejected` with the reason."""
        key, algorithm = self._key(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[algorithm],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except PyJWTError as error:
            raise TokenRejected(f"the bearer token was refused: {error}") from error
        return claims

    def _role(self, value: object) -> Role:
        values = value if isinstance(value, list) else [value]
        mapping: Mapping[str, Role] = {**{r: r for r in ROLES}, **self.settings.roles}
        roles = {mapping[v] for v in values if isinstance(v, str) and v in mapping}
        if len(roles) != 1:
            found = "no hemalake role" if not roles else f"several roles {sorted(roles)}"
            raise TokenRejected(
                f"the token's {self.settings.role_claim!r} claim grants {found}; "
                "ask the identity provider's administrator for exactly one"
            )
        return roles.pop()

    def caller(self, token: str) -> Caller:
        """The caller a valid token names (user, role and site from the configured claims)."""
        claims = self.claims(token)
        user = claims.get(self.settings.user_claim)
        if not isinstance(user, str) or not user:
            raise TokenRejected(f"the token has no {self.settings.user_claim!r} claim")
        role = self._role(claims.get(self.settings.role_claim))
        site = claims.get(self.settings.site_claim) if self.settings.site_claim else None
        if site is not None and not isinstance(site, str):
            raise TokenRejected(f"the token's {self.settings.site_claim!r} claim is not a string")
        return Caller(user=user, role=role, site=site)
