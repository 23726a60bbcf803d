"""Table-level and cross-table checks: duplicate keys, orphan rows and clinical date order.

They run on the rows that passed the row checks (:mod:`loaders.checks`), per harmonised table
with every file's parts concatenated, and return issue frames like the row checks.

Date order (per patient): diagnosis <= every treatment start, transplant, sample, event and
adverse-event onset; progression/relapse not before the first treatment line; nothing after death.
The row holding the later-than-allowed or earlier-than-allowed date is quarantined, never the
patient row. An adverse event attributed to a treatment line or transplant must name one the
patient has (``related_row_missing``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl
from lake.model import TABLES_BY_NAME

from loaders.issues import concat_issues, issues, where
from loaders.mapping import FILE, PKEY, RID
from loaders.readers import ROW

#: The date that places each row of a multi-row table on the patient's timeline.
DATED_COLUMNS: Final = {
    "treatment_lines": "start_date",
    "transplants": "transplant_date",
    "events": "event_date",
    "bcr_abl1": "sample_date",
    "adverse_events": "onset_date",
}
#: Each attribution of an adverse event: the related table and the key column the event names.
_RELATED: Final = {
    "treatment_line": ("treatment_lines", "line_number"),
    "transplant": ("transplants", "transplant_date"),
}
_PROGRESSION: Final = ("progression", "relapse")
#: Column of the concatenated table frames naming each row's site id column (``codice``).
ID_COLUMN: Final = "_id_column"
#: Copies of a duplicated key named in each duplicate_key message.
_LISTED: Final = 5


def duplicate_keys(table_name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Rows sharing a table key: every copy is quarantined (none can be trusted over another).

    The patient part of the key is named by the site's own id column (``frame``'s
    :data:`ID_COLUMN`, e.g. ``codice``), never the load's internal ``_pkey``; the id value is
    not quoted (the quarantine is stored in the lake, the site id must not be).
    """
    key = [PKEY if k == "patient_id" else k for k in TABLES_BY_NAME[table_name].key]
    keyed = pl.col(key[0]) if len(key) == 1 else pl.struct(key)
    # cheap pre-filter: only rows whose key repeats are grouped and described
    valid = frame.filter(pl.all_horizontal(pl.col(key).is_not_null()) & keyed.is_duplicated())
    # at most _LISTED copies are named per message: naming all n in each of n messages made
    # memory quadratic in the copies (one row repeated 3,000 times took 4.9 GiB)
    groups = (
        valid.group_by(key)
        .agg(pl.len().alias("_copies"), where().head(_LISTED).str.join(", ").alias("_where"))
        .filter(pl.col("_copies") > 1)
        .with_columns(
            pl.when(pl.col("_copies") > _LISTED)
            .then(pl.format("{}, and {} more", pl.col("_where"), pl.col("_copies") - _LISTED))
            .otherwise(pl.col("_where"))
            .alias("_where")
        )
    )
    if groups.is_empty():
        return concat_issues([])
    extra = [k for k in key if k != PKEY]
    patient = pl.format("this {}", pl.col(ID_COLUMN))
    described = (
        patient
        if not extra
        else pl.format(
            "{} with {}",
            patient,
            pl.concat_str(
                [pl.format("{} {}", pl.lit(k), pl.col(k)) for k in extra], separator=", "
            ),
        )
    )
    dupes = valid.join(groups, on=key, how="inner", nulls_equal=False)
    message = pl.format(
        "{}: {} appears {} times in {} ({}); every copy is quarantined, keep one row",
        where(),
        described,
        pl.col("_copies"),
        pl.lit(table_name),
        pl.col("_where"),
    )
    column = pl.concat_str([pl.col(ID_COLUMN), *(pl.lit(k) for k in extra)], separator=",")
    return issues(dupes, None, check="duplicate_key", column=column, message=message)


def orphan_rows(table_name: str, frame: pl.DataFrame, patients: pl.DataFrame) -> pl.DataFrame:
    """Rows of a non-patient table whose patient has no accepted patients row."""
    known = pl.col(PKEY).is_in(patients.get_column(PKEY).implode())
    orphans = frame.filter(pl.col(PKEY).is_null() | ~known)
    message = pl.format(
        "{}: the patient of this {} row has no accepted patients row (missing "
        "from the patient file or quarantined); fix the patient row first",
        where(),
        pl.lit(table_name),
    )
    return issues(orphans, None, check="orphan_row", column="patient_id", message=message)


def date_order(frames: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Date-order issues across tables (frames hold rows accepted so far, incl. patients).

    The death date other rows are compared with is the patient's *trusted* death: a death
    event that is itself quarantined (before diagnosis, or one of several conflicting deaths)
    does not void the patient's other rows.
    """
    # only the columns the checks read are joined; messages are formatted on failing rows only
    patients = frames["patients"].select(
        PKEY,
        "diagnosis_date",
        pl.col(ROW).alias("_patient_row"),
        pl.col(FILE).alias("_patient_file"),
    )
    events = frames.get("events")
    found = []
    deaths = pl.DataFrame(schema={PKEY: pl.UInt32, "_death": pl.Date})
    if events is not None:
        found.append(conflicting_deaths(events))
        deaths = _trusted_deaths(events, patients, distrusted=found[0])
    timeline = patients.join(deaths, on=PKEY, how="left")
    for table_name, column in DATED_COLUMNS.items():
        frame = frames.get(table_name)
        if frame is None or frame.is_empty():
            continue
        kept = [RID, PKEY, ROW, FILE, column, *(["event_type"] if table_name == "events" else [])]
        dated = frame.select(kept).join(timeline, on=PKEY, how="inner")
        found.append(_before_diagnosis(dated, table_name, column))
        found.append(_after_death(dated, table_name, column))
    if events is not None and "treatment_lines" in frames:
        found.append(_progression_before_treatment(events, frames["treatment_lines"]))
    return concat_issues(found)


def conflicting_deaths(events: pl.DataFrame) -> pl.DataFrame:
    """Death events of patients with deaths on two or more different dates: all of them.

    A patient dies once; which record is right is for the site to say, so every death row of
    that patient is quarantined (the patient's other rows stay, compared with no death).
    """
    deaths = events.select(RID, PKEY, ROW, FILE, "event_type", "event_date").filter(
        pl.col("event_type") == "death"
    )
    deaths = deaths.filter(pl.col(PKEY).is_duplicated())  # cheap pre-filter: repeated deaths
    dates = pl.col("event_date").drop_nulls().unique()
    conflicted = (
        deaths.group_by(PKEY)
        .agg(
            dates.len().alias("_dates"),
            dates.sort().cast(pl.String).str.join(", ").alias("_all"),
        )
        .filter(pl.col("_dates") > 1)
    )
    if conflicted.is_empty():
        return concat_issues([])
    message = pl.format(
        "{}: this patient has deaths on {} different dates ({}); every death record is "
        "quarantined, keep the correct one",
        where(),
        pl.col("_dates"),
        pl.col("_all"),
    )
    return issues(
        deaths.join(conflicted, on=PKEY, how="inner"),
        None,
        check="conflicting_death",
        column="event_date",
        message=message,
    )


def _trusted_deaths(
    events: pl.DataFrame, patients: pl.DataFrame, *, distrusted: pl.DataFrame
) -> pl.DataFrame:
    """One death date per patient, from death events neither conflicting nor before diagnosis."""
    deaths = events.select(RID, PKEY, "event_type", "event_date").filter(
        pl.col("event_type") == "death"
    )
    if not distrusted.is_empty():
        deaths = deaths.join(distrusted.select(RID), on=RID, how="anti")
    return (
        deaths.join(patients.select(PKEY, "diagnosis_date"), on=PKEY, how="inner")
        .filter(~(pl.col("event_date") < pl.col("diagnosis_date")).fill_null(value=False))
        .group_by(PKEY)
        .agg(pl.col("event_date").min().alias("_death"))
    )


def _before_diagnosis(dated: pl.DataFrame, table_name: str, column: str) -> pl.DataFrame:
    is_death = (pl.col("event_type") == "death") if table_name == "events" else pl.lit(value=False)
    what = pl.when(is_death).then(pl.lit("death")).otherwise(pl.lit(f"{table_name}.{column}"))
    message = pl.format(
        "{}: {} {} is before the patient's diagnosis_date {} ({}); correct one of the dates",
        where(),
        what,
        pl.col(column),
        pl.col("diagnosis_date"),
        pl.format("row {} of {}", pl.col("_patient_row"), pl.col("_patient_file")),
    )
    before = pl.col(column) < pl.col("diagnosis_date")
    return concat_issues(
        [
            issues(
                dated,
                before & is_death,
                check="death_before_diagnosis",
                column=column,
                message=message,
            ),
            issues(
                dated,
                before & ~is_death,
                check="date_before_diagnosis",
                column=column,
                message=message,
            ),
        ]
    )


def _after_death(dated: pl.DataFrame, table_name: str, column: str) -> pl.DataFrame:
    message = pl.format(
        "{}: {}.{} {} is after the patient's death on {}; correct the date or the death record",
        where(),
        pl.lit(table_name),
        pl.lit(column),
        pl.col(column),
        pl.col("_death"),
    )
    return issues(
        dated,
        pl.col(column) > pl.col("_death"),
        check="date_after_death",
        column=column,
        message=message,
    )


def _progression_before_treatment(events: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    first = lines.group_by(PKEY).agg(pl.col("start_date").min().alias("_first_line"))
    progressed = events.filter(pl.col("event_type").is_in(_PROGRESSION)).join(
        first, on=PKEY, how="inner"
    )
    message = pl.format(
        "{}: {} on {} is before the first treatment line started on {}; "
        "correct the date or the treatment lines",
        where(),
        pl.col("event_type"),
        pl.col("event_date"),
        pl.col("_first_line"),
    )
    return issues(
        progressed,
        pl.col("event_date") < pl.col("_first_line"),
        check="progression_before_treatment",
        column="event_date",
        message=message,
    )


def related_rows(frames: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Adverse events naming a treatment line or transplant the patient has no accepted row of.

    ``related_row_missing``: the event row is quarantined (the line or transplant may be missing
    from the export, quarantined itself, or the number or date mistyped).
    """
    events = frames.get("adverse_events")
    if events is None or "related_to" not in events.columns:
        return concat_issues([])
    found = []
    for relation, (table_name, column) in _RELATED.items():
        if column not in events.columns:
            continue
        named = events.filter(
            (pl.col("related_to") == relation) & pl.col(column).is_not_null()
        ).select(RID, PKEY, ROW, FILE, column)
        related = frames.get(table_name)
        if related is not None and not related.is_empty():
            named = named.join(related.select(PKEY, column), on=[PKEY, column], how="anti")
        message = pl.format(
            "{}: the adverse event is attributed to {} {} {}, which the patient has no accepted "
            "row of (missing from the {} export or quarantined); correct the {} or add the row",
            where(),
            pl.lit(relation.replace("_", " ")),
            pl.lit(column),
            pl.col(column),
            pl.lit(table_name),
            pl.lit(column),
        )
        found.append(
            issues(named, None, check="related_row_missing", column=column, message=message)
        )
    return concat_issues(found)


def rid_set(issue_frame: pl.DataFrame) -> pl.Series:
    """The distinct row ids with at least one issue."""
    return issue_frame.get_column(RID).unique()
