"""Read a site export into frames of strings, one per file, with the source row number.

Every column is read as text first so nothing is silently coerced (a ``"3,5"`` stays ``"3,5"``
until the mapper parses it with the file's decimal convention and reports what fails). Each
frame carries ``_row``: the row a data manager sees when opening the file, i.e. for CSV and
XLSX the header is row 1 and the first record row 2; for Parquet the 1-based record index.

A CSV record with fewer fields than the header (the last line of an export cut short, or a
ragged row) keeps its row, marked in ``_short`` with the number of fields it has, so the
``short_record`` check quarantines it instead of letting its missing fields read as empty.

Messages name the file, the row (and the byte offset when that is all there is) and what to
change in the spec; they never quote the file's content: a broken or foreign file must not put
patient ids or other bytes into the terminal or the lake's load log.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

import fastexcel
import polars as pl
from lake.errors import SourceError

from loaders.spec_types import FileSpec

ROW: Final = "_row"
#: Fields present in a CSV record shorter than the header; null for a complete record.
SHORT: Final = "_short"
#: The largest worksheet an XLSX may declare (rows x columns), checked before reading: the
#: reader allocates the declared grid, and ``A1:XFD1048576`` asks for 512 GiB.
MAX_XLSX_CELLS: Final = 25_000_000
#: The largest uncompressed worksheet XML an XLSX may hold (a zip bomb is refused unread).
MAX_XLSX_SHEET_BYTES: Final = 4 << 30
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"')
#: OMOP CDM v5.4 tables read from an extract directory, with the columns the loader uses.
OMOP_TABLES: Final[dict[str, tuple[str, ...]]] = {
    "person": ("person_id", "gender_concept_id", "year_of_birth"),
    "condition_occurrence": ("person_id", "condition_start_date"),
    "measurement": ("person_id", "measurement_date", "measurement_source_value", "value_as_number"),
    "death": ("person_id", "death_date"),
    "drug_exposure": (
        "person_id",
        "drug_source_value",
        "drug_exposure_start_date",
        "drug_exposure_end_date",
    ),
    "procedure_occurrence": ("person_id", "procedure_source_value", "procedure_date"),
    "observation_period": ("person_id", "observation_period_end_date"),
}
_READ_ERRORS = (OSError, UnicodeDecodeError, pl.exceptions.PolarsError, fastexcel.FastExcelError)


def read_file(spec: FileSpec) -> pl.DataFrame:
    """The export file of ``spec`` as strings plus ``_row``; declared columns must exist.

    Raises
    ------
    SourceError
        The file cannot be read, or lacks a column the spec declares.
    """
    if spec.format == "csv":
        frame = _read_csv(spec.path, separator=spec.separator, encoding=spec.encoding)
        frame = frame.with_row_index(ROW, offset=2)
    elif spec.format == "xlsx":
        check_xlsx_size(spec.path)
        frame = _guarded(spec, lambda: _read_xlsx(spec.path, sheet=spec.sheet))
        frame = frame.with_row_index(ROW, offset=2)
    elif spec.format == "parquet":
        frame = _guarded(spec, lambda: _read_parquet(spec)).with_row_index(ROW, offset=1)
    else:
        raise ValueError(f"read_file cannot read format {spec.format}; use read_omop")
    declared = [spec.id_column or "", *(m.source for m in spec.columns)]
    require_columns(frame, declared, where=str(spec.path))
    # one chunk: a deterministic layout whatever the reader's thread split was
    return frame.with_columns(pl.col(ROW).cast(pl.Int64)).rechunk()


def read_omop(spec: FileSpec) -> dict[str, pl.DataFrame]:
    """The OMOP CDM tables present in the extract directory of ``spec``, as strings + ``_row``.

    ``person.csv`` must exist; the other tables are optional.
    """
    if not spec.path.is_dir():
        raise SourceError(f"{spec.path}: the OMOP extract directory does not exist")
    tables: dict[str, pl.DataFrame] = {}
    for name, columns in OMOP_TABLES.items():
        path = spec.path / f"{name}.csv"
        if not path.exists():
            continue
        if not path.resolve().is_relative_to(spec.path):
            raise SourceError(
                f"{path}: a symbolic link leading outside the OMOP extract directory; copy "
                "the table into the directory"
            )
        frame = _read_csv(path, separator=spec.separator, encoding=spec.encoding)
        require_columns(frame, columns, where=str(path))
        tables[name] = (
            frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64)).rechunk()
        )
    if "person" not in tables:
        raise SourceError(f"{spec.path}: the OMOP extract has no person.csv")
    return tables


def require_columns(frame: pl.DataFrame, columns: Iterable[str], *, where: str) -> None:
    """Raise a ``SourceError`` naming the file and the first declared column it lacks.

    The header is not listed (the first line of a wrong file may be anything, a secret
    included): only header names close to the declared one are suggested.
    """
    present = [c for c in frame.columns if c not in (ROW, SHORT)]
    for column in columns:
        if column not in present:
            close = difflib.get_close_matches(column, present, n=3, cutoff=0.75)
            hint = f"; close names in the header: {', '.join(close)}" if close else ""
            raise SourceError(
                f"{where}: column {column!r} declared in the mapping spec is not in the "
                f"file's header ({len(present)} column(s){hint}); fix the column name in "
                "the spec or the export's header"
            )


def check_xlsx_size(path: Path) -> None:
    """Refuse, unread, a workbook whose worksheets declare more than :data:`MAX_XLSX_CELLS`
    cells or hold more than :data:`MAX_XLSX_SHEET_BYTES` of XML.

    Raises
    ------
    SourceError
        The file is not an XLSX workbook, or a worksheet is too large to read.
    """
    try:
        with zipfile.ZipFile(path) as workbook:
            for info in workbook.infolist():
                if not (
                    info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
                ):
                    continue
                if info.file_size > MAX_XLSX_SHEET_BYTES:
                    raise SourceError(
                        f"{path}: worksheet {info.filename} holds {info.file_size:,} bytes of "
                        f"XML, more than the {MAX_XLSX_SHEET_BYTES:,} a load reads; export "
                        "the table as CSV instead"
                    )
                with workbook.open(info) as sheet:
                    head = sheet.read(64 << 10)
                _check_dimension(path, info.filename, head)
    except (OSError, zipfile.BadZipFile) as exc:
        raise SourceError(
            f"{path}: not a readable XLSX workbook; check the file, or `format:` in the "
            f"spec's file entry ({type(exc).__name__})"
        ) from exc


def _check_dimension(path: Path, sheet: str, head: bytes) -> None:
    match = _DIMENSION.search(head)
    if match is None or match.group(3) is None:
        return
    rows = int(match.group(4)) - int(match.group(2)) + 1
    columns = _column_number(match.group(3)) - _column_number(match.group(1)) + 1
    if rows * columns > MAX_XLSX_CELLS:
        raise SourceError(
            f"{path}: worksheet {sheet} declares {rows:,} rows x {columns:,} columns, more "
            f"than the {MAX_XLSX_CELLS:,} cells a load reads (a sheet formatted down to its "
            "last row declares the whole grid); delete the empty rows and columns or export "
            "the table as CSV"
        )


def _column_number(letters: bytes) -> int:
    """``b"A"`` -> 1, ``b"XFD"`` -> 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def source_digest(spec: FileSpec) -> str:
    """SHA-256 of the file's bytes (of every file, in name order, for an OMOP directory)."""
    paths = sorted(spec.path.glob("*.csv")) if spec.path.is_dir() else [spec.path]
    digest = hashlib.sha256()
    try:
        for path in paths:
            with path.open("rb") as handle:
                digest.update(path.name.encode() if spec.path.is_dir() else b"")
                while block := handle.read(1 << 20):
                    digest.update(block)
    except OSError as exc:
        raise SourceError(f"{spec.path}: cannot read the file ({exc.strerror})") from exc
    return digest.hexdigest()


def _guarded(spec: FileSpec, read: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """``read()``, its failures as a ``SourceError`` that does not quote the file."""
    try:
        return read()
    except OSError as exc:
        raise SourceError(f"{spec.path}: cannot read the file ({exc.strerror})") from exc
    except _READ_ERRORS as exc:
        sheet = f" (is sheet {spec.sheet!r} in the workbook?)" if spec.sheet else ""
        raise SourceError(
            f"{spec.path}: not a readable {spec.format} file{sheet}; check the file, or "
            f"`format:` in the spec's file entry ({type(exc).__name__})"
        ) from exc


def _read_csv(path: Path, *, separator: str, encoding: str) -> pl.DataFrame:
    """The CSV as text columns plus :data:`SHORT` (see :func:`_short_records`)."""
    try:
        source: Path | io.BytesIO = path
        if encoding == "latin-1":
            source = io.BytesIO(path.read_bytes().decode("latin-1").encode("utf-8"))
        frame = pl.read_csv(source, separator=separator, infer_schema=False, encoding="utf8")
        short = _short_records(path, separator=separator, encoding=encoding, width=frame.width)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the file ({exc.strerror})") from exc
    except (*_READ_ERRORS, csv.Error) as exc:
        raise SourceError(f"{path}: {csv_problem(path, separator, encoding)}") from exc
    fields = pl.Series(SHORT, [None] * frame.height, dtype=pl.Int64)
    if short:
        fields = fields.scatter(list(short), list(short.values()))
    return frame.with_columns(fields)


def _short_records(path: Path, *, separator: str, encoding: str, width: int) -> dict[int, int]:
    """Record index -> field count of every record with fewer fields than the header.

    Polars pads a short record with nulls and reads an empty field as null too, so the
    field counts come from a second, streaming parse (the standard ``csv`` module: quoted
    separators and line breaks count as Polars counts them; memory stays one record).
    """
    short: dict[int, int] = {}
    text_encoding = "utf-8-sig" if encoding == "utf-8" else "latin-1"
    with path.open(encoding=text_encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=separator)
        next(reader, None)
        for index, record in enumerate(reader):
            if len(record) < width:
                short[index] = len(record)
    return short


def csv_problem(path: Path, separator: str, encoding: str) -> str:
    """Where and why ``path`` does not parse as CSV, in the spec's terms, quoting nothing."""
    data = path.read_bytes()
    if not data.strip():
        return "the file is empty; export the table with its header row"
    if b"\x00" in data[: 64 << 10]:
        return (
            "not a CSV text file (it holds binary data); export the table as CSV, or fix "
            "`path:` / `format:` in the spec's file entry"
        )
    try:
        text = data.decode("utf-8" if encoding == "utf-8" else "latin-1")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return (
            f"byte offset {exc.start} (line {line}) is not valid UTF-8; if the export is "
            "Latin-1 / Windows-1252 set `encoding: latin-1` in the spec's file entry, "
            "otherwise re-export the file as UTF-8"
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    row, line = 1, 0
    try:
        width = len(next(reader, []))
        line = reader.line_num
        for record in reader:
            row += 1
            if len(record) > width:
                return (
                    f"row {row} (line {line + 1}) has {len(record)} fields, the header "
                    f"{width}: a value holds the separator {separator!r} unquoted, or the "
                    "spec's `separator:` is not the file's; quote such values in the export "
                    "or fix `separator:`"
                )
            line = reader.line_num
    except csv.Error:
        return (
            f"row {row + 1} (line {line + 1}): a quote opens a value that is never closed "
            "(or a value has a stray quote); fix that row of the export"
        )
    return (
        f"cannot be parsed as CSV with separator {separator!r} and encoding {encoding}; "
        "check `separator:` and `encoding:` in the spec's file entry"
    )


def _read_xlsx(path: Path, *, sheet: str | None) -> pl.DataFrame:
    if sheet is None:
        return pl.read_excel(path, engine="calamine", infer_schema_length=0)
    return pl.read_excel(path, engine="calamine", sheet_name=sheet, infer_schema_length=0)


def _read_parquet(spec: FileSpec) -> pl.DataFrame:
    """Parquet is typed: render every column as text the way the spec expects to parse it."""
    frame = pl.read_parquet(spec.path)
    formats = {m.source: spec.date_format_of(m) for m in spec.columns}
    exprs = []
    for name, dtype in frame.schema.items():
        if dtype.is_temporal():
            exprs.append(pl.col(name).dt.to_string(formats.get(name, spec.date_format)))
        elif dtype == pl.Boolean():
            exprs.append(pl.col(name).cast(pl.String).str.to_lowercase())
        else:
            exprs.append(pl.col(name).cast(pl.String))
    return frame.select(exprs)
