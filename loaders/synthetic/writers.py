"""Write export frames byte-for-byte reproducibly: CSV (any separator/encoding), XLSX, Parquet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import polars as pl
import xlsxwriter
from lake.errors import ConfigError

from loaders.synthetic.profile import FileProfile

#: Fixed workbook creation time so the same seed gives byte-identical XLSX files.
_XLSX_CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
#: Data rows an XLSX worksheet holds below its header: the format's 2**20 = 1,048,576 rows
#: (Excel specifications and limits) minus one. xlsxwriter silently drops any row past it.
XLSX_MAX_DATA_ROWS: Final = 2**20 - 1


def write_csv(frame: pl.DataFrame, path: Path, file: FileProfile) -> None:
    """CSV with the file's separator and encoding; every cell already text."""
    text = frame.write_csv(separator=file.separator, include_header=True, line_terminator="\n")
    path.write_bytes(text.encode(file.encoding))


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    """Parquet, zstd-compressed, statistics on."""
    frame.write_parquet(path, compression="zstd", statistics=True)


def require_sheet_fits(frame: pl.DataFrame, path: Path, sheet: str) -> None:
    """Refuse a frame one worksheet cannot hold, before anything is written.

    Raises
    ------
    ConfigError
        ``frame`` has more than :data:`XLSX_MAX_DATA_ROWS` rows: written anyway, the sheet
        would silently lose the rest while ``expected.json`` counted them.
    """
    if frame.height > XLSX_MAX_DATA_ROWS:
        raise ConfigError(
            f"{path.name} sheet {sheet!r}: {frame.height:,} rows do not fit in an XLSX "
            f"worksheet (at most {XLSX_MAX_DATA_ROWS:,} below the header); generate fewer "
            "patients for this site (--patients)"
        )


def write_workbook(sheets: Sequence[tuple[str, pl.DataFrame]], path: Path) -> None:
    """One XLSX workbook, one sheet per frame. Cells that parse as numbers are written as
    numbers (as a site's spreadsheet holds them); all others as text. A sheet too long for
    the format is refused before the file is opened (:func:`require_sheet_fits`)."""
    for name, frame in sheets:
        require_sheet_fits(frame, path, name)
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    workbook.set_properties({"created": _XLSX_CREATED, "author": "hemalake synthetic"})
    try:
        for name, frame in sheets:
            sheet = workbook.add_worksheet(name)
            sheet.write_row(0, 0, frame.columns)
            for j, column in enumerate(frame.columns):
                sheet.write_column(1, j, [_cell(v) for v in frame[column].to_list()])
    finally:
        workbook.close()


def _cell(value: object) -> object:
    if value is None:
        return ""
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        return text
    if text.strip() != text or text.lower() in {"nan", "inf", "-inf", "infinity"}:
        return text
    return int(number) if number.is_integer() and "." not in text else number
