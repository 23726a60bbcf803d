"""The demo lake on a real S3 server (SeaweedFS): ``hemalake load``, ``status`` and ``serve``
by URL, and the GraphQL answers over HTTP equal to the same lake on disk.

The S3 lake is built by the ``hemalake load`` command from the bundled sites with the demo
lake's own pseudonym key, so both lakes hold the same rows under the same lake versions.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import obstore
import pytest

from lake.location import LakeLocation, locate
from service.app import create_app
from tests.conftest import SITES_DIR, DemoLake
from tests.s3_server import BUCKET, S3Server
from tests.service.conftest import (
    STATISTICIAN_KEY,
    ask,
    digest,
    free_port,
    lake_settings,
    serving,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
HEMALAKE = str(Path(sys.executable).parent / "hemalake")

QUERIES = (
    # Myeloma: overall survival by R-ISS, log-rank and trend, survival at 2 and 5 years
    """{ cohort(filter: {diseases: [MM]}) {
        survival(endpoint: OS, groupBy: {score: "riss"}, trend: true, times: [24, 60]) {
          groups { group n events median { estimate lower upper }
                   atTimes { time survival lower upper nAtRisk } }
          logrank { statistic df pValue } trend { statistic pValue }
          provenance { lakeVersion queryHash access } } } }""",
    # Allogeneic transplant: non-relapse mortality, relapse competing
    """{ cohort(filter: {treatment: {transplant: ALLOGENEIC}}) {
        cumulativeIncidence(endpoint: NRM, timeZero: {origin: ALLO_TRANSPLANT}, times: [24]) {
          groups { n causes { cause events atTimes { estimate lower upper } } }
          provenance { lakeVersion queryHash } } } }""",
    # Prognostic systems compared on the same patients
    """{ cohort(filter: {diseases: [MM]}) {
        stagingComparison(scores: ["riss", "iss"]) {
          systems { system n lrStatistic aic concordance { cIndex lower upper } } } } }""",
    # The lake itself: versions and per-site loads (system tables read from the bucket)
    """{ lake { versions { lakeVersion site }
                sites { site stage loads { status lakeVersion rowsAccepted } } } }""",
)
PINNED = """{ cohort(filter: {diseases: [MM]}, lakeVersion: 2) {
    survival(endpoint: OS) { groups { n events median { estimate } }
                             provenance { lakeVersion } } } }"""


def _hemalake(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HEMALAKE, *args],
        env={**os.environ, "COLUMNS": "250"} if env is None else env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def s3_demo(s3_server: S3Server, demo_lake: DemoLake) -> LakeLocation:
    """The bundled sites loaded into the bucket by ``hemalake load`` (the demo lake's key)."""
    lake = s3_server.lake("demo")
    run = _hemalake(
        "load", str(SITES_DIR), "--lake", lake.url, "--key-file", str(demo_lake.key_file), "--quiet"
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return lake


#: Where the server of the S3 lake writes its audit: a prefix beside the lake in the bucket.
S3_AUDIT = f"s3://{BUCKET}/demo-audit"


@pytest.fixture(scope="module")
def both_servers(
    s3_demo: LakeLocation, demo_lake: DemoLake, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """The demo lake on disk and in the bucket, each served by uvicorn on loopback; the
    bucket's server audits into the bucket too (``S3_AUDIT``)."""
    base = tmp_path_factory.mktemp("s3-e2e")
    disk = lake_settings(demo_lake, base / "disk" / "audit.jsonl")
    bucket = dataclasses.replace(
        lake_settings(demo_lake, base / "s3" / "audit.jsonl"),
        lake_root=s3_demo.url,
        audit_log=S3_AUDIT,
    )
    (base / "disk").mkdir()
    (base / "s3").mkdir()  # the privacy ledger's directory
    with (
        serving(create_app(settings=disk)) as disk_url,
        serving(create_app(settings=bucket)) as s3_url,
    ):
        yield disk_url, s3_url


def test_status_by_url_lists_every_site_committed(s3_demo: LakeLocation) -> None:
    run = _hemalake("status", "--lake", s3_demo.url)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    for spec in SITES_DIR.glob("*/mapping.yaml"):
        assert spec.parent.name in run.stdout
    # one row per site whose last load column reads "committed" (the header has ┃, not │)
    assert run.stdout.count("│ committed ") == len(list(SITES_DIR.glob("*/mapping.yaml")))


@pytest.mark.parametrize("query", [*QUERIES, PINNED])
def test_graphql_answers_on_s3_equal_those_on_disk(
    both_servers: tuple[str, str], query: str
) -> None:
    disk_url, s3_url = both_servers
    on_disk, on_s3 = ask(disk_url, query), ask(s3_url, query)
    assert "errors" not in on_disk, on_disk
    assert on_s3 == on_disk


def bucket_records(prefix: str) -> list[dict[str, Any]]:
    """The audit records under the object-storage ``prefix``, objects in name order."""
    store = locate(prefix).store()
    names = sorted(e["path"] for batch in obstore.list(store, None) for e in batch)
    return [
        json.loads(line)
        for name in names
        for line in bytes(obstore.get(store, name).bytes()).decode().splitlines()
    ]


def test_analyse_on_the_s3_lake_audits_beside_it_in_the_bucket(
    s3_demo: LakeLocation, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    run = _hemalake("analyse", "allo-transplant-myeloma", "--lake", s3_demo.url, "--out", str(out))
    assert run.returncode == 0, run.stderr[-3000:]
    assert (out / "report.html").is_file()
    records = [r for r in bucket_records(f"{s3_demo.url}-audit") if r["user"].startswith("cli:")]
    operations = [r for r in records if r["action"].startswith("graphql:")]
    assert len(operations) == 1 + 5  # the lake's versions, then the five questions
    assert {(r["role"], r["outcome"]) for r in records} == {("statistician", "ok")}


def test_a_query_served_from_the_s3_lake_leaves_its_audit_record_in_the_bucket(
    both_servers: tuple[str, str],
) -> None:
    answer = ask(both_servers[1], QUERIES[0])
    query_hash = answer["data"]["cohort"]["survival"]["provenance"]["queryHash"]
    deadline = time.monotonic() + 30
    while True:  # the writer thread puts the batch a few milliseconds after the answer
        records = bucket_records(S3_AUDIT)
        mine = [r for r in records if r.get("query_hash") == query_hash and r["user"] == "stat"]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert mine, f"no audit record of {query_hash} among {len(records)} in {S3_AUDIT}"
    assert mine[-1]["outcome"] == "ok"
    assert (
        mine[-1]["lake_version"]
        == answer["data"]["cohort"]["survival"]["provenance"]["lakeVersion"]
    )


def test_serve_takes_storage_from_the_settings_file_not_the_command_line(
    s3_server: S3Server, s3_demo: LakeLocation, both_servers: tuple[str, str], tmp_path: Path
) -> None:
    environ = s3_server.environ
    settings = tmp_path / "hemalake.toml"
    settings.write_text(
        f'lake_root = "{s3_demo.url}"\n'
        f'privacy_ledger = "{tmp_path / "privacy.sqlite"}"\n'
        f'audit_log = "{tmp_path / "audit.jsonl"}"\n'
        "[storage]\n"
        f'endpoint = "{environ["AWS_ENDPOINT_URL"]}"\n'
        f'region = "{environ["AWS_REGION"]}"\n'
        f'access_key_id = "{environ["AWS_ACCESS_KEY_ID"]}"\n'
        f'secret_access_key = "{environ["AWS_SECRET_ACCESS_KEY"]}"\n'
        "allow_http = true\n"
        f'[api_keys.{digest(STATISTICIAN_KEY)}]\nuser = "stat"\nrole = "statistician"\n',
        encoding="utf-8",
    )
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [HEMALAKE, "serve", "--settings", str(settings), "--port", str(port)],
        env=clean,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.communicate()[1].decode()[-3000:]
            try:
                if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "hemalake serve on the S3 lake was not ready"
            time.sleep(0.5)
        assert ask(url, QUERIES[0]) == ask(both_servers[0], QUERIES[0])
    finally:
        process.terminate()
        process.communicate(timeout=30)
