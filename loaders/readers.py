"""Read a site export into frames of strings, one per file, with the source row number.

Every column is read as text first so nothing is silently coerced (a ``"3,5"`` stays ``"3,5"``
until the mapper parses it with the file's decimal convention and reports what fails). Each
frame carries ``_row``: the row a data manager sees when opening the file, i.e. for CSV and
XLSX the header is row 1 and the first record row 2; for Parquet the 1-based record index.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import fastexcel
import polars as pl
from lake.errors import SourceError

from loaders.spec_types import FileSpec

ROW: Final = "_row"
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
    try:
        if spec.format == "csv":
            frame = _read_csv(spec.path, separator=spec.separator, encoding=spec.encoding)
            frame = frame.with_row_index(ROW, offset=2)
        elif spec.format == "xlsx":
            frame = _read_xlsx(spec.path, sheet=spec.sheet).with_row_index(ROW, offset=2)
        elif spec.format == "parquet":
            frame = _read_parquet(spec).with_row_index(ROW, offset=1)
        else:
            raise ValueError(f"read_file cannot read format {spec.format}; use read_omop")
    except _READ_ERRORS as exc:
        raise SourceError(f"{spec.path}: cannot read the {spec.format} file: {exc}") from exc
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
        try:
            frame = _read_csv(path, separator=spec.separator, encoding=spec.encoding)
        except _READ_ERRORS as exc:
            raise SourceError(f"{path}: cannot read the OMOP {name} table: {exc}") from exc
        require_columns(frame, columns, where=str(path))
        tables[name] = (
            frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64)).rechunk()
        )
    if "person" not in tables:
        raise SourceError(f"{spec.path}: the OMOP extract has no person.csv")
    return tables


def require_columns(frame: pl.DataFrame, columns: Iterable[str], *, where: str) -> None:
    """Raise a ``SourceError`` naming the file and the first declared column it lacks."""
    present = set(frame.columns)
    for column in columns:
        if column not in present:
            found = ", ".join(c for c in frame.columns if c != ROW)
            raise SourceError(
                f"{where}: column {column!r} declared in the mapping spec is not "
                f"in the file; columns found: {found}"
            )


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


def _read_csv(path: Path, *, separator: str, encoding: str) -> pl.DataFrame:
    source: Path | io.BytesIO = path
    if encoding == "latin-1":
        source = io.BytesIO(path.read_bytes().decode("latin-1").encode("utf-8"))
    return pl.read_csv(source, separator=separator, infer_schema=False, encoding="utf8")


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
