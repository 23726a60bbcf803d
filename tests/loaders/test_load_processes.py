"""Loads in real subprocesses: a load killed mid-write, and two sites loading concurrently."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from lake.model import CLINICAL_TABLES
from lake.storage import FAULT_PAUSE_ENV, open_lake
from loaders.load import load_site
from tests.loaders.conftest import PATIENTS_CSV, SiteFactory

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _generated_patients(n: int) -> str:
    """``n`` extra well-formed patients appended to the reference export."""
    rows = [f"G{i};F;01/01/2020;{40 + i % 40};300;40;No;;;01/01/2024" for i in range(n)]
    return PATIENTS_CSV + "\n".join(rows) + "\n"


def _start_load(
    spec: Path, lake: Path | str, key_file: Path, *, pause: float = 0
) -> subprocess.Popen[bytes]:
    code = (
        "import sys; from loaders.load import load_site; "
        "load_site(sys.argv[1], lake_root=sys.argv[2], key_file=sys.argv[3])"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), FAULT_PAUSE_ENV: str(pause)}
    return subprocess.Popen(
        [sys.executable, "-c", code, str(spec), str(lake), str(key_file)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the subprocess")


def test_killed_load_leaves_the_previous_version_intact(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    spec = make_site()
    load_site(spec, lake_root=lake, key_file=key_file)
    first_patients_version = DeltaTable(str(lake / "patients")).version()
    (spec.parent / "pazienti.csv").write_text(_generated_patients(20_000))

    process = _start_load(spec, lake, key_file, pause=60)
    _wait_for(lambda: DeltaTable(str(lake / "patients")).version() > first_patients_version)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)  # also closes the pipes
    assert process.returncode == -signal.SIGKILL

    # the killed load wrote the patients table, but readers still see lake version 1
    snapshot = open_lake(lake)
    assert snapshot.version == 1
    assert snapshot.scan("patients").collect().height == 3
    assert DeltaTable(str(lake / "patients")).version() > first_patients_version

    result = load_site(spec, lake_root=lake, key_file=key_file)
    assert (result.status, result.lake_version) == ("committed", 2)
    assert open_lake(lake).scan("patients").collect().height == 20_003
    assert open_lake(lake, lake_version=1).scan("patients").collect().height == 3


def _site_rows(lake: Path, site: str, *, lake_version: int | None = None) -> dict[str, int]:
    """Rows of ``site`` per clinical table of the lake version."""
    snapshot = open_lake(lake, lake_version)
    return {
        table.name: snapshot.scan(table.name).filter(pl.col("site") == site).collect().height
        for table in CLINICAL_TABLES
        if table.name in snapshot.table_versions
    }


def test_a_killed_load_never_reaches_another_sites_lake_version(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    spec_a = make_site(site="A")
    spec_b = make_site(site="B")
    load_site(spec_a, lake_root=lake, key_file=key_file)
    load_site(spec_b, lake_root=lake, key_file=key_file)
    before = {site: _site_rows(lake, site) for site in ("A", "B")}
    assert before["A"]["patients"] == 3

    # A's new export: killed after its patients table is written, before its manifest row
    (spec_a.parent / "pazienti.csv").write_text(_generated_patients(2_000))
    patients_version = DeltaTable(str(lake / "patients")).version()
    process = _start_load(spec_a, lake, key_file, pause=60)
    _wait_for(lambda: DeltaTable(str(lake / "patients")).version() > patients_version)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL

    # then B loads a corrected export: the new lake version is the previous one plus B
    (spec_b.parent / "pazienti.csv").write_text(_generated_patients(10))
    assert load_site(spec_b, lake_root=lake, key_file=key_file).lake_version == 3
    assert _site_rows(lake, "A") == before["A"]
    assert _site_rows(lake, "B")["patients"] == 13
    assert (
        open_lake(lake)
        .scan("patients")
        .filter(pl.col("site") == "A")
        .collect()
        .equals(open_lake(lake, 2).scan("patients").filter(pl.col("site") == "A").collect())
    )

    # A's original export is what the lake holds for A: unchanged, truthfully
    (spec_a.parent / "pazienti.csv").write_text(PATIENTS_CSV)
    assert load_site(spec_a, lake_root=lake, key_file=key_file).status == "unchanged"
    # and A's new export, loaded again, lands fully
    (spec_a.parent / "pazienti.csv").write_text(_generated_patients(2_000))
    result = load_site(spec_a, lake_root=lake, key_file=key_file)
    assert (result.status, result.lake_version) == ("committed", 4)
    rows = _site_rows(lake, "A")
    assert rows["patients"] == rows["baseline"] == 2_003
    assert rows["events"] > before["A"]["events"]
    assert _site_rows(lake, "B") == _site_rows(lake, "B", lake_version=3)


def test_two_concurrent_loads_both_land(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    specs = [make_site(site=site, patients=_generated_patients(5_000)) for site in ("A", "B")]
    processes = [_start_load(spec, lake, key_file) for spec in specs]
    for process in processes:
        _, stderr = process.communicate(timeout=240)
        assert process.returncode == 0, stderr.decode()
    snapshot = open_lake(lake)
    assert snapshot.version == 2
    patients = snapshot.scan("patients").collect()
    assert patients.group_by("site").len().sort("site").rows() == [("A", 5_003), ("B", 5_003)]
    assert sorted(snapshot.history()["site"]) == ["A", "B"]
    assert snapshot.scan("events").filter(pl.col("site") == "A").collect().height > 0
