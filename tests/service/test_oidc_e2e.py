"""Single sign-on against a local OIDC issuer on loopback (its discovery document and JWKS
served by the test), through a real uvicorn server: valid tokens admit their user, role and
site; forged, expired, wrong-audience, wrong-issuer, ``alg: none`` and key-confusion tokens are
refused; unknown key ids cannot make the service hammer the issuer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from lake.access import Caller
from lake.errors import ConfigError
from service.auth import Authenticator, Unauthenticated
from service.oidc import OidcSettings, OidcVerifier, TokenRejected
from tests.service.conftest import STATISTICIAN_KEY, AppFactory, audit_records, serving

pytestmark = pytest.mark.e2e
AUDIENCE = "hemalake"
QUERY = {"query": "{ modelVersion }"}


@dataclass
class Issuer:
    """A local identity provider: RSA and EC signing keys, a JWKS and discovery over HTTP."""

    url: str = ""
    rsa_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    ec_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    published: dict[str, Any] = field(default_factory=dict)
    fetches: int = 0

    def publish(self, kid: str, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> None:
        algorithm = jwt.algorithms.RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else None
        if algorithm is not None:
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        else:
            jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
        self.published[kid] = {**jwk, "kid": kid, "use": "sig"}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        base = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": "dr.jansen",
            "iat": now,
            "exp": now + 300,
            "hemalake_role": "statistician",
        }
        return {k: v for k, v in {**base, **overrides}.items() if v is not None}

    def token(self, kid: str = "rsa-1", algorithm: str = "RS256", **overrides: Any) -> str:
        key = self.rsa_key if algorithm.startswith("RS") else self.ec_key
        return jwt.encode(self.claims(**overrides), key, algorithm=algorithm, headers={"kid": kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    """A JWT built by hand: ``alg: none`` (no secret) or HS256 with ``secret`` as the HMAC key
    (what no well-behaved library will sign with a public key)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = b""
    if secret is not None:
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    state = Issuer()
    state.publish("rsa-1", state.rsa_key)
    state.publish("ec-1", state.ec_key)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                body: dict[str, Any] = {"issuer": state.url, "jwks_uri": f"{state.url}/jwks"}
            elif self.path == "/jwks":
                state.fetches += 1
                body = {"keys": list(state.published.values())}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def oidc_settings(issuer: Issuer, **overrides: Any) -> OidcSettings:
    return OidcSettings(
        issuer=issuer.url,
        audience=AUDIENCE,
        roles={"haematology-analysts": "analyst", "data-office": "data_manager"},
        **overrides,
    )


@pytest.fixture
def sso_server(issuer: Issuer, app_factory: AppFactory) -> Iterator[str]:
    with serving(app_factory(oidc=oidc_settings(issuer))) as url:
        yield url


def ask(url: str, token: str) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json=QUERY, headers={"authorization": f"Bearer {token}"})


def audited(audit_log: Path, count: int = 0) -> list[dict[str, Any]]:
    """The audit's records once ``count`` GraphQL records are written (the writer batches)."""
    return audit_records(audit_log, count, lambda r: r["action"].startswith("graphql"))


def test_a_valid_token_admits_its_user_and_role(
    sso_server: str, issuer: Issuer, tmp_path: Path
) -> None:
    for kid, algorithm in (("rsa-1", "RS256"), ("ec-1", "ES256")):
        response = ask(sso_server, issuer.token(kid, algorithm))
        assert response.status_code == 200, response.text
        assert "errors" not in response.json()
    graphql = [r for r in audited(tmp_path / "audit.jsonl", 2) if r["action"].startswith("graphql")]
    assert [(r["user"], r["role"]) for r in graphql] == [("dr.jansen", "statistician")] * 2
    # API keys still work beside single sign-on, for scripts
    headers = {"x-api-key": STATISTICIAN_KEY}
    by_key = httpx.post(f"{sso_server}/graphql", json=QUERY, headers=headers)
    assert by_key.status_code == 200


def _attacks(issuer: Issuer) -> dict[str, str]:
    now = int(time.time())
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = issuer.rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public_jwk = json.dumps(issuer.published["rsa-1"]).encode()
    claims = issuer.claims()
    return {
        "forged signature": jwt.encode(claims, other_key, "RS256", headers={"kid": "rsa-1"}),
        "tampered claims": ".".join(
            [
                (parts := issuer.token(hemalake_role="analyst").split("."))[0],
                _b64(json.dumps(issuer.claims(hemalake_role="admin")).encode()),
                parts[2],
            ]
        ),
        "expired": issuer.token(iat=now - 3600, exp=now - 600),
        "not yet valid": issuer.token(nbf=now + 600),
        "wrong audience": issuer.token(aud="another-service"),
        "no audience": issuer.token(aud=None),
        "wrong issuer": issuer.token(iss="https://evil.example"),
        "no expiry": issuer.token(exp=None),
        "alg none": unsigned({"alg": "none", "kid": "rsa-1"}, claims, None),
        "alg None": unsigned({"alg": "None", "typ": "JWT"}, claims, None),
        "key confusion (PEM)": unsigned({"alg": "HS256", "kid": "rsa-1"}, claims, public_pem),
        "key confusion (JWK)": unsigned({"alg": "HS256", "kid": "rsa-1"}, claims, public_jwk),
        "RS256 header on the EC key": jwt.encode(
            claims, issuer.rsa_key, "RS256", headers={"kid": "ec-1"}
        ),
        "no role": issuer.token(hemalake_role=None),
        "unknown role": issuer.token(hemalake_role="superuser"),
        "two roles": issuer.token(hemalake_role=["haematology-analysts", "admin"]),
        "not a JWT": "a.b.c",
    }


def test_hostile_tokens_are_refused(sso_server: str, issuer: Issuer, tmp_path: Path) -> None:
    for name, token in _attacks(issuer).items():
        response = ask(sso_server, token)
        assert response.status_code == 401, (name, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", name
    graphql = [r for r in audited(tmp_path / "audit.jsonl") if r["action"].startswith("graphql")]
    assert graphql == []  # nothing ran


def test_clock_skew_is_bounded_by_the_leeway(sso_server: str, issuer: Issuer) -> None:
    now = int(time.time())
    assert ask(sso_server, issuer.token(exp=now - 20)).status_code == 200  # within 60 s
    assert ask(sso_server, issuer.token(exp=now - 90)).status_code == 401
    assert ask(sso_server, issuer.token(iat=now + 30)).status_code == 200
    with pytest.raises(ConfigError, match="leeway_seconds"):
        oidc_settings(issuer, leeway_seconds=3600)


def test_role_and_site_come_from_the_configured_claims(issuer: Issuer) -> None:
    verifier = OidcVerifier(oidc_settings(issuer, role_claim="groups", site_claim="site"))
    verifier.refresh()
    token = issuer.token(groups=["staff", "data-office"], site="AMS", hemalake_role=None)
    assert verifier.caller(token) == Caller(user="dr.jansen", role="data_manager", site="AMS")
    mapped = issuer.token(groups="haematology-analysts", hemalake_role=None)
    assert verifier.caller(mapped) == Caller(user="dr.jansen", role="analyst")
    authenticator = Authenticator(api_keys={}, allow_anonymous=True, oidc=verifier)
    # a refused token is never downgraded to the anonymous demo caller
    with pytest.raises(Unauthenticated, match=r"(?i)audience"):
        authenticator.caller({"authorization": f"Bearer {issuer.token(aud='x')}"})


def test_symmetric_and_unsigned_algorithms_cannot_be_configured(issuer: Issuer) -> None:
    for algorithms in (("HS256",), ("none",), ("RS256", "HS512"), ()):
        with pytest.raises(ConfigError, match="algorithms"):
            oidc_settings(issuer, algorithms=algorithms)


def test_unknown_key_ids_fetch_the_jwks_at_most_once_per_interval(
    sso_server: str, issuer: Issuer
) -> None:
    started = issuer.fetches
    assert started == 1  # at startup
    for i in range(20):
        assert ask(sso_server, issuer.token(kid=f"made-up-{i}")).status_code == 401
    assert issuer.fetches - started <= 1


def test_a_rotated_key_is_fetched_when_a_token_names_it(
    issuer: Issuer, app_factory: AppFactory
) -> None:
    settings = oidc_settings(issuer, jwks_min_refresh_seconds=0)
    with serving(app_factory(oidc=settings)) as url:
        rotated = ec.generate_private_key(ec.SECP256R1())
        issuer.publish("ec-2", rotated)
        claims = issuer.claims()
        token = jwt.encode(claims, rotated, "ES256", headers={"kid": "ec-2"})
        assert ask(url, token).status_code == 200
        # the issuer withdraws a key: it stops working at the next fetch
        del issuer.published["rsa-1"]
        assert ask(url, issuer.token(kid="retired", algorithm="RS256")).status_code == 401
        assert ask(url, issuer.token("rsa-1")).status_code == 401


def test_discovery_must_name_the_configured_issuer(issuer: Issuer) -> None:
    """The same server reached by another name: its discovery document names another issuer,
    so no keys are taken from it (OIDC Discovery 1.0, section 4.3)."""
    other = issuer.url.replace("127.0.0.1", "localhost")
    verifier = OidcVerifier(OidcSettings(issuer=other, audience=AUDIENCE))
    with pytest.raises(TokenRejected, match=r"check oidc\.issuer"):
        verifier.refresh()
