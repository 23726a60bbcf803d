"""Named row checks: each returns the failing rows of one mapped part with an actionable message.

Every check is a :class:`RowCheck` with a stable ``name`` (stored with each quarantined row) and a
pure function from a :class:`~loaders.mapping.MappedPart` to an issue frame
(:data:`loaders.issues.ISSUE_SCHEMA`). Messages name the source row, file and column and say
what to fix, e.g. ``row 17 of pazienti.csv: diagnosis_date '31/02/2019' (column data_diagn) is
not a date in format %d/%m/%Y``. They never quote the site's patient id.

Checks comparing two columns of a row live in :mod:`loaders.checks_pairs`; table-level and
cross-table checks (duplicate keys, orphans, date order) in :mod:`loaders.checks_cross`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Final

import polars as pl
from lake.model import TABLES_BY_NAME

from loaders.checks_pairs import (
    end_before_start,
    entry_before_birth,
    entry_before_diagnosis,
    gvhd_organ_mismatch,
    relation_mismatch,
    remission_status_mismatch,
)
from loaders.issues import concat_issues, issues, where
from loaders.mapping import MappedColumn, MappedPart, raw_name
from loaders.readers import SHORT
from loaders.spec_targets import allowed_codes
from loaders.units import normalise_unit

#: Dates before this are typing errors in a haematology registry.
EARLIEST_DATE: Final = date(1900, 1, 1)
#: Albumin above this many g/dL is not physiological: almost surely g/L labelled as g/dL.
ALBUMIN_MAX_G_DL: Final = 7.0


@dataclass(frozen=True, slots=True)
class RowCheck:
    """A named check over one mapped part."""

    name: str
    description: str
    run: Callable[[MappedPart], pl.DataFrame]


def _failed_parse(col: MappedColumn) -> pl.Expr:
    return pl.col(raw_name(col.name)).is_not_null() & pl.col(col.name).is_null()


def _quoted(col: MappedColumn) -> pl.Expr:
    """``diagnosis_date '31/02/2019' (column data_diagn)``."""
    return pl.format(
        "{} '{}' (column {})", pl.lit(col.name), pl.col(raw_name(col.name)), pl.lit(col.source)
    )


def _missing_id(part: MappedPart) -> pl.DataFrame:
    message = pl.format("{}: the patient id is missing; fill it in or delete the row", where())
    return issues(
        part.frame,
        pl.col("patient_id").is_null(),
        check="missing_patient_id",
        column=None,
        message=message,
    )


def _per_column(
    part: MappedPart,
    check: str,
    *,
    applies: Callable[[MappedColumn], bool],
    failing: Callable[[MappedColumn], pl.Expr],
    message: Callable[[MappedColumn], pl.Expr],
) -> pl.DataFrame:
    """The rows ``failing`` flags, for each column of ``part`` the ``check`` ``applies`` to."""
    return concat_issues(
        [
            issues(part.frame, failing(col), check=check, column=col.name, message=message(col))
            for col in part.columns
            if applies(col)
        ]
    )


def _unparseable_number(part: MappedPart) -> pl.DataFrame:
    def message(col: MappedColumn) -> pl.Expr:
        what = "a number" if col.kind == "number" else "a whole number"
        return pl.format("{}: {} is not {}", where(), _quoted(col), pl.lit(what))

    return _per_column(
        part,
        "unparseable_number",
        applies=lambda col: col.kind in ("number", "integer"),
        failing=_failed_parse,
        message=message,
    )


def _unparseable_date(part: MappedPart) -> pl.DataFrame:
    return _per_column(
        part,
        "unparseable_date",
        applies=lambda col: col.kind == "date",
        failing=_failed_parse,
        message=lambda col: pl.format(
            "{}: {} is not a date in format {}", where(), _quoted(col), pl.lit(col.date_format)
        ),
    )


def _implausible_date(part: MappedPart) -> pl.DataFrame:
    today = date.today()
    return _per_column(
        part,
        "implausible_date",
        applies=lambda col: col.kind == "date",
        failing=lambda col: (pl.col(col.name) < EARLIEST_DATE) | (pl.col(col.name) > today),
        message=lambda col: pl.format(
            "{}: {} is {}; check the year",
            where(),
            _quoted(col),
            pl.when(pl.col(col.name) < EARLIEST_DATE)
            .then(pl.lit("before 1900"))
            .otherwise(pl.lit("in the future")),
        ),
    )


def _unknown_code(part: MappedPart) -> pl.DataFrame:
    table = TABLES_BY_NAME[part.table]

    def failing(col: MappedColumn) -> pl.Expr:
        failed = _failed_parse(col)
        if col.kind == "list":
            failed = failed | pl.col(col.name).list.eval(pl.element().is_null()).list.any()
        return failed

    def message(col: MappedColumn) -> pl.Expr:
        codes = allowed_codes(table.column(col.name)) or ()
        return pl.format(
            "{}: {} holds a value that is not a known {} code; add it to the "
            "codes map of {} in the spec or correct the file (valid codes: {})",
            where(),
            _quoted(col),
            pl.lit(col.name),
            pl.lit(col.source),
            pl.lit(", ".join(codes)),
        )

    return _per_column(
        part,
        "unknown_code",
        applies=lambda col: col.kind in ("code", "list"),
        failing=failing,
        message=message,
    )


def _reported_as_g_dl(col: MappedColumn) -> bool:
    """Albumin reported in g/dL (the canonical unit) rather than converted from g/L."""
    return (
        col.name == "albumin_g_dl" and col.unit is not None and normalise_unit(col.unit) == "g/dl"
    )


def _out_of_range(part: MappedPart) -> pl.DataFrame:
    """Values outside ``Column.valid_range``. Albumin above 7 g/dL *reported* in g/dL is
    reported separately: it is almost surely g/L mislabelled (01-myeloma.md §1.0)."""
    table = TABLES_BY_NAME[part.table]
    found = []
    for col in part.columns:
        valid = table.column(col.name).valid_range
        if valid is None or col.kind not in ("number", "integer"):
            continue
        low, high = valid
        unit = table.column(col.name).unit
        unit = f" {unit}" if unit else ""  # unitless (a grade, a year): no stray spaces
        value = pl.col(col.name)
        outside = ~value.is_between(low, high)
        if _reported_as_g_dl(col):
            suspect = value > ALBUMIN_MAX_G_DL
            outside = outside & ~suspect
            albumin = pl.format(
                "{}: {} is above 7 g/dL, which is not physiological: the value "
                "is likely in g/L mislabelled as g/dL; declare unit: g/L for {} "
                "or correct the file",
                where(),
                _quoted(col),
                pl.lit(col.source),
            )
            found.append(
                issues(
                    part.frame,
                    suspect,
                    check="albumin_unit_suspect",
                    column=col.name,
                    message=albumin,
                )
            )
        message = pl.format(
            "{}: {} = {}{} is outside the plausible range {}-{}{}; check the "
            "value and the unit declared in the spec",
            where(),
            _quoted(col),
            value,
            pl.lit(unit),
            pl.lit(low),
            pl.lit(high),
            pl.lit(unit),
        )
        found.append(
            issues(part.frame, outside, check="out_of_range", column=col.name, message=message)
        )
    return concat_issues(found)


def _short_record(part: MappedPart) -> pl.DataFrame:
    if SHORT not in part.frame.columns:
        return concat_issues([])
    message = pl.format(
        "{}: the record has {} field(s), fewer than the header's: the line ends early (an "
        "export cut short, or a ragged row); its values cannot be trusted, re-export the file",
        where(),
        pl.col(SHORT),
    )
    return issues(
        part.frame, pl.col(SHORT).is_not_null(), check="short_record", column=None, message=message
    )


def _required_missing(part: MappedPart) -> pl.DataFrame:
    table = TABLES_BY_NAME[part.table]
    return _per_column(
        part,
        "required_missing",
        applies=lambda col: table.column(col.name).required,
        failing=lambda col: pl.col(raw_name(col.name)).is_null(),
        message=lambda col: pl.format(
            "{}: required {}.{} is missing (column {}); fill it in",
            where(),
            pl.lit(part.table),
            pl.lit(col.name),
            pl.lit(col.source),
        ),
    )


ROW_CHECKS: Final[tuple[RowCheck, ...]] = (
    RowCheck("missing_patient_id", "The row has no patient id.", _missing_id),
    RowCheck(
        "short_record",
        "A CSV record with fewer fields than the header (an export cut short, a ragged row).",
        _short_record,
    ),
    RowCheck("required_missing", "A required harmonised column is empty.", _required_missing),
    RowCheck(
        "unparseable_number",
        "A number column holds text that is not a number.",
        _unparseable_number,
    ),
    RowCheck(
        "unparseable_date",
        "A date does not parse with the declared format, or does not exist (31/02).",
        _unparseable_date,
    ),
    RowCheck("implausible_date", "A date before 1900 or in the future.", _implausible_date),
    RowCheck(
        "unknown_code",
        "A coded value is not in the spec's code map or the model's code list.",
        _unknown_code,
    ),
    RowCheck(
        "out_of_range",
        "A value outside the column's physiological range; albumin above "
        "7 g/dL reported as g/dL is reported as albumin_unit_suspect.",
        _out_of_range,
    ),
    RowCheck(
        "end_before_start",
        "A treatment line ends before it starts, or an adverse event resolves before its onset.",
        end_before_start,
    ),
    RowCheck(
        "entry_before_diagnosis",
        "The registry entry is before diagnosis (a disease registry enrols at or after it).",
        entry_before_diagnosis,
    ),
    RowCheck(
        "entry_before_birth",
        "The registry entry year is before the year of birth.",
        entry_before_birth,
    ),
    RowCheck(
        "relation_mismatch",
        "An adverse event's related_to disagrees with the line_number / transplant_date given.",
        relation_mismatch,
    ),
    RowCheck(
        "remission_status_mismatch",
        "A transplant's in_first_remission disagrees with its disease_status (true only for CR1).",
        remission_status_mismatch,
    ),
    RowCheck(
        "gvhd_organ_mismatch",
        "Organs on an event that is not GVHD, or an acute GVHD organ MAGIC does not stage.",
        gvhd_organ_mismatch,
    ),
)


def run_row_checks(part: MappedPart) -> pl.DataFrame:
    """Every issue of every row check on ``part``."""
    return concat_issues([check.run(part) for check in ROW_CHECKS])
