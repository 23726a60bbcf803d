"""Loads into a lake on a real S3 server (SeaweedFS), in real subprocesses: a load killed by
SIGKILL mid-write leaves the previous lake version, and the next load lands (it first waits out
the killed holder's lock lease); two sites loading at once both land."""

from __future__ import annotations

import signal
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from lake.location import LakeLocation
from lake.object_lock import LEASE_ENV
from lake.storage import open_lake
from loaders.load import load_site
from tests.loaders.conftest import SiteFactory
from tests.loaders.test_load_processes import _generated_patients, _start_load, _wait_for
from tests.s3_server import S3Server

pytestmark = pytest.mark.slow


def _delta_version(lake: LakeLocation, table: str) -> int:
    return DeltaTable(lake.uri(table), storage_options=lake.delta_options).version()


def test_a_killed_s3_load_is_invisible_and_the_next_load_lands(
    s3_server: S3Server,
    make_site: SiteFactory,
    key_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(LEASE_ENV, "3")  # the killed holder's lock is taken over after 3 s
    lake = s3_server.lake("load-killed")
    spec = make_site()
    load_site(spec, lake_root=lake.url, key_file=key_file)
    before = _delta_version(lake, "patients")
    (spec.parent / "pazienti.csv").write_text(_generated_patients(5_000))

    process = _start_load(spec, lake.url, key_file, pause=60)
    _wait_for(lambda: _delta_version(lake, "patients") > before, timeout=120)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL

    snapshot = open_lake(lake.url)
    assert snapshot.version == 1
    assert snapshot.scan("patients").collect().height == 3
    assert _delta_version(lake, "patients") > before  # written, but in no lake version

    result = load_site(spec, lake_root=lake.url, key_file=key_file)
    assert (result.status, result.lake_version) == ("committed", 2)
    assert open_lake(lake.url).scan("patients").collect().height == 5_003
    assert open_lake(lake.url, 1).scan("patients").collect().height == 3


def test_two_concurrent_s3_loads_both_land(
    s3_server: S3Server, make_site: SiteFactory, key_file: Path
) -> None:
    lake = s3_server.lake("load-concurrent")
    specs = [make_site(site=site, patients=_generated_patients(2_000)) for site in ("A", "B")]
    processes = [_start_load(spec, lake.url, key_file) for spec in specs]
    for process in processes:
        _, stderr = process.communicate(timeout=240)
        assert process.returncode == 0, stderr.decode()[-2000:]
    snapshot = open_lake(lake.url)
    assert snapshot.version == 2
    patients = snapshot.scan("patients").collect()
    assert patients.group_by("site").len().sort("site").rows() == [("A", 2_003), ("B", 2_003)]
    assert sorted(snapshot.history()["site"]) == ["A", "B"]
    assert snapshot.scan("events").filter(pl.col("site") == "B").collect().height > 0
