"""The container image without Docker: the Dockerfile's build steps, environment, CMD and
HEALTHCHECK, read from the Dockerfile itself and run here.

The builder's project install (its last ``uv sync``) runs into a temporary venv from a copy of
exactly what the builder COPYs; that copy is then deleted, since the final stage does not have it
(an editable install would point at it and fail to import). The final stage's ENV is applied with
its paths mapped: ``/opt/venv`` to that venv, the state volume and the lake mount to temporary
directories (the demo lake for the lake), the port to a free one and the host to loopback.
Differences from a real build, for speed: uv links from its cache instead of copying and
runs offline (everything is in the cache after ``make setup``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import DemoLake
from tests.service.conftest import digest, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def stages(text: str) -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions(text):
        if instruction[0] == "FROM":
            found.append([])
        found[-1].append(instruction)
    return found


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for name, args in stage:
        if name == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def exec_form(args: str) -> list[str]:
    form: list[str] = json.loads(args)
    return form


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The builder stage, run here: returns the venv (the image's ``/opt/venv``)."""
    builder, _ = stages(DOCKERFILE.read_text())
    work = tmp_path_factory.mktemp("image")
    src, venv = work / "src", work / "venv"
    src.mkdir()
    for name, args in builder:
        if name == "COPY":
            *sources, _ = args.split()
            for source in sources:
                path = ROOT / source
                (shutil.copytree if path.is_dir() else shutil.copy)(path, src / source)
    uv_syncs = [shlex.split(args) for name, args in builder if name == "RUN" and "uv sync" in args]
    command = uv_syncs[-1]
    assert command[:2] == ["uv", "sync"]
    env = {
        **os.environ,
        **env_of(builder),
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_LINK_MODE": "hardlink",
    }
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH (make setup installs it)")
    subprocess.run(
        [uv, *command[1:], "--offline", "--quiet"],
        cwd=src,
        env=env,
        check=True,
        timeout=300,
    )
    shutil.rmtree(src)  # the final stage copies only the venv
    return venv


def final_stage_env(venv: Path, state: Path, lake: Path, port: int) -> dict[str, str]:
    """The final stage's ENV, paths mapped to this machine."""
    _, final = stages(DOCKERFILE.read_text())
    mapped = {}
    paths = {
        "$PATH": os.environ["PATH"],
        "/opt/venv": str(venv),
        "/var/lib/hemalake": str(state),
        "/data/lake": str(lake),
    }
    for key, value in env_of(final).items():
        for image_path, here in paths.items():
            value = value.replace(image_path, here)  # noqa: PLW2901
        mapped[key] = value
    assert mapped["HEMALAKE_PRODUCTION"] == "true"
    mapped.update(HEMALAKE_PORT=str(port), HEMALAKE_HOST="127.0.0.1")
    keep = {k: v for k, v in os.environ.items() if not k.startswith("HEMALAKE_")}
    return {**keep, **mapped}


def final_instruction(name: str) -> list[str]:
    _, final = stages(DOCKERFILE.read_text())
    (args,) = [a for n, a in final if n == name]
    return exec_form(args.split(" CMD ", 1)[1] if name == "HEALTHCHECK" else args)


@pytest.fixture
def mounted(tmp_path: Path) -> tuple[Path, Path]:
    """The state volume (empty, like a new volume) and a settings file an operator mounts."""
    state = tmp_path / "state"
    state.mkdir()
    settings = tmp_path / "hemalake.toml"
    settings.write_text(
        f'[api_keys.{digest("a-long-random-production-key")}]\nuser = "etl"\nrole = "analyst"\n'
    )
    return state, settings


def test_the_image_entry_point_serves_in_production_mode(
    image: Path, mounted: tuple[Path, Path], demo_lake: DemoLake
) -> None:
    state, settings = mounted
    port = free_port()
    env = {
        **final_stage_env(image, state, demo_lake.root, port),
        "HEMALAKE_SETTINGS": str(settings),
    }
    server = subprocess.Popen(  # the exact CMD, from the WORKDIR (the state volume)
        final_instruction("CMD"), cwd=state, env=env, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # a cold start imports polars, pyarrow, deltalake...: minutes on a loaded 2-core machine
        deadline = time.monotonic() + 300
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                if httpx.get(f"{url}/livez").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start within 300 s"
            time.sleep(0.2)
        check = subprocess.run(final_instruction("HEALTHCHECK"), env=env, timeout=30, check=False)
        assert check.returncode == 0
        key = {"x-api-key": "a-long-random-production-key"}
        answer = httpx.post(f"{url}/graphql", json={"query": "{ modelVersion }"}, headers=key)
        assert answer.status_code == 200, answer.text
        assert "errors" not in answer.json()
        refused = httpx.post(f"{url}/graphql", json={"query": "{ modelVersion }"})
        assert refused.status_code == 401
        # production defaults: no GraphiQL page, no introspection
        page = httpx.get(f"{url}/graphql", headers={"accept": "text/html"})
        assert page.status_code == 404
        schema = httpx.post(
            f"{url}/graphql", json={"query": "{ __schema { types { name } } }"}, headers=key
        )
        assert "data" not in schema.json() or schema.json()["data"] is None
        audited = [json.loads(line) for line in (state / "audit.jsonl").read_text().splitlines()]
        assert any(row["user"] == "etl" for row in audited)
    finally:
        server.terminate()
        server.communicate(timeout=20)
    stopped = subprocess.run(final_instruction("HEALTHCHECK"), env=env, timeout=30, check=False)
    assert stopped.returncode == 1


def test_the_image_refuses_to_start_without_credentials(
    image: Path, mounted: tuple[Path, Path], demo_lake: DemoLake
) -> None:
    """Without a settings file (no keys, no issuer) production mode stops at once, saying why,
    instead of serving 401 to everyone."""
    state, _ = mounted
    env = final_stage_env(image, state, demo_lake.root, free_port())
    completed = subprocess.run(
        final_instruction("CMD"),
        cwd=state,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 2
    assert "production mode refuses to start" in completed.stderr
    assert "no [oidc] issuer and no API keys" in completed.stderr
