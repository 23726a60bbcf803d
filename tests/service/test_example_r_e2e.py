"""The R example (examples/fetch_cohort.R, httr2 + jsonlite) against a real uvicorn server.

Skipped, saying why, where Rscript or its packages are missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.service.conftest import STATISTICIAN_KEY, ask

pytestmark = [pytest.mark.e2e]
EXAMPLE = Path(__file__).parents[2] / "examples" / "fetch_cohort.R"
RSCRIPT = shutil.which("Rscript")


def _r_packages_missing() -> str | None:
    if RSCRIPT is None:
        return "Rscript is not installed"
    probe = subprocess.run(
        [RSCRIPT, "-e", "library(httr2); library(jsonlite)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return None if probe.returncode == 0 else f"R lacks httr2 or jsonlite: {probe.stderr[-200:]}"


def _run(url: str, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert RSCRIPT is not None
    env = {**os.environ, "HEMALAKE_URL": f"{url}/graphql", "HEMALAKE_API_KEY": key}
    return subprocess.run(
        [RSCRIPT, str(EXAMPLE), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def r_ready() -> None:
    reason = _r_packages_missing()
    if reason is not None:
        pytest.skip(reason)


@pytest.mark.usefixtures("r_ready")
def test_r_example_prints_size_and_survival(live_server: str) -> None:
    completed = _run(live_server, STATISTICIAN_KEY)
    assert completed.returncode == 0, completed.stderr
    expected = ask(
        live_server,
        "{ cohort(filter: {diseases: [MM]}) { size { value provenance { lakeVersion } }"
        " survival(endpoint: OS, groupBy: {attribute: SEX}) { groups { group n } } } }",
    )["data"]["cohort"]
    out = completed.stdout
    assert f"patients: {expected['size']['value']} (lake version 1," in out
    for group in expected["survival"]["groups"]:
        assert any(
            line.split()[:2] == [str(group["group"]), str(group["n"])] for line in out.splitlines()
        ), (group, out)
    assert "log-rank: chi-square" in out


@pytest.mark.usefixtures("r_ready")
def test_r_example_stops_with_the_error_code(live_server: str) -> None:
    completed = _run(live_server, "not-a-key")
    assert completed.returncode != 0
    assert "UNAUTHENTICATED" in completed.stderr
    empty = _run(live_server, STATISTICIAN_KEY, '{"sites": ["NOWHERE"]}')
    assert empty.returncode != 0
    assert "EMPTY_COHORT: " in empty.stderr, empty.stderr
