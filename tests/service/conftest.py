"""Service fixtures: the real app over a seeded in-memory lake or over the real demo lake
(Delta tables opened by :func:`lake.storage.open_lake`), in-process or on uvicorn."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from lake.access import Caller
from service.app import create_app
from service.demo import DEMO_PRIVACY
from service.settings import Settings
from tests.conftest import DemoLake
from tests.schema.demo_frames import FrameLake, FrameSource, demo_frames

ANALYST_KEY = "analyst-key"
STATISTICIAN_KEY = "statistician-key"
MANAGER_KEY = "manager-key"
ADMIN_KEY = "admin-key"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        lake_root=tmp_path / "lake",
        audit_log=tmp_path / "audit.jsonl",
        api_keys={
            digest(ANALYST_KEY): Caller(user="ana", role="analyst"),
            digest(STATISTICIAN_KEY): Caller(user="stat", role="statistician"),
            digest(MANAGER_KEY): Caller(user="dm", role="data_manager", site="AMS"),
            digest(ADMIN_KEY): Caller(user="root", role="admin"),
        },
    )


@pytest.fixture
def frame_lake() -> FrameLake:
    return FrameLake(FrameSource(demo_frames(200), version=1))


AppFactory = Callable[..., Starlette]


@pytest.fixture
def app_factory(settings: Settings, frame_lake: FrameLake) -> AppFactory:
    def make(**overrides: object) -> Starlette:
        chosen = dataclasses.replace(settings, **overrides)  # type: ignore[arg-type]
        return create_app(settings=chosen, open_snapshot=frame_lake.open)

    return make


class LifespanState:
    """Runs an app's lifespan and hands its state to every request, as a server does."""

    def __init__(self, app: Starlette, state: dict[str, object]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app({**scope, "state": dict(self.state)}, receive, send)


@contextlib.asynccontextmanager
async def asgi_client(
    app: Starlette, key: str = STATISTICIAN_KEY
) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of ``app`` (lifespan run), calling as the statistician (governed,
    exact) by default."""
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=LifespanState(app, dict(state)))  # type: ignore[arg-type]
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://hemalake.test",
            headers={"authorization": f"Bearer {key}"},
        ) as http:
            yield http


@pytest.fixture
async def client(app_factory: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app_factory()) as http:
        yield http


def ask(url: str, query: str, key: str = STATISTICIAN_KEY) -> dict[str, Any]:
    """POST one GraphQL document to a real server with an API key; the JSON body (status 200)."""
    response = httpx.post(
        f"{url}/graphql", json={"query": query}, headers={"x-api-key": key}, timeout=120
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def audit_records(
    path: Path,
    count: int,
    matching: Callable[[dict[str, Any]], bool] = lambda record: True,
    timeout: float = 20.0,
) -> list[dict[str, Any]]:
    """The audit's records once at least ``count`` of them are ``matching``: the audit writer
    thread batches them off the request path, so a test reading right after its requests may be
    ahead of it."""
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text() if path.exists() else ""
        records = [json.loads(line) for line in text.splitlines()]
        if sum(map(matching, records)) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """A real uvicorn server on 127.0.0.1 (random free port), in a thread; yields its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within 20 s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(app_factory: AppFactory) -> Iterator[str]:
    """The in-memory lake app on a real uvicorn server."""
    with serving(app_factory()) as url:
        yield url


def lake_settings(demo_lake: DemoLake, audit_log: Path) -> Settings:
    """Settings serving the demo lake through the default opener (``open_lake``)."""
    return Settings(
        lake_root=demo_lake.root,
        audit_log=audit_log,
        min_cell_size=5,
        privacy_ledger=audit_log.parent / "privacy.sqlite",
        privacy=DEMO_PRIVACY,
        api_keys={
            digest(ANALYST_KEY): Caller(user="ana", role="analyst"),
            digest(STATISTICIAN_KEY): Caller(user="stat", role="statistician"),
            digest(MANAGER_KEY): Caller(user="dm", role="data_manager", site="DE-MMRW"),
            digest(ADMIN_KEY): Caller(user="root", role="admin"),
        },
    )


@pytest.fixture
async def lake_client(demo_lake: DemoLake, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of the app serving the real demo lake (Delta on disk)."""
    app = create_app(settings=lake_settings(demo_lake, tmp_path / "audit.jsonl"))
    async with asgi_client(app) as http:
        yield http


@pytest.fixture(scope="session")
def lake_server(demo_lake: DemoLake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo lake served by a real uvicorn server, once per session."""
    audit_log = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    with serving(create_app(settings=lake_settings(demo_lake, audit_log))) as url:
        yield url
