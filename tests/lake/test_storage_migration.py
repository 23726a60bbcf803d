"""Additive schema migration: a lake written under the previous model takes the current model's
loads; any other schema difference is refused, naming table, column and both types."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from lake.errors import SchemaMigrationError
from lake.model import PATIENTS, TRANSPLANTS
from lake.storage import commit_site_load, lake_lock, open_lake

#: The columns model 1.2.0 added to transplants (1.1.0 is the model without them).
NEW_COLUMNS = ("stem_cell_source", "disease_status")


def _transplants(site: str, n: int, *, source: str | None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "patient_id": [f"{site}-{i}" for i in range(n)],
            "site": [site] * n,
            "transplant_type": ["allogeneic"] * n,
            "transplant_date": [date(2020, 1, 1 + i) for i in range(n)],
            "in_first_remission": [source is not None] * n,
            "stem_cell_source": [source] * n,
            "disease_status": ["CR1" if source is not None else None] * n,
        }
    ).select(
        pl.col(c).cast(d)
        if c
        in (
            "patient_id",
            "site",
            "transplant_type",
            "transplant_date",
            "in_first_remission",
            *NEW_COLUMNS,
        )
        else pl.lit(None, d).alias(c)
        for c, d in TRANSPLANTS.schema.items()
    )


def _commit(root: Path, site: str, frame: pl.DataFrame, table: str = "transplants") -> int:
    with lake_lock(root):
        return commit_site_load(
            root, site=site, load_id=f"load-{site}", tables={table: frame}, metadata={}
        )


def _delta_columns(root: Path, table: str, version: int) -> list[str]:
    return [f.name for f in DeltaTable(str(root / table), version=version).schema().fields]


@pytest.mark.parametrize("source", ["peripheral_blood", None], ids=["fed", "all-null"])
def test_a_previous_model_table_gains_the_new_columns_in_the_loads_commit(
    tmp_path: Path, source: str | None
) -> None:
    old = _transplants("A", 3, source="bone_marrow").drop(NEW_COLUMNS)
    assert _commit(tmp_path, "A", old) == 1
    before = open_lake(tmp_path, 1).table_versions["transplants"]
    assert not set(NEW_COLUMNS) & set(_delta_columns(tmp_path, "transplants", before))

    assert _commit(tmp_path, "B", _transplants("B", 2, source=source)) == 2

    after = open_lake(tmp_path).table_versions["transplants"]
    assert after == before + 1  # the schema change and the rows are one Delta commit
    assert set(NEW_COLUMNS) <= set(_delta_columns(tmp_path, "transplants", after))
    rows = open_lake(tmp_path).scan("transplants").collect().sort("patient_id")
    assert rows.height == 5
    assert rows.filter(pl.col("site") == "A")["stem_cell_source"].null_count() == 3
    assert rows.filter(pl.col("site") == "B")["stem_cell_source"].to_list() == [source] * 2
    # the old version still time-travels, read with the current model's columns (null)
    pinned = open_lake(tmp_path, 1).scan("transplants").collect()
    assert pinned.collect_schema() == open_lake(tmp_path).scan("transplants").collect_schema()
    assert pinned["site"].to_list() == ["A"] * 3
    assert pinned.select(pl.col(list(NEW_COLUMNS)).null_count()).row(0) == (3, 3)


def test_a_migrated_table_takes_the_next_load_without_migrating_again(tmp_path: Path) -> None:
    _commit(tmp_path, "A", _transplants("A", 3, source="cord_blood").drop(NEW_COLUMNS))
    _commit(tmp_path, "B", _transplants("B", 2, source=None))
    assert _commit(tmp_path, "A", _transplants("A", 1, source="cord_blood")) == 3
    rows = open_lake(tmp_path).scan("transplants").collect()
    assert rows.filter(pl.col("site") == "A")["stem_cell_source"].to_list() == ["cord_blood"]


def _refused(root: Path, site: str, frame: pl.DataFrame, *patterns: str) -> None:
    stored = DeltaTable(str(root / "transplants")).version()
    with pytest.raises(SchemaMigrationError) as caught:
        _commit(root, site, frame)
    message = str(caught.value)
    for pattern in (*patterns, "lake version 1 is intact"):
        assert pattern in message
    assert open_lake(root).version == 1
    assert DeltaTable(str(root / "transplants")).version() == stored  # nothing written


def test_a_type_change_is_refused_naming_table_column_and_both_types(tmp_path: Path) -> None:
    stored = _transplants("A", 2, source="bone_marrow").with_columns(
        pl.col("in_first_remission").cast(pl.String)
    )
    _commit(tmp_path, "A", stored)
    _refused(
        tmp_path,
        "B",
        _transplants("B", 1, source=None),
        "table 'transplants'",
        "column 'in_first_remission' is stored as String",
        "has Boolean",
        "rebuild the lake",
    )


def test_a_removed_column_is_refused(tmp_path: Path) -> None:
    stored = _transplants("A", 2, source=None).with_columns(pl.lit("x").alias("graft_code"))
    _commit(tmp_path, "A", stored)
    _refused(
        tmp_path,
        "B",
        _transplants("B", 1, source=None),
        "table 'transplants': stored column 'graft_code' (String) is not in model",
    )


def test_a_new_required_column_is_refused(tmp_path: Path) -> None:
    _commit(tmp_path, "A", _transplants("A", 2, source=None).drop("transplant_type"))
    _refused(
        tmp_path,
        "B",
        _transplants("B", 1, source=None),
        "adds required column 'transplant_type' (String), which the stored rows cannot hold",
    )


def test_a_column_outside_the_model_is_refused(tmp_path: Path) -> None:
    _commit(tmp_path, "A", _transplants("A", 2, source=None))
    extra = _transplants("B", 1, source=None).with_columns(pl.lit(1).alias("unexpected"))
    _refused(tmp_path, "B", extra, "column 'unexpected' (Int32) is not in model")


def test_every_table_is_checked_before_any_is_written(tmp_path: Path) -> None:
    patients = pl.DataFrame(
        {"patient_id": ["A-0"], "site": ["A"]}, schema={"patient_id": pl.String, "site": pl.String}
    ).select(
        pl.col(c) if c in ("patient_id", "site") else pl.lit(None, d).alias(c)
        for c, d in PATIENTS.schema.items()
    )
    with lake_lock(tmp_path):
        commit_site_load(
            tmp_path,
            site="A",
            load_id="a",
            tables={
                "patients": patients,
                "transplants": _transplants("A", 1, source=None).with_columns(
                    pl.col("in_first_remission").cast(pl.String)
                ),
            },
            metadata={},
        )
    written = DeltaTable(str(tmp_path / "patients")).version()
    with lake_lock(tmp_path), pytest.raises(SchemaMigrationError, match="in_first_remission"):
        commit_site_load(
            tmp_path,
            site="B",
            load_id="b",
            tables={
                "patients": patients.with_columns(pl.lit("B").alias("site")),
                "transplants": _transplants("B", 1, source=None),
            },
            metadata={},
        )
    assert DeltaTable(str(tmp_path / "patients")).version() == written
