"""The export writers: an XLSX sheet too long for the format is refused, not truncated."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from lake.errors import ConfigError
from loaders.synthetic.writers import XLSX_MAX_DATA_ROWS, write_workbook


def test_the_sheet_limit_is_the_writers() -> None:
    from xlsxwriter.worksheet import Worksheet

    # the rows xlsxwriter keeps (it drops any past ``xls_rowmax``), one of them the header
    assert Worksheet().xls_rowmax - 1 == XLSX_MAX_DATA_ROWS


def test_a_sheet_past_the_limit_is_refused_before_the_file_is_written(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    fits = pl.DataFrame({"id": ["P1", "P2"]})
    too_long = pl.DataFrame({"id": pl.int_range(XLSX_MAX_DATA_ROWS + 1, eager=True)})
    with pytest.raises(ConfigError, match=r"sheet 'lines': 1,048,576 rows do not fit"):
        write_workbook([("patients", fits), ("lines", too_long)], path)
    assert not path.exists()


def test_sheets_within_the_limit_are_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    patients = pl.DataFrame({"id": ["P1", "P2", "P3"], "age": ["61", "70.5", ""]})
    write_workbook([("patients", patients), ("empty", patients.clear())], path)
    back = pl.read_excel(path, sheet_name="patients", infer_schema_length=0)
    assert back["id"].to_list() == ["P1", "P2", "P3"]
    assert back["age"].to_list() == ["61", "70.5", None]
