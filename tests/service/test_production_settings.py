"""Production mode's refusals, the settings from the environment, and the switches a deployment
sets: GraphiQL, introspection, /metrics roles, security headers, CORS; the front door."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest

from lake.errors import ConfigError
from service.app import create_app
from service.oidc import OidcSettings
from service.production import DEVELOPMENT_KEYS
from service.settings import Settings, settings_from_mapping
from service.settings_env import ENVIRONMENT, SETTINGS_FILE_VARIABLE, settings_from_environment
from tests.service import conftest
from tests.service.conftest import ADMIN_KEY, ANALYST_KEY, AppFactory, asgi_client, digest

pytestmark = pytest.mark.anyio
DOCS = Path(__file__).parents[2] / "docs" / "deployment.md"
STRONG = digest("a-long-random-production-key")


def production(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "lake_root": tmp_path / "lake",
        "production": True,
        "audit_log": tmp_path / "audit.jsonl",
        "api_keys": {STRONG: {"user": "etl", "role": "analyst"}},
        **overrides,
    }
    return settings_from_mapping(values)


def test_production_mode_starts_with_safe_settings(tmp_path: Path) -> None:
    settings = production(tmp_path)
    assert (settings.graphiql_enabled, settings.introspection_enabled) == (False, False)
    explicit = production(tmp_path, graphiql=True, introspection=True)
    assert (explicit.graphiql_enabled, explicit.introspection_enabled) == (True, True)
    development = settings_from_mapping({"lake_root": "x"})
    assert (development.graphiql_enabled, development.introspection_enabled) == (True, True)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"allow_anonymous": True}, "allow_anonymous is on"),
        ({"api_keys": {}}, "no [oidc] issuer and no API keys"),
        ({"api_keys": {digest("analyst-key"): {"user": "a", "role": "analyst"}}}, "development"),
        ({"audit_log": None}, "no audit_log"),
        ({"lake_root": ".demo/lake"}, "demo lake"),
        ({"cors_origins": ["*"]}, "cors_origins has '*'"),
        (
            {"oidc": {"issuer": "http://login.hospital.example", "audience": "hemalake"}},
            "not HTTPS",
        ),
    ],
)
def test_production_mode_refuses_unsafe_settings(
    tmp_path: Path, overrides: dict[str, object], reason: str
) -> None:
    values = {k: v for k, v in overrides.items() if v is not None}
    dropped = [k for k, v in overrides.items() if v is None]
    settings: dict[str, object] = {
        "lake_root": str(tmp_path / "lake"),
        "production": True,
        "audit_log": str(tmp_path / "audit.jsonl"),
        "api_keys": {STRONG: {"user": "etl", "role": "analyst"}},
        **values,
    }
    for key in dropped:
        del settings[key]
    with pytest.raises(ConfigError, match="production mode refuses to start") as refused:
        settings_from_mapping(settings)
    assert reason in str(refused.value)
    # the same settings start outside production mode (the demo, a laptop)
    settings_from_mapping({**settings, "production": False})


def test_an_issuer_alone_is_enough_credentials(tmp_path: Path) -> None:
    oidc = {"issuer": "https://login.hospital.example", "audience": "hemalake"}
    settings = production(tmp_path, api_keys={}, oidc=oidc)
    assert settings.oidc == OidcSettings(issuer=oidc["issuer"], audience="hemalake")


def test_development_keys_are_the_ones_printed_in_the_repository() -> None:
    printed = {v for k, v in vars(conftest).items() if k.endswith("_KEY")}
    assert printed <= set(DEVELOPMENT_KEYS)


def test_settings_come_from_a_file_and_the_environment(tmp_path: Path) -> None:
    file = tmp_path / "hemalake.toml"
    file.write_text(
        'lake_root = "from-file"\nmin_cell_size = 7\n'
        f'[api_keys.{STRONG}]\nuser = "etl"\nrole = "analyst"\n'
    )
    settings = settings_from_environment(
        {
            SETTINGS_FILE_VARIABLE: str(file),
            "HEMALAKE_LAKE_ROOT": "/data/lake",
            "HEMALAKE_PRODUCTION": "true",
            "HEMALAKE_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
            "HEMALAKE_METRICS_ROLES": "admin, statistician",
            "HEMALAKE_OIDC_ISSUER": "https://login.hospital.example",
            "HEMALAKE_OIDC_AUDIENCE": "hemalake",
            "UNRELATED": "ignored",
        }
    )
    assert settings.lake_root == Path("/data/lake")  # the variable wins over the file
    assert settings.min_cell_size == 7
    assert settings.production
    assert settings.metrics_roles == ("admin", "statistician")
    assert settings.oidc is not None
    assert settings.oidc.issuer == "https://login.hospital.example"
    assert set(settings.api_keys) == {STRONG}
    with pytest.raises(ConfigError, match="HEMALAKE_PRODUCTION='maybe'"):
        settings_from_environment({"HEMALAKE_LAKE_ROOT": "x", "HEMALAKE_PRODUCTION": "maybe"})
    with pytest.raises(ConfigError, match="metrics_roles"):
        settings_from_environment({"HEMALAKE_LAKE_ROOT": "x", "HEMALAKE_METRICS_ROLES": "root"})


def test_every_variable_is_documented_in_one_table() -> None:
    table = [line for line in DOCS.read_text().splitlines() if line.startswith("| `HEMALAKE_")]
    documented = {line.split("`")[1] for line in table}
    serve_only = {SETTINGS_FILE_VARIABLE, "HEMALAKE_HOST", "HEMALAKE_PORT"}
    assert documented == set(ENVIRONMENT) | serve_only


async def test_graphiql_and_introspection_switches(app_factory: AppFactory) -> None:
    introspect = {"query": "{ __schema { queryType { name } } }"}
    html = {"accept": "text/html"}
    async with asgi_client(app_factory()) as http:
        assert (await http.get("/graphql", headers=html)).status_code == 200
        assert "errors" not in (await http.post("/graphql", json=introspect)).json()
    async with asgi_client(app_factory(graphiql=False, introspection=False)) as http:
        page = await http.get("/graphql", headers=html)
        assert page.status_code == 404
        assert page.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        refused = (await http.post("/graphql", json=introspect)).json()
        assert "introspection" in refused["errors"][0]["message"].lower()
        typename = {"query": "{ __typename modelVersion }"}
        assert "errors" not in (await http.post("/graphql", json=typename)).json()


async def test_metrics_are_for_their_roles_only(app_factory: AppFactory) -> None:
    async with asgi_client(app_factory(), key=ADMIN_KEY) as http:
        assert (await http.get("/metrics")).status_code == 200
        analyst = await http.get("/metrics", headers={"authorization": f"Bearer {ANALYST_KEY}"})
        assert analyst.status_code == 403
        assert analyst.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        nobody = await http.get("/metrics", headers={"authorization": ""})
        assert nobody.status_code == 401
    async with asgi_client(app_factory(allow_anonymous=True)) as http:
        assert (await http.get("/metrics", headers={"authorization": ""})).status_code == 403


async def test_security_headers(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self';" in csp  # no inline script, no eval
    assert "<script>" not in page.text  # only src= scripts and the JSON data block
    for response in (page, await client.post("/graphql", json={"query": "{ modelVersion }"})):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
    api = await client.get("/readyz")
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


async def test_cors_is_off_by_default_and_names_its_origins(app_factory: AppFactory) -> None:
    preflight = {
        "origin": "https://dashboard.hospital.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }
    async with asgi_client(app_factory()) as http:
        answer = await http.options("/graphql", headers=preflight)
        assert "access-control-allow-origin" not in answer.headers
    allowed = app_factory(cors_origins=("https://dashboard.hospital.example",))
    async with asgi_client(allowed) as http:
        answer = await http.options("/graphql", headers=preflight)
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == preflight["origin"]
        other = await http.options(
            "/graphql", headers={**preflight, "origin": "https://evil.example"}
        )
        assert other.status_code == 400
        assert "access-control-allow-origin" not in other.headers
        post = await http.post(
            "/graphql", json={"query": "{ modelVersion }"}, headers={"origin": preflight["origin"]}
        )
        assert post.headers["access-control-allow-origin"] == preflight["origin"]


async def test_front_door_liveness_and_readiness(client: httpx.AsyncClient, tmp_path: Path) -> None:
    browser = await client.get("/", headers={"accept": "text/html"})
    assert (browser.status_code, browser.headers["location"]) == (303, "/graphql")
    index = await client.get("/")
    assert index.status_code == 200
    assert "/graphql" in index.json()["routes"]["graphql"]
    assert (await client.get("/livez")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ok", "lake_version": 1}
    # the lake mount is missing: alive, not ready
    absent = settings_from_mapping({"lake_root": str(tmp_path / "absent")})
    missing = create_app(settings=dataclasses.replace(absent, audit_log=tmp_path / "audit.jsonl"))
    async with asgi_client(missing) as http:
        assert (await http.get("/livez")).status_code == 200
        assert (await http.get("/readyz")).status_code == 503
