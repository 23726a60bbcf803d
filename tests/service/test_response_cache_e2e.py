"""Whole answers served again before GraphQL runs (service/response_cache.py), through a real
uvicorn server over a Delta lake on disk (the manifest watch reads its commits).

A repeated query returns the same bytes and is audited every time; a second caller, even of a
governed role, is never served the first one's answer; protected callers are not cached and
their repeated question is charged once; after a load the answer is the new version's.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from lake.storage import commit_site_load
from service.app import create_app
from service.bench import generate, write_lake
from service.settings import Settings
from tests.service.conftest import ADMIN_KEY, ANALYST_KEY, STATISTICIAN_KEY, serving

pytestmark = pytest.mark.e2e

SIZE = "query Size { cohort { size { value provenance { lakeVersion access } } } }"
PROTECTED = (
    """{ cohort { size { value provenance { access privacy { charged budgetSpent } } } } }"""
)


@pytest.fixture
def lake(tmp_path: Path) -> tuple[Path, dict[str, pl.DataFrame]]:
    """A small lake of three site loads, and the frames of a fourth site to load later."""
    frames = generate(400, seed=11)
    write_lake(tmp_path / "lake", frames)
    later = {
        name: f.with_columns(site=pl.lit("NEW"), patient_id=pl.lit("new-") + pl.col("patient_id"))
        for name, f in generate(50, seed=3).items()
    }
    return tmp_path / "lake", later


@pytest.fixture
def served(
    lake: tuple[Path, dict[str, pl.DataFrame]], settings: Settings, tmp_path: Path
) -> Iterator[str]:
    chosen = dataclasses.replace(
        settings, lake_root=lake[0], privacy_ledger=tmp_path / "privacy.sqlite"
    )
    with serving(create_app(settings=chosen)) as url:
        yield url


def post(url: str, query: str, key: str) -> httpx.Response:
    response = httpx.post(
        f"{url}/graphql", content=json.dumps({"query": query}), headers=headers(key), timeout=60
    )
    assert response.status_code == 200, response.text
    return response


def headers(key: str) -> dict[str, str]:
    return {"x-api-key": key, "content-type": "application/json"}


def counters(url: str) -> dict[str, int]:
    text = httpx.get(f"{url}/metrics", headers={"x-api-key": ADMIN_KEY}, timeout=10).text
    return {
        name: int(value)
        for name, value in (line.split() for line in text.splitlines() if line[0] != "#")
        if name.startswith("hemalake_response_cache_")
    }


def audit_lines(path: Path, *, user: str, action: str, count: int) -> list[dict[str, Any]]:
    """The audit records of ``user`` with ``action``, once at least ``count`` are written (the
    writer thread writes them shortly after the answer)."""
    deadline = time.monotonic() + 20
    while True:
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        found = [r for r in lines if r.get("user") == user and r.get("action") == action]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_a_repeated_query_is_the_same_bytes_and_audited_each_time(
    served: str, settings: Settings
) -> None:
    before = counters(served)
    answers = [post(served, SIZE, STATISTICIAN_KEY) for _ in range(3)]
    assert answers[0].json()["data"]["cohort"]["size"]["value"] == 400
    assert answers[1].content == answers[0].content == answers[2].content
    assert answers[2].headers["content-type"] == answers[0].headers["content-type"]
    assert answers[2].headers["x-content-type-options"] == "nosniff"
    assert answers[1].headers["x-request-id"] != answers[2].headers["x-request-id"]
    after = counters(served)
    assert (
        after["hemalake_response_cache_hits_total"]
        - before.get("hemalake_response_cache_hits_total", 0)
        == 2
    )
    assert settings.audit_log is not None
    operations = audit_lines(
        settings.audit_log, user="stat", action="graphql:query cohort", count=3
    )
    releases = audit_lines(settings.audit_log, user="stat", action="SizeRequest", count=3)
    assert len(operations) == 3
    assert len({r["at"] for r in operations}) == 3  # each stamped when it was served
    assert len({r["query_hash"] for r in operations}) == 1
    assert len(releases) == 3


def test_another_caller_never_gets_the_first_callers_answer(served: str) -> None:
    post(served, SIZE, STATISTICIAN_KEY)
    post(served, SIZE, STATISTICIAN_KEY)
    misses = counters(served)["hemalake_response_cache_misses_total"]
    admin = post(served, SIZE, ADMIN_KEY)  # governed as well, yet its own entry
    assert counters(served)["hemalake_response_cache_misses_total"] == misses + 1
    assert admin.json()["data"]["cohort"]["size"]["value"] == 400
    analyst = post(served, SIZE, ANALYST_KEY).json()["data"]["cohort"]["size"]
    assert analyst["provenance"]["access"] == "PROTECTED"
    assert counters(served)["hemalake_response_cache_misses_total"] == misses + 1  # not cached


def test_a_protected_question_asked_again_is_the_same_release_charged_once(served: str) -> None:
    first, second = (
        post(served, PROTECTED, ANALYST_KEY).json()["data"]["cohort"]["size"] for _ in range(2)
    )
    assert first["value"] == second["value"]
    assert first["provenance"]["privacy"]["charged"] > 0
    assert second["provenance"]["privacy"]["charged"] == 0
    assert (
        second["provenance"]["privacy"]["budgetSpent"]
        == first["provenance"]["privacy"]["budgetSpent"]
    )


def test_after_a_load_the_answer_is_the_new_versions(
    served: str, lake: tuple[Path, dict[str, pl.DataFrame]]
) -> None:
    root, later = lake
    before = post(served, SIZE, STATISTICIAN_KEY).json()["data"]["cohort"]["size"]
    assert post(served, SIZE, STATISTICIAN_KEY).json()["data"]["cohort"]["size"] == before
    version = commit_site_load(
        root, site="NEW", load_id="later", tables=later, metadata={"source": "test"}
    )
    after = post(served, SIZE, STATISTICIAN_KEY).json()["data"]["cohort"]["size"]
    assert after["provenance"]["lakeVersion"] == version > before["provenance"]["lakeVersion"]
    assert after["value"] == before["value"] + 50


def test_a_cached_answer_is_still_authenticated_labelled_and_body_limited(
    served: str, settings: Settings
) -> None:
    """The layer in front of the view (service/middleware.py) still runs on a hit: the request
    id sent is echoed, every security header is set, a wrong key is refused rather than served
    the kept answer, and an oversized body is refused before the cache is asked."""
    post(served, SIZE, STATISTICIAN_KEY)
    body = json.dumps({"query": SIZE})
    hit = httpx.post(
        f"{served}/graphql",
        content=body,
        headers={**headers(STATISTICIAN_KEY), "x-request-id": "client-id-1"},
        timeout=60,
    )
    assert hit.status_code == 200
    assert hit.headers["x-request-id"] == "client-id-1"
    assert hit.headers["x-frame-options"] == "DENY"
    assert hit.headers["referrer-policy"] == "no-referrer"
    assert hit.headers["content-security-policy"].startswith("default-src 'none'")
    refused = httpx.post(f"{served}/graphql", content=body, headers=headers("wrong"), timeout=60)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    oversized = json.dumps({"query": SIZE, "variables": {"pad": "x" * settings.max_body_bytes}})
    too_large = httpx.post(
        f"{served}/graphql", content=oversized, headers=headers(STATISTICIAN_KEY), timeout=60
    )
    assert too_large.status_code == 413
    assert too_large.headers["x-content-type-options"] == "nosniff"
    assert len(too_large.headers["x-request-id"]) == 32
