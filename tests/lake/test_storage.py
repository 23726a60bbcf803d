"""The Delta storage edge: predicates, site-scoped overwrites, manifest versions, time travel."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from lake.errors import LakeError, UnknownVersionError
from lake.model import PATIENTS
from lake.storage import (
    LakeOpener,
    commit_site_load,
    equals_predicate,
    lake_lock,
    manifest_log_version,
    open_lake,
)


def _patients(site: str, n: int) -> pl.DataFrame:
    return (
        pl.DataFrame(
            {
                "patient_id": [f"{site}-{i}" for i in range(n)],
                "site": [site] * n,
                "source_study": ["S"] * n,
                "data_origin": ["trial"] * n,
                "sex": ["F"] * n,
                "age_at_diagnosis": [60.0] * n,
                "disease": ["MM"] * n,
                "diagnosis_date": [date(2020, 1, 1)] * n,
            },
        )
        .select(
            pl.col(c)
            if c
            in (
                "patient_id",
                "site",
                "source_study",
                "data_origin",
                "sex",
                "age_at_diagnosis",
                "disease",
                "diagnosis_date",
            )
            else pl.lit(None, d).alias(c)
            for c, d in PATIENTS.schema.items()
        )
        .cast(dict(PATIENTS.schema))
    )  # type: ignore[arg-type]


def _commit(root: Path, site: str, n: int) -> int:
    with lake_lock(root):
        return commit_site_load(
            root,
            site=site,
            load_id=f"load-{site}-{n}",
            tables={"patients": _patients(site, n)},
            metadata={"spec_version": "1"},
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("IT-BOL", "site = 'IT-BOL'"),
        ("O'Hara", "site = 'O''Hara'"),
        ("x' OR '1'='1", "site = 'x'' OR ''1''=''1'"),
        (3, "site = 3"),
        (date(2020, 1, 2), "site = '2020-01-02'"),
    ],
)
def test_predicate_is_built_from_typed_values(value: str | int | date, expected: str) -> None:
    assert equals_predicate("site", value) == expected


def test_predicate_refuses_a_non_identifier_column() -> None:
    with pytest.raises(ValueError, match="plain column name"):
        equals_predicate("site; DROP", "x")


def test_empty_lake_is_a_lake_error(tmp_path: Path) -> None:
    with pytest.raises(LakeError, match="is empty"):
        open_lake(tmp_path / "nothing")


def test_site_overwrite_keeps_other_sites_and_versions_travel(tmp_path: Path) -> None:
    assert _commit(tmp_path, "A", 3) == 1
    assert _commit(tmp_path, "B", 2) == 2
    assert _commit(tmp_path, "A", 5) == 3
    latest = open_lake(tmp_path)
    assert latest.version == 3
    counts = latest.scan("patients").group_by("site").len().sort("site").collect()
    assert counts.rows() == [("A", 5), ("B", 2)]
    pinned = open_lake(tmp_path, lake_version=2).scan("patients").collect()
    assert pinned.group_by("site").len().sort("site").rows() == [("A", 3), ("B", 2)]
    assert latest.history()["site"].to_list() == ["A", "B", "A"]
    history = DeltaTable(str(tmp_path / "patients")).history(1)[0]
    assert (history["site"], history["load_id"], history["lake_version"]) == ("A", "load-A-5", "3")


def test_unknown_version_lists_the_valid_ones(tmp_path: Path) -> None:
    _commit(tmp_path, "A", 1)
    _commit(tmp_path, "B", 1)
    with pytest.raises(
        UnknownVersionError, match=r"no version 7; the newest is 2 \(valid versions: 1, 2\)"
    ):
        open_lake(tmp_path, lake_version=7)


def test_unknown_table_lists_the_tables(tmp_path: Path) -> None:
    _commit(tmp_path, "A", 1)
    with pytest.raises(LakeError, match="no table 'patient'; tables: patients"):
        open_lake(tmp_path).scan("patient")


def test_a_write_without_a_manifest_row_is_invisible(tmp_path: Path) -> None:
    from deltalake import write_deltalake

    _commit(tmp_path, "A", 2)
    # a load that died after writing a table but before its manifest row
    write_deltalake(
        str(tmp_path / "patients"),
        _patients("A", 9).to_arrow(),
        mode="overwrite",
        predicate="site = 'A'",
        partition_by=["site"],
    )
    assert open_lake(tmp_path).scan("patients").collect().height == 2


def test_failed_write_is_a_load_error_and_keeps_the_version(tmp_path: Path) -> None:
    from lake.errors import LoadError

    _commit(tmp_path, "A", 2)
    wrong = _patients("B", 1).with_columns(pl.lit(1).alias("unexpected"))
    with lake_lock(tmp_path), pytest.raises(LoadError, match="lake version 1 is intact"):
        commit_site_load(tmp_path, site="B", load_id="x", tables={"patients": wrong}, metadata={})
    assert open_lake(tmp_path).version == 1


def test_the_next_commit_drops_a_dead_loads_writes(tmp_path: Path) -> None:
    from deltalake import write_deltalake

    # a first load that died after creating the table: no lake version knows it
    write_deltalake(str(tmp_path / "patients"), _patients("A", 9).to_arrow(), partition_by=["site"])
    assert _commit(tmp_path, "B", 2) == 1
    assert open_lake(tmp_path).scan("patients").collect()["site"].to_list() == ["B", "B"]
    assert _commit(tmp_path, "A", 3) == 2
    # a later load of A that died after its table write, then B commits again
    write_deltalake(
        str(tmp_path / "patients"),
        _patients("A", 7).to_arrow(),
        mode="overwrite",
        predicate="site = 'A'",
        partition_by=["site"],
    )
    assert _commit(tmp_path, "B", 4) == 3
    counts = open_lake(tmp_path).scan("patients").group_by("site").len().sort("site")
    assert counts.collect().rows() == [("A", 3), ("B", 4)]


def test_columns_a_load_leaves_null_keep_the_tables_schema(tmp_path: Path) -> None:
    # _patients feeds 8 of the model's columns: the others are null in every row
    _commit(tmp_path, "A", 3)
    snapshot = open_lake(tmp_path)
    stored = snapshot.scan("patients").collect()
    assert stored.schema == PATIENTS.schema
    assert stored["birth_year"].null_count() == 3
    # a later load feeds one of them, and the next leaves it null again
    with lake_lock(tmp_path):
        fed = _patients("B", 2).with_columns(pl.lit(1950, pl.Int32).alias("birth_year"))
        commit_site_load(tmp_path, site="B", load_id="b", tables={"patients": fed}, metadata={})
    assert _commit(tmp_path, "A", 2) == 3
    by_site = (
        open_lake(tmp_path).scan("patients").group_by("site").agg(pl.col("birth_year").drop_nulls())
    )
    assert sorted(by_site.collect().rows()) == [("A", []), ("B", [1950, 1950])]
    assert open_lake(tmp_path).scan("patients").collect_schema() == PATIENTS.schema


def test_a_frame_of_another_schema_is_refused_not_merged(tmp_path: Path) -> None:
    from lake.errors import SchemaMigrationError

    _commit(tmp_path, "A", 2)
    retyped = _patients("B", 1).with_columns(pl.col("birth_year").cast(pl.Int64))
    refusal = (
        "table 'patients': column 'birth_year' is stored as Int32, model .* has Int64; .*"
        "lake version 1 is intact"
    )
    with lake_lock(tmp_path), pytest.raises(SchemaMigrationError, match=refusal):
        commit_site_load(tmp_path, site="B", load_id="x", tables={"patients": retyped}, metadata={})
    assert open_lake(tmp_path).scan("patients").collect_schema() == PATIENTS.schema


def test_the_opener_reuses_the_newest_snapshot_until_a_load_commits(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    opener = LakeOpener(root)
    assert manifest_log_version(root) is None
    with pytest.raises(LakeError, match="the lake is empty"):
        opener()
    first = _commit(root, "AMS", 3)
    commit = manifest_log_version(root)
    assert commit is not None
    newest = opener()
    assert newest.version == first
    assert opener() is newest  # no new manifest commit: the same snapshot, not a re-read
    second = _commit(root, "ROT", 2)
    assert manifest_log_version(root) == commit + 1  # the load's manifest commit
    assert opener().version == second
    assert opener().table_versions == open_lake(root).table_versions
    assert opener(first).table_versions == open_lake(root, first).table_versions
