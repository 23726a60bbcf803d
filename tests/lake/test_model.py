"""The harmonised model is internally consistent."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.model import (
    CLINICAL_TABLES,
    IMWG_RESPONSES,
    MODEL_VERSION,
    RESPONSE_CODES,
    STRUCTURE_FINGERPRINTS,
    Column,
    Table,
    structure_fingerprint,
    table,
)


def test_units_are_spelled_in_measurement_column_names() -> None:
    suffix = {
        "mg/L": "_mg_l",
        "g/dL": "_g_dl",
        "U/L": "_u_l",
        "mg/dL": "_mg_dl",
        "10^9/L": "_10e9_l",
        "%": "_pct",
        "cm": "_cm",
        "kg": "_kg",
    }
    for tbl in CLINICAL_TABLES:
        for col in tbl.columns:
            if col.unit in suffix and tbl.name == "baseline":
                assert col.name.endswith(suffix[col.unit]), col.name


def test_valid_ranges_are_ordered() -> None:
    for tbl in CLINICAL_TABLES:
        for col in tbl.columns:
            if col.valid_range is not None:
                assert col.valid_range[0] < col.valid_range[1], col.name


def test_response_scale_is_ordered_worst_first_and_ne_outside_it() -> None:
    assert IMWG_RESPONSES[0] == "PD"
    assert IMWG_RESPONSES[-1] == "sCR"
    assert "NE" in RESPONSE_CODES
    assert "NE" not in IMWG_RESPONSES


def test_unknown_table_error_lists_valid_names() -> None:
    with pytest.raises(KeyError, match="valid tables: patients, baseline"):
        table("patient")


def test_structure_matches_the_fingerprint_committed_for_the_model_version() -> None:
    current = structure_fingerprint()
    assert STRUCTURE_FINGERPRINTS.get(MODEL_VERSION) == current, (
        f"the model's structure changed without a MODEL_VERSION bump: bump MODEL_VERSION "
        f"(now {MODEL_VERSION}) and add its fingerprint {current!r} to STRUCTURE_FINGERPRINTS"
    )


def test_model_version_is_the_newest_committed_one() -> None:
    versions = [tuple(int(p) for p in v.split(".")) for v in STRUCTURE_FINGERPRINTS]
    assert versions == sorted(versions)
    assert len(set(versions)) == len(versions)
    assert next(reversed(STRUCTURE_FINGERPRINTS)) == MODEL_VERSION


_COLUMNS = [(t, c) for t in CLINICAL_TABLES for c in t.columns]


def _with_column(tbl: Table, old: Column, new: Column) -> list[Table]:
    changed = replace(tbl, columns=tuple(new if c is old else c for c in tbl.columns))
    return [changed if t is tbl else t for t in CLINICAL_TABLES]


@settings(derandomize=True, deadline=None)
@given(st.sampled_from(_COLUMNS), st.sampled_from(["name", "dtype", "required", "unit", "range"]))
def test_any_structural_change_of_a_column_changes_the_fingerprint(
    located: tuple[Table, Column], change: str
) -> None:
    tbl, col = located
    new = {
        "name": lambda: replace(col, name=col.name + "_x"),
        "dtype": lambda: replace(col, dtype=pl.Int8() if col.dtype != pl.Int8() else pl.Int16()),
        "required": lambda: replace(col, required=not col.required),
        "unit": lambda: replace(col, unit=(col.unit or "") + "x"),
        "range": lambda: replace(col, valid_range=(-1.0, -0.5)),
    }[change]()
    assert structure_fingerprint(_with_column(tbl, col, new)) != structure_fingerprint()


@settings(derandomize=True, deadline=None)
@given(st.sampled_from([(t, c) for t, c in _COLUMNS if c.codes]))
def test_a_code_list_change_changes_the_fingerprint(located: tuple[Table, Column]) -> None:
    tbl, col = located
    assert col.codes is not None
    new = replace(
        col, codes=col.codes[:-1], omop_codes=col.omop_codes[:-1], unranked=col.unranked[:-1]
    )
    assert structure_fingerprint(_with_column(tbl, col, new)) != structure_fingerprint()


def test_table_order_and_keys_are_part_of_the_structure() -> None:
    reordered = [CLINICAL_TABLES[1], CLINICAL_TABLES[0], *CLINICAL_TABLES[2:]]
    assert structure_fingerprint(reordered) != structure_fingerprint()
    rekeyed = [replace(CLINICAL_TABLES[0], key=("site",)), *CLINICAL_TABLES[1:]]
    assert structure_fingerprint(rekeyed) != structure_fingerprint()


@settings(derandomize=True, deadline=None)
@given(st.sampled_from(_COLUMNS))
def test_annotations_do_not_change_the_fingerprint(located: tuple[Table, Column]) -> None:
    tbl, col = located
    new = replace(col, description="reworded", omop=None, no_omop="annotated", loinc="0000-0")
    assert structure_fingerprint(_with_column(tbl, col, new)) == structure_fingerprint()
