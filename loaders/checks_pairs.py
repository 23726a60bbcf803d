"""Row checks that compare two columns of one row: impossible date pairs and AE attribution.

Each is a pure function of a :class:`~loaders.mapping.MappedPart` returning an issue frame
(:data:`loaders.issues.ISSUE_SCHEMA`), registered in :data:`loaders.checks.ROW_CHECKS`. A check
whose columns the part does not map returns no issues: the pair cannot be compared.

- ``end_before_start``: a treatment line ends before it starts, or an adverse event resolves
  before its onset.
- ``entry_before_diagnosis``: the registry entry is before diagnosis. A disease registry enrols a
  patient at or after diagnosis; an earlier entry would make delayed-entry analyses from
  diagnosis start before time 0.
- ``entry_before_birth``: the registry entry year is before the year of birth.
- ``relation_mismatch``: an adverse event's ``related_to`` disagrees with the row it names
  (``treatment_line`` needs ``line_number``, ``transplant`` needs ``transplant_date``, and a line
  or transplant named under another attribution is ambiguous). Whether the named line or
  transplant exists is a cross-table check (:func:`loaders.checks_cross.related_rows`).
- ``remission_status_mismatch``: a transplant's ``in_first_remission`` disagrees with its
  ``disease_status`` (the model's rule: in first remission exactly when the status is CR1).
- ``gvhd_organ_mismatch``: organs given on an event that is not GVHD, or an acute GVHD organ
  that MAGIC does not stage (only skin, liver, upper and lower GI; Harris 2016).
"""

from __future__ import annotations

from typing import Final

import polars as pl
from lake.model import AGVHD_ORGANS, FIRST_REMISSION_STATUS

from loaders.issues import concat_issues, issues, where
from loaders.mapping import MappedPart

#: (table, start column, end column) of the end-before-start check.
_INTERVALS: Final = (
    ("treatment_lines", "start_date", "end_date"),
    ("adverse_events", "onset_date", "resolution_date"),
)
#: Each attribution of an adverse event and the column naming its related row.
_RELATED_COLUMN: Final = {"treatment_line": "line_number", "transplant": "transplant_date"}


def _maps(part: MappedPart, *columns: str) -> bool:
    return all(c in part.frame.columns for c in columns)


def end_before_start(part: MappedPart) -> pl.DataFrame:
    """A treatment line ending, or an adverse event resolving, before it started."""
    for table, start, end in _INTERVALS:
        if part.table == table and _maps(part, start, end):
            message = pl.format(
                "{}: {} {} is before {} {}; correct one of the dates",
                where(),
                pl.lit(end),
                pl.col(end),
                pl.lit(start),
                pl.col(start),
            )
            return issues(
                part.frame,
                pl.col(end) < pl.col(start),
                check="end_before_start",
                column=end,
                message=message,
            )
    return concat_issues([])


def entry_before_diagnosis(part: MappedPart) -> pl.DataFrame:
    """A registry entry before the patient's diagnosis."""
    if part.table != "patients" or not _maps(part, "registry_entry_date", "diagnosis_date"):
        return concat_issues([])
    message = pl.format(
        "{}: registry_entry_date {} is before diagnosis_date {}; a disease registry enrols "
        "patients at or after diagnosis, correct one of the dates",
        where(),
        pl.col("registry_entry_date"),
        pl.col("diagnosis_date"),
    )
    return issues(
        part.frame,
        pl.col("registry_entry_date") < pl.col("diagnosis_date"),
        check="entry_before_diagnosis",
        column="registry_entry_date",
        message=message,
    )


def entry_before_birth(part: MappedPart) -> pl.DataFrame:
    """A registry entry in a year before the patient's year of birth."""
    if part.table != "patients" or not _maps(part, "registry_entry_date", "birth_year"):
        return concat_issues([])
    message = pl.format(
        "{}: registry_entry_date {} is before the birth_year {}; correct one of them",
        where(),
        pl.col("registry_entry_date"),
        pl.col("birth_year"),
    )
    return issues(
        part.frame,
        pl.col("registry_entry_date").dt.year() < pl.col("birth_year"),
        check="entry_before_birth",
        column="registry_entry_date",
        message=message,
    )


def relation_mismatch(part: MappedPart) -> pl.DataFrame:
    """An adverse event whose attribution and related-row columns disagree."""
    if part.table != "adverse_events" or not _maps(part, "related_to"):
        return concat_issues([])
    found = []
    for relation, column in _RELATED_COLUMN.items():
        named = pl.col(column).is_not_null() if _maps(part, column) else pl.lit(value=False)
        is_relation = pl.col("related_to") == relation
        missing = pl.format(
            "{}: related_to is {} but no {} names it; give the {} or correct related_to",
            where(),
            pl.lit(relation),
            pl.lit(column),
            pl.lit(column),
        )
        found.append(
            issues(
                part.frame,
                is_relation & ~named,
                check="relation_mismatch",
                column=column,
                message=missing,
            )
        )
        other = pl.format(
            "{}: {} {} is given but related_to is {}; the event is attributed to one row, "
            "correct related_to or clear the {}",
            where(),
            pl.lit(column),
            pl.col(column).cast(pl.String) if _maps(part, column) else pl.lit(""),
            pl.col("related_to").fill_null("missing"),
            pl.lit(column),
        )
        found.append(
            issues(
                part.frame,
                named & ~is_relation.fill_null(value=False),
                check="relation_mismatch",
                column=column,
                message=other,
            )
        )
    return concat_issues(found)


def remission_status_mismatch(part: MappedPart) -> pl.DataFrame:
    """A transplant whose ``in_first_remission`` contradicts its ``disease_status``."""
    if part.table != "transplants" or not _maps(part, "disease_status", "in_first_remission"):
        return concat_issues([])
    is_cr1 = pl.col("disease_status") == FIRST_REMISSION_STATUS
    message = pl.format(
        "{}: in_first_remission is {} but disease_status is {}; in first remission means "
        "disease status {}, correct one of them",
        where(),
        pl.col("in_first_remission"),
        pl.col("disease_status"),
        pl.lit(FIRST_REMISSION_STATUS),
    )
    return issues(
        part.frame,
        is_cr1 != pl.col("in_first_remission"),
        check="remission_status_mismatch",
        column="in_first_remission",
        message=message,
    )


def gvhd_organ_mismatch(part: MappedPart) -> pl.DataFrame:
    """Organs on a non-GVHD event, or acute GVHD organs outside the MAGIC staging."""
    if part.table != "events" or not _maps(part, "gvhd_organs", "event_type"):
        return concat_issues([])
    organs = pl.col("gvhd_organs")
    given = organs.list.len() > 0
    not_gvhd = given & ~pl.col("event_type").is_in(["agvhd", "cgvhd"])
    unstaged = (pl.col("event_type") == "agvhd") & organs.list.eval(
        pl.element().is_not_null() & ~pl.element().is_in(list(AGVHD_ORGANS))
    ).list.any()
    message = pl.format(
        "{}: gvhd_organs {} on a {} event; organs belong to GVHD events, and acute GVHD "
        "involves only the organs MAGIC stages ({}); correct the organs or the event type",
        where(),
        organs.list.join(", "),
        pl.col("event_type"),
        pl.lit(", ".join(AGVHD_ORGANS)),
    )
    return issues(
        part.frame,
        (not_gvhd | unstaged).fill_null(value=False),
        check="gvhd_organ_mismatch",
        column="gvhd_organs",
        message=message,
    )
