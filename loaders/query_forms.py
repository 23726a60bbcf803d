"""Data query forms: a site's live queries as an XLSX or CSV file it can act on, and back.

The data centre exports a form per site (:func:`form_frame`, :func:`write_form`): one row per
open or answered query with its id, the check, the site's own file and column (the mapping
spec inverted at load time, :func:`loaders.data_queries.in_site_terms`), the harmonised table
and field, the value in question, what is expected, the message, the pseudonym and an empty
``reply``. The site adds its own patient ids locally (:mod:`loaders.reidentification`), fills
``reply`` and sends the form back *without* its ids; :func:`read_replies` reads the replies and
refuses a form carrying any column the export did not have (a column of site ids included).

The XLSX is written with ``xlsxwriter`` (already a dependency, via Polars) with every value a
text cell: no formula, URL or number conversion, so a value such as ``=1+1`` stays text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import fastexcel
import polars as pl
import xlsxwriter
from lake.errors import ConfigError, SourceError

from loaders.readers import check_xlsx_size

#: The form's columns, in order (``reply`` is the site's).
FORM_COLUMNS: Final = (
    "query_id",
    "check",
    "state",
    "file",
    "column",
    "table",
    "field",
    "value",
    "expected",
    "message",
    "pseudonym",
    "reply",
)
FORM_FORMATS: Final = (".xlsx", ".csv")
_SHEET: Final = "data queries"


def form_frame(queries: pl.DataFrame, states: pl.DataFrame) -> pl.DataFrame:
    """The form rows of ``queries`` (``_data_queries`` of one site) that are open or answered
    in ``states`` (:func:`loaders.query_lifecycle.current_states`), with the latest reply; a
    query without any recorded transition (the load's could not be written) is open."""
    joined = queries.join(
        states.select("query_id", "state", pl.col("note").alias("_note")),
        on="query_id",
        how="left",
    ).with_columns(pl.col("state").fill_null("open"))  # its transitions were not recorded yet
    return (
        joined.filter(pl.col("state").is_in(["open", "answered"]))
        .select(
            "query_id",
            pl.col("query").alias("check"),
            "state",
            pl.col("source_file").alias("file"),
            pl.coalesce("source_column", "field").alias("column"),
            "table",
            "field",
            "value",
            "expected",
            "message",
            pl.col("patient_id").alias("pseudonym"),
            pl.when(pl.col("state") == "answered").then(pl.col("_note")).alias("reply"),
        )
        .sort("file", "column", "check", "pseudonym", nulls_last=True)
    )


def write_form(frame: pl.DataFrame, path: Path) -> None:
    """Write ``frame`` (every column text) as XLSX or CSV, by ``path``'s suffix."""
    suffix = _suffix(path)
    text = frame.with_columns(pl.all().cast(pl.String))
    if suffix == ".csv":
        text.write_csv(path)
        return
    with xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    ) as workbook:
        text.write_excel(workbook, worksheet=_SHEET, autofit=True)


def read_form(path: Path) -> pl.DataFrame:
    """A form file (XLSX or CSV) as text columns; empty cells are null.

    Raises
    ------
    SourceError
        The file cannot be read as a form (naming the file, never its contents).
    """
    suffix = _suffix(path)
    try:
        if suffix == ".csv":
            return pl.read_csv(path, infer_schema=False, encoding="utf8")
        check_xlsx_size(path)
        return pl.read_excel(path, engine="calamine", infer_schema_length=0)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the form ({exc.strerror})") from exc
    except (pl.exceptions.PolarsError, fastexcel.FastExcelError, UnicodeDecodeError) as exc:
        raise SourceError(
            f"{path}: not a readable {suffix[1:].upper()} query form ({type(exc).__name__}); "
            "send back the form as exported, with the replies filled in"
        ) from exc


def read_replies(path: Path) -> pl.DataFrame:
    """``query_id`` and ``reply`` of an answered form; rows without a reply are dropped.

    Raises
    ------
    SourceError
        The form cannot be read, lacks ``query_id`` or ``reply``, or has a column the export
        did not write (site patient ids must stay at the site: remove the column).
    """
    form = read_form(path)
    extra = [c for c in form.columns if c not in FORM_COLUMNS]
    if extra:
        raise SourceError(
            f"{path}: column(s) {', '.join(repr(c) for c in extra[:5])} are not part of the "
            "query form. Send back the form as exported with only `reply` filled in; if it "
            "holds your patient ids (`hemalake queries reidentify`), remove them with "
            "`hemalake queries reidentify FORM --spec SPEC --remove` first"
        )
    missing = [c for c in ("query_id", "reply") if c not in form.columns]
    if missing:
        raise SourceError(f"{path}: the form has no {' or '.join(missing)} column")
    return form.select("query_id", "reply").filter(
        pl.col("query_id").is_not_null() & pl.col("reply").is_not_null()
    )


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORM_FORMATS:
        raise ConfigError(f"{path}: a query form is .xlsx or .csv, not {suffix or 'no suffix'!r}")
    return suffix
