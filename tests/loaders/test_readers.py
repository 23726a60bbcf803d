"""Readers keep every value as text, carry source row numbers, and name what is missing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from lake.errors import SourceError
from loaders.readers import read_file
from loaders.spec_types import ColumnMapping, FileFormat, FileSpec


def _spec(path: Path, fmt: FileFormat, **options: object) -> FileSpec:
    columns = (
        ColumnMapping("eta", 1, "patients", "age_at_diagnosis"),
        ColumnMapping("data", 2, "patients", "diagnosis_date"),
    )
    return FileSpec(
        name=path.name, path=path, line=1, format=fmt, id_column="id", columns=columns, **options
    )  # type: ignore[arg-type]


def test_csv_values_stay_text_with_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("id;eta;data\n007;61,5;01/02/2019\n008;;x\n")
    frame = read_file(_spec(path, "csv", separator=";"))
    assert frame.schema["eta"] == pl.String
    assert frame.select("_row", "id", "eta").rows() == [(2, "007", "61,5"), (3, "008", None)]


def test_latin1_csv_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes("id,eta,data,note\nP1,61,2019-01-01,Sì\n".encode("latin-1"))
    assert read_file(_spec(path, "csv", encoding="latin-1"))["note"].to_list() == ["Sì"]


def test_xlsx_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    pl.DataFrame({"id": ["P1", "P2"], "eta": [61.5, 70], "data": ["2019-01-01", "x"]}).write_excel(
        path, worksheet="Pazienti"
    )
    frame = read_file(_spec(path, "xlsx", sheet="Pazienti"))
    assert frame.select("_row", "eta").rows() == [(2, "61.5"), (3, "70")]


def test_parquet_dates_are_rendered_in_the_spec_format(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pl.DataFrame({"id": ["P1"], "eta": [61.5], "data": [date(2019, 2, 1)]}).write_parquet(path)
    frame = read_file(_spec(path, "parquet", date_format="%d/%m/%Y"))
    assert frame.select("_row", "eta", "data").rows() == [(1, "61.5", "01/02/2019")]


def test_missing_declared_column_names_file_and_column(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("id,eta,Data\nP1,61,1\n")
    with pytest.raises(SourceError, match=r"p.csv: column 'data' declared .*: Data\)") as raised:
        read_file(_spec(path, "csv"))
    assert "eta" not in str(raised.value)  # the header is not listed, only close names


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(SourceError, match=r"p.xlsx: not a readable XLSX workbook"):
        read_file(_spec(path, "xlsx"))
    with pytest.raises(SourceError, match="cannot read"):
        read_file(_spec(tmp_path / "absent.csv", "csv"))
