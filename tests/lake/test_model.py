"""The harmonised model is internally consistent."""

from __future__ import annotations

import pytest

from lake.model import CLINICAL_TABLES, IMWG_RESPONSES, RESPONSE_CODES, table


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
