"""End-to-end site loads into a real Delta lake in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from lake.errors import SourceError
from lake.storage import open_lake, read_latest
from loaders.load import load_site
from tests.loaders.conftest import PATIENTS_CSV, SiteFactory


def test_load_commits_one_lake_version_with_metadata(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    result = load_site(make_site(), lake_root=lake, key_file=key_file)
    assert (result.status, result.lake_version) == ("committed", 1)
    assert result.rows_quarantined == 0
    snapshot = open_lake(lake)
    assert snapshot.version == 1
    assert snapshot.scan("patients").collect().height == 3
    metadata = DeltaTable(str(lake / "patients")).history(1)[0]
    assert metadata["site"] == "IT-TST"
    assert metadata["spec_version"] == "2026.1"
    assert metadata["load_id"] == result.load_id
    assert json.loads(metadata["row_counts"])["patients"] == 3
    assert set(json.loads(metadata["source_digests"])) == {"pazienti.csv", "linee.csv"}
    status = read_latest(lake, "_site_status")
    assert status is not None
    assert status["stage"].to_list() == [
        "registered",
        "uploaded",
        "mapped",
        "validated",
        "finalised",
    ]


def test_reload_of_unchanged_sources_writes_nothing(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    spec = make_site()
    load_site(spec, lake_root=lake, key_file=key_file)
    delta_version = DeltaTable(str(lake / "patients")).version()
    again = load_site(spec, lake_root=lake, key_file=key_file)
    assert (again.status, again.lake_version) == ("unchanged", 1)
    assert open_lake(lake).version == 1
    assert DeltaTable(str(lake / "patients")).version() == delta_version
    log = read_latest(lake, "_load_log")
    assert log is not None
    assert log.height == 1


def test_new_spec_version_reloads(make_site: SiteFactory, key_file: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    load_site(make_site(), lake_root=lake, key_file=key_file)
    result = load_site(make_site(spec_version="2026.2"), lake_root=lake, key_file=key_file)
    assert (result.status, result.lake_version) == ("committed", 2)


def test_corrected_file_replaces_the_site_and_leaves_other_sites_alone(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    load_site(make_site(site="IT-AAA"), lake_root=lake, key_file=key_file)
    first_b = load_site(make_site(site="IT-BBB"), lake_root=lake, key_file=key_file)
    before = open_lake(lake).scan("patients").filter(pl.col("site") == "IT-AAA").collect()
    corrected = PATIENTS_CSV + "P4;F;01/01/2021;44;300;41;No;;;01/01/2024\n"
    result = load_site(
        make_site(site="IT-BBB", patients=corrected), lake_root=lake, key_file=key_file
    )
    assert result.lake_version == 3
    patients = open_lake(lake).scan("patients").collect()
    assert patients.group_by("site").len().sort("site").rows() == [("IT-AAA", 3), ("IT-BBB", 4)]
    assert patients["patient_id"].n_unique() == patients.height
    after = patients.filter(pl.col("site") == "IT-AAA")
    assert after.sort("patient_id").equals(before.sort("patient_id"))
    # the previous lake version is still readable as it was
    pinned = open_lake(lake, lake_version=first_b.lake_version).scan("patients").collect()
    assert pinned.filter(pl.col("site") == "IT-BBB").height == 3


def test_same_local_ids_at_two_sites_get_different_pseudonyms(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    load_site(make_site(site="IT-AAA"), lake_root=lake, key_file=key_file)
    load_site(make_site(site="IT-BBB"), lake_root=lake, key_file=key_file)
    patients = open_lake(lake).scan("patients").collect()
    assert patients.height == 6
    assert patients["patient_id"].n_unique() == 6


def test_quarantine_and_counts_are_stored_and_conserved(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    bad = PATIENTS_CSV + "P4;X;31/02/2019;61;254;36;No;;;01/06/2023\n"
    result = load_site(make_site(patients=bad), lake_root=lake, key_file=key_file)
    counts = result.counts
    assert (counts["rows_in"] == counts["rows_accepted"] + counts["rows_quarantined"]).all()
    assert counts.filter(pl.col("table") == "patients").select(
        "rows_in", "rows_accepted", "rows_quarantined"
    ).row(0) == (4, 3, 1)
    quarantine = open_lake(lake).scan("_quarantine").collect()
    # the patient row fails two checks; its follow-up event is then an orphan
    assert set(quarantine["check"]) == {"unknown_code", "unparseable_date", "orphan_row"}
    assert set(quarantine["row"]) == {5}
    log = read_latest(lake, "_load_log")
    assert log is not None
    assert log.select("rows_in", "rows_accepted", "rows_quarantined").row(0) == (
        result.rows_in,
        result.rows_in - result.rows_quarantined,
        result.rows_quarantined,
    )


def test_data_queries_are_stored_per_site(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    no_followup = PATIENTS_CSV.replace(";01/01/2024", ";").replace(";38;", ";;")
    result = load_site(make_site(patients=no_followup), lake_root=lake, key_file=key_file)
    queries = open_lake(lake).scan("_data_queries").collect()
    assert result.data_queries == queries.height == 2
    assert sorted(queries["query"]) == ["missing_last_follow_up", "mm_missing_iss_inputs"]


def test_unreadable_source_is_logged_as_failed_and_changes_nothing(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    spec = make_site()
    load_site(spec, lake_root=lake, key_file=key_file)
    (spec.parent / "linee.csv").write_text("codice;linea\nP1;1\n")
    with pytest.raises(SourceError, match=r"linee.csv: column 'inizio' declared"):
        load_site(spec, lake_root=lake, key_file=key_file)
    assert open_lake(lake).version == 1
    log = read_latest(lake, "_load_log")
    assert log is not None
    assert log.sort("finished_at")["status"].to_list() == ["committed", "failed"]
