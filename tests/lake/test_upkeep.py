"""Lake upkeep (compaction, Z-order, vacuum) on disk and on a real S3 server: rows never
change, each rewrite is a lake version of its site, older versions read as before until
vacuumed out of retention, and a dead load's rows are never published by upkeep."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from lake.errors import LoadError
from lake.location import LakeLocation, locate
from lake.storage import (
    FAULT_FULL_ENV,
    MANIFEST,
    commit_site_load,
    lake_lock,
    last_site_metadata,
    open_lake,
    vacuum_lake,
)
from lake.upkeep import optimize_lake
from tests.s3_server import S3Server

pytestmark = pytest.mark.slow


@pytest.fixture(params=["disk", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> LakeLocation:
    if request.param == "disk":
        return locate(tmp_path / "lake")
    server: S3Server = request.getfixturevalue("s3_server")
    return server.lake(f"upkeep-{uuid.uuid4().hex[:8]}")


def _patients(site: str, n: int, offset: int = 0) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "patient_id": [f"{site}-{i}" for i in range(offset, offset + n)],
            "site": [site] * n,
            "disease": ["MM" if i % 3 else "AML" for i in range(n)],
            "diagnosis_date": pl.date_range(
                pl.date(2000, 1, 1), pl.date(2000, 1, 1) + pl.duration(days=n - 1), eager=True
            ),
        }
    )


def _commit(lake: LakeLocation, site: str, frame: pl.DataFrame, digest: str) -> int:
    with lake_lock(lake, timeout=60):
        return commit_site_load(
            lake,
            site=site,
            load_id=uuid.uuid4().hex,
            tables={"patients": frame},
            metadata={"source_digests": digest},
        )


def _rows(lake: LakeLocation, version: int | None = None) -> pl.DataFrame:
    return open_lake(lake, version).scan("patients").collect().sort("patient_id")


def test_zorder_and_compaction_keep_rows_and_versions_until_vacuum(lake: LakeLocation) -> None:
    _commit(lake, "A", _patients("A", 300), "a1")
    _commit(lake, "B", _patients("B", 200), "b1")
    before = _rows(lake)
    pinned_before = open_lake(lake).version

    with lake_lock(lake, timeout=60):
        report = optimize_lake(lake, "z_order")
    assert report.lake_versions == (pinned_before + 1, pinned_before + 2)
    assert {(t.table, t.site) for t in report.tables} >= {("patients", "A"), ("patients", "B")}
    assert _rows(lake).equals(before)
    assert _rows(lake, pinned_before).equals(before)
    # the rewrite is its site's lake version, carrying the site's load metadata
    assert last_site_metadata(lake, "A") == {"source_digests": "a1", "upkeep": "z_order"}
    assert open_lake(lake).history()["site"].to_list()[-2:] == ["A", "B"]

    with lake_lock(lake, timeout=60):
        kept = vacuum_lake(lake, keep=[pinned_before])
    # the files the kept version named before the rewrite stay (the log tables, compacted
    # whole and read as their newest version, lose their small files)
    assert [f.uri for f in kept if "/patients/" in f.uri] == []
    assert {f.uri.split("/")[-2] for f in kept} <= {"_manifest", "_load_log", "_site_status"}
    assert _rows(lake, pinned_before).equals(before)
    with lake_lock(lake, timeout=60):
        removed = vacuum_lake(lake, keep=[])
    assert len([f for f in removed if "/patients/" in f.uri]) == 2  # each site's old file
    assert _rows(lake).equals(before)


def test_log_tables_are_compacted_to_one_file_and_read_the_same(lake: LakeLocation) -> None:
    for n in range(4):
        _commit(lake, "A", _patients("A", 10 + n), f"a{n}")
    history = open_lake(lake).history()
    manifest = DeltaTable(lake.uri(MANIFEST), storage_options=lake.delta_options)
    assert len(manifest.file_uris()) == 4

    with lake_lock(lake, timeout=60):
        report = optimize_lake(lake, "compact")
    logs = {t.table: (t.files_before, t.files_after) for t in report.tables if t.site is None}
    assert logs[MANIFEST] == (4, 1)
    assert open_lake(lake).history().equals(history)
    assert report.lake_versions == ()  # one file per site partition: nothing to compact


def test_upkeep_never_publishes_a_dead_loads_rows(
    lake: LakeLocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    _commit(lake, "A", _patients("A", 50), "a1")
    before = _rows(lake)
    monkeypatch.setenv(FAULT_FULL_ENV, "manifest")
    with pytest.raises(LoadError):
        _commit(lake, "A", _patients("A", 80, offset=1000), "a2")
    monkeypatch.delenv(FAULT_FULL_ENV)
    table = DeltaTable(lake.uri("patients"), storage_options=lake.delta_options)
    assert table.version() > json.loads(open_lake(lake).history()["table_versions"][-1])["patients"]

    with lake_lock(lake, timeout=60):
        optimize_lake(lake, "z_order")
    assert _rows(lake).equals(before)
