"""End-to-end site loads into a real Delta lake in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from lake.errors import SourceError
from lake.model import CLINICAL_TABLES
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


def test_reload_of_unchanged_sources_writes_no_table_but_is_logged(
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
    assert log.sort("finished_at").select("status", "lake_version").rows() == [
        ("committed", 1),
        ("unchanged", 1),
    ]


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
    assert counts.filter(pl.col("table") == "patients").select(
        "rows_in", "rows_accepted", "rows_quarantined"
    ).row(0) == (4, 3, 1)
    quarantine = open_lake(lake).scan("_quarantine").collect()
    # counted independently: 4 patient rows in the CSV, 3 in the lake, 1 quarantined; the
    # patient's one follow-up event (4 in the CSV) is its only other row and is an orphan
    lake_rows = open_lake(lake).scan("patients").collect().height
    quarantined = quarantine.filter(pl.col("table") == "patients")["row"].n_unique()
    assert (len(bad.splitlines()) - 1, lake_rows, quarantined) == (4, 3, 1)
    events = open_lake(lake).scan("events").collect().height
    assert (events, quarantine.filter(pl.col("table") == "events").height) == (4, 1)
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


def test_a_new_pseudonym_key_reloads_and_only_its_fingerprint_is_stored(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    spec = make_site()
    first = load_site(spec, lake_root=lake, key_file=key_file)
    other_key = tmp_path / "other.key"
    other_key.write_text("fedcba9876543210" * 4)
    again = load_site(spec, lake_root=lake, key_file=other_key)
    assert (first.lake_version, again.status, again.lake_version) == (1, "committed", 2)
    patients = open_lake(lake).scan("patients").collect()
    before = open_lake(lake, lake_version=1).scan("patients").collect()
    assert patients.height == 3
    assert set(patients["patient_id"]).isdisjoint(before["patient_id"])
    log = read_latest(lake, "_load_log")
    assert log is not None
    fingerprints = log.sort("finished_at")["key_fingerprint"].to_list()
    # HMAC-SHA256(key, label): distinct per key, and never the key itself
    assert fingerprints[0] != fingerprints[1]
    assert all(len(f) == 16 for f in fingerprints)
    assert "0123456789abcdef" not in str(log.rows())
    # the same (second) key again: nothing to do
    assert load_site(spec, lake_root=lake, key_file=other_key).status == "unchanged"


def test_an_invalid_spec_is_logged_under_its_site(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    from lake.errors import ConfigError

    lake = tmp_path / "lake"
    spec = make_site(site="IT-BAD")
    spec.write_text(spec.read_text().replace("id_column: codice", "id_colum: codice", 1))
    with pytest.raises(ConfigError, match="id_colum"):
        load_site(spec, lake_root=lake, key_file=key_file)
    log = read_latest(lake, "_load_log")
    assert log is not None
    assert log.select("site", "status", "spec_version").rows() == [("IT-BAD", "failed", "2026.1")]
    assert "invalid mapping spec" in log["message"][0]
    assert "id_colum" in log["message"][0]


def test_a_spec_without_a_readable_site_says_it_was_not_logged(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    from lake.errors import ConfigError

    lake = tmp_path / "lake"
    spec = make_site()
    spec.write_text(spec.read_text().replace("site: IT-TST", "site: [not, a, code]"))
    with pytest.raises(ConfigError, match="not recorded in the lake's _load_log"):
        load_site(spec, lake_root=lake, key_file=key_file)
    assert read_latest(lake, "_load_log") is None


def test_logs_read_as_of_a_pinned_lake_version(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    from lake.storage import read_log

    lake = tmp_path / "lake"
    load_site(make_site(site="IT-AAA"), lake_root=lake, key_file=key_file)
    broken = make_site(site="IT-BBB")
    (broken.parent / "linee.csv").write_text("codice;linea\nP1;1\n")
    with pytest.raises(SourceError):
        load_site(broken, lake_root=lake, key_file=key_file)
    load_site(make_site(site="IT-CCC"), lake_root=lake, key_file=key_file)
    pinned = read_log(lake, "_load_log", time_column="finished_at", lake_version=1)
    assert pinned is not None
    # while version 1 was the newest: AAA committed, BBB failed; CCC (version 2) not yet
    assert sorted(pinned.select("site", "status").rows()) == [
        ("IT-AAA", "committed"),
        ("IT-BBB", "failed"),
    ]
    status = read_log(lake, "_site_status", time_column="reached_at", lake_version=1)
    assert status is not None
    assert set(status["site"]) == {"IT-AAA", "IT-BBB"}
    latest = read_log(lake, "_load_log", time_column="finished_at")
    assert latest is not None
    assert latest.height == 3


def test_a_lake_written_by_an_older_loader_still_takes_loads(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    from deltalake import write_deltalake

    lake = tmp_path / "lake"
    spec = make_site()
    load_site(spec, lake_root=lake, key_file=key_file)
    # rewrite the manifest and the log as an older loader wrote them: no load_metadata in
    # the manifest, no key_fingerprint in the log
    for table, column in (("_manifest", "load_metadata"), ("_load_log", "key_fingerprint")):
        frame = read_latest(lake, table)
        assert frame is not None
        write_deltalake(
            str(lake / table),
            frame.drop(column).to_arrow(),
            mode="overwrite",
            schema_mode="overwrite",
        )
    # unknown inputs: the site is reloaded once rather than trusted blindly
    assert load_site(spec, lake_root=lake, key_file=key_file).status == "committed"
    assert load_site(spec, lake_root=lake, key_file=key_file).status == "unchanged"
    assert open_lake(lake, lake_version=1).scan("patients").collect().height == 3
    merged = read_latest(lake, "_load_log")
    assert merged is not None
    assert merged.sort("finished_at")["key_fingerprint"].null_count() == 1


def test_idempotency_trusts_the_manifest_not_the_log(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    import shutil

    lake = tmp_path / "lake"
    spec = make_site()
    load_site(spec, lake_root=lake, key_file=key_file)
    # a load killed after its manifest row but before its _load_log row
    shutil.rmtree(lake / "_load_log")
    again = load_site(spec, lake_root=lake, key_file=key_file)
    assert (again.status, again.lake_version) == ("unchanged", 1)


def test_a_table_the_corrected_spec_no_longer_feeds_loses_the_sites_rows(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    from tests.loaders.conftest import SPEC

    lake = tmp_path / "lake"
    load_site(make_site(site="IT-AAA"), lake_root=lake, key_file=key_file)
    load_site(make_site(site="IT-BBB"), lake_root=lake, key_file=key_file)
    without_lines = SPEC[: SPEC.index("  - path: linee.csv")]
    result = load_site(
        make_site(site="IT-BBB", spec=without_lines, spec_version="2026.2"),
        lake_root=lake,
        key_file=key_file,
    )
    assert (result.status, result.lake_version) == ("committed", 3)
    snapshot = open_lake(lake)
    lines = snapshot.scan("treatment_lines").collect()
    assert lines.group_by("site").len().rows() == [("IT-AAA", 3)]
    # one atomic version: the previous one still has BBB's lines
    previous = open_lake(lake, lake_version=2).scan("treatment_lines").collect()
    assert previous.filter(pl.col("site") == "IT-BBB").height == 3
    # every clinical table is in the lake version, whether or not any spec feeds it
    assert {t.name for t in CLINICAL_TABLES} <= set(snapshot.table_versions)
    assert snapshot.scan("transplants").collect().is_empty()


def test_a_key_file_inside_the_lake_is_refused_and_nothing_is_loaded(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    from lake.errors import ConfigError

    lake = tmp_path / "lake"
    lake.mkdir()
    inside = lake / "pseudonym.key"
    inside.write_bytes(key_file.read_bytes())
    with pytest.raises(ConfigError, match="pseudonym key is inside the lake"):
        load_site(make_site(), lake_root=lake, key_file=inside)
    assert not (lake / "_manifest").exists()
    log = read_latest(lake, "_load_log")
    assert log is not None
    assert log.select("status").rows() == [("failed",)]
