"""Map an OMOP CDM v5.4 CSV extract (``format: omop``) onto harmonised parts.

Rules (documented in ``loaders/SPEC.md``):

- ``person``: one patients row; ``person_id`` is the site id, ``gender_concept_id`` goes
  through the ``gender`` map, ``year_of_birth`` is ``birth_year``;
- diagnosis date: the earliest ``condition_start_date`` of the person; age at diagnosis:
  year of diagnosis minus ``year_of_birth`` (OMOP rows usually carry only the birth year); the
  CML phase (``cml_phase``): the declared column of that earliest condition row through codes;
- ``measurement``: baseline values, genetics codes and BCR::ABL1 samples
  (:mod:`loaders.omop_measurements`);
- ``death.death_date`` -> a ``death`` event; the latest
  ``observation_period_end_date`` -> the ``last_follow_up`` event;
- ``drug_exposure`` rows whose ``drug_source_value`` is in ``drugs``: one treatment line per
  exposure row, numbered by start date; unmapped drugs (supportive care) are not lines; with
  ``tki_stop``, TKI stop and restart events (:mod:`loaders.omop_tki`);
- ``procedure_occurrence`` rows whose ``procedure_source_value`` is in ``procedures``: one
  transplant each;
- a record of any table with fewer fields than its header (an extract cut short, a ragged
  line) is quarantined as ``short_record`` before mapping, as for a CSV file.
"""

from __future__ import annotations

from typing import Final

import polars as pl
from lake.model import BASELINE, EVENTS, PATIENTS, TRANSPLANTS, TREATMENT_LINES

from loaders.convert import clean, to_code, to_date, to_integer
from loaders.mapping import RAW_ID, MappedColumn, MappedPart, RowIds, finish_part, raw_name
from loaders.omop_common import OMOP_ID, person_id, typed
from loaders.omop_measurements import map_measurements
from loaders.omop_tki import map_tki_events
from loaders.readers import ROW, SHORT, require_columns
from loaders.spec_types import FileSpec, OmopCondition, OmopMaps


def map_omop(spec: FileSpec, tables: dict[str, pl.DataFrame], *, ids: RowIds) -> list[MappedPart]:
    """The parts an OMOP extract contributes (patients, baseline, events, lines, ...)."""
    if spec.omop is None:
        raise ValueError("map_omop needs a file spec of format omop")
    maps = spec.omop
    name = spec.name.rstrip("/")
    tables, short = _without_short_records(spec, tables, name, ids)
    parts = [*short, _patients(spec, maps, tables, name, ids)]
    if "measurement" in tables:
        parts.extend(map_measurements(spec, maps, tables, name, ids))
    for table, column, event, latest in (
        ("death", "death_date", "death", False),
        ("observation_period", "observation_period_end_date", "last_follow_up", True),
    ):
        if table in tables:
            parts.append(
                _event(
                    spec,
                    tables[table],
                    f"{name}/{table}.csv",
                    column,
                    event,
                    latest=latest,
                    ids=ids,
                )
            )
    if "drug_exposure" in tables and maps.drugs:
        drugs = f"{name}/drug_exposure.csv"
        parts.append(_lines(spec, maps, tables["drug_exposure"], drugs, ids))
        if maps.tki_stop_reasons:
            parts.append(map_tki_events(spec, maps, tables["drug_exposure"], drugs, ids))
    if "procedure_occurrence" in tables and maps.procedures:
        parts.append(
            _transplants(
                spec, maps, tables["procedure_occurrence"], f"{name}/procedure_occurrence.csv", ids
            )
        )
    return parts


#: The harmonised table a short record of each OMOP table is counted and quarantined under.
_SHORT_RECORD_HOMES: Final = {
    "person": PATIENTS.name,
    "condition_occurrence": PATIENTS.name,
    "measurement": BASELINE.name,
    "death": EVENTS.name,
    "observation_period": EVENTS.name,
    "drug_exposure": TREATMENT_LINES.name,
    "procedure_occurrence": TRANSPLANTS.name,
}


def _without_short_records(
    spec: FileSpec, tables: dict[str, pl.DataFrame], name: str, ids: RowIds
) -> tuple[dict[str, pl.DataFrame], list[MappedPart]]:
    """The tables without their short records (:data:`loaders.readers.SHORT`: a line cut off
    before its last field), and one part per table holding those records.

    They are taken out *before* mapping because OMOP rows are aggregated (the earliest
    condition is the diagnosis, the latest observation period the last follow-up): a record
    whose date was cut off must not win or lose such a choice. Each part maps no column, so
    the only checks it meets are ``short_record`` (and ``missing_patient_id`` when even the
    ``person_id`` is missing): every one of its rows is quarantined, counted under the table
    the OMOP table feeds (:data:`_SHORT_RECORD_HOMES`).
    """
    kept: dict[str, pl.DataFrame] = {}
    parts: list[MappedPart] = []
    for table, frame in tables.items():
        cut = pl.col(SHORT).is_not_null()
        kept[table] = frame.filter(~cut)
        if kept[table].height == frame.height:
            continue
        short = frame.filter(cut).select(pl.col(ROW), person_id(spec), pl.col(SHORT))
        home = _SHORT_RECORD_HOMES[table]
        file = f"{name}/{table}.csv"
        parts.append(finish_part(file, home, short, [], ids=ids, id_column=OMOP_ID))
    return kept, parts


def _patients(
    spec: FileSpec, maps: OmopMaps, tables: dict[str, pl.DataFrame], name: str, ids: RowIds
) -> MappedPart:
    person = tables["person"]
    gender = clean(pl.col("gender_concept_id"), spec.missing)
    birth = clean(pl.col("year_of_birth"), spec.missing)
    frame = person.select(
        pl.col(ROW),
        person_id(spec),
        *typed("sex", to_code(gender, PATIENTS.column("sex"), maps.gender), gender),
        *typed("birth_year", to_integer(birth, pl.Int32()), birth),
        *[
            e
            for key, value in spec.constants.items()
            if key.startswith("patients.")
            for e in typed(key.split(".")[1], pl.lit(value), pl.lit(value))
        ],
    )
    conditions = tables.get("condition_occurrence")
    diagnosis = _diagnosis(spec, conditions, maps.cml_phase, f"{name}/condition_occurrence.csv")
    frame = frame.join(diagnosis, on=RAW_ID, how="left").with_columns(
        *typed(
            "age_at_diagnosis",
            (pl.col("diagnosis_date").dt.year() - pl.col("birth_year")).cast(pl.Float64),
            pl.format("{}-{}", pl.col("diagnosis_date").dt.year(), pl.col("birth_year")),
        )
    )
    constants = [key.split(".")[1] for key in spec.constants if key.startswith("patients.")]
    columns = [
        MappedColumn("sex", "person.gender_concept_id", "code"),
        MappedColumn("birth_year", "person.year_of_birth", "integer"),
        MappedColumn(
            "diagnosis_date",
            "condition_occurrence.condition_start_date",
            "date",
            date_format=spec.date_format,
        ),
        MappedColumn(
            "age_at_diagnosis", "year of diagnosis - year_of_birth", "number", unit="years"
        ),
        *[MappedColumn(c, f"constant patients.{c}", "text") for c in constants],
    ]
    if maps.cml_phase is not None:
        source = f"condition_occurrence.{maps.cml_phase.source}"
        columns.append(MappedColumn("cml_phase", source, "code"))
    return finish_part(f"{name}/person.csv", "patients", frame, columns, ids=ids, id_column=OMOP_ID)


def _diagnosis(
    spec: FileSpec, conditions: pl.DataFrame | None, phase: OmopCondition | None, file: str
) -> pl.DataFrame:
    """Earliest condition date per person, with the raw text of the chosen row; with ``phase``,
    the CML phase coded from that same (diagnosis) row."""
    schema = {RAW_ID: pl.String, "diagnosis_date": pl.Date, raw_name("diagnosis_date"): pl.String}
    if phase is not None:
        schema |= {"cml_phase": pl.String, raw_name("cml_phase"): pl.String}
    if conditions is None:
        return pl.DataFrame(schema=schema)
    raw = clean(pl.col("condition_start_date"), spec.missing)
    picked = [person_id(spec), raw.alias("_raw"), to_date(raw, spec.date_format).alias("_date")]
    if phase is not None:
        require_columns(conditions, [phase.source], where=file)
        picked.append(clean(pl.col(phase.source), spec.missing).alias("_phase"))
    earliest = [
        pl.col("_date").min().alias("diagnosis_date"),
        pl.col("_raw").sort_by("_date", nulls_last=True).first().alias(raw_name("diagnosis_date")),
    ]
    if phase is not None:
        earliest.append(
            pl.col("_phase").sort_by("_date", nulls_last=True).first().alias(raw_name("cml_phase"))
        )
    frame = conditions.select(picked).group_by(RAW_ID).agg(earliest)
    if phase is not None:
        column = PATIENTS.column("cml_phase")
        frame = frame.with_columns(
            to_code(pl.col(raw_name("cml_phase")), column, phase.codes).alias("cml_phase")
        )
    return frame


def _event(
    spec: FileSpec,
    source: pl.DataFrame,
    file: str,
    column: str,
    event: str,
    *,
    latest: bool,
    ids: RowIds,
) -> MappedPart:
    raw = clean(pl.col(column), spec.missing)
    frame = source.select(
        pl.col(ROW),
        person_id(spec),
        *typed("event_type", pl.lit(event), pl.lit(event)),
        *typed("event_date", to_date(raw, spec.date_format), raw),
    )
    if latest:
        frame = frame.sort("event_date", nulls_last=False).group_by(RAW_ID).last()
    columns = [
        MappedColumn("event_type", event, "text"),
        MappedColumn("event_date", column, "date", date_format=spec.date_format),
    ]
    return finish_part(file, EVENTS.name, frame, columns, ids=ids, id_column=OMOP_ID)


def _lines(
    spec: FileSpec, maps: OmopMaps, source: pl.DataFrame, file: str, ids: RowIds
) -> MappedPart:
    drug = pl.col("drug_source_value").str.strip_chars()
    start = clean(pl.col("drug_exposure_start_date"), spec.missing)
    end = clean(pl.col("drug_exposure_end_date"), spec.missing)
    agent = to_code(drug, TREATMENT_LINES.column("regimen"), maps.drugs)
    frame = (
        source.filter(drug.is_in(list(maps.drugs)))
        .select(
            pl.col(ROW),
            person_id(spec),
            *typed("regimen", agent, drug),
            *typed("agents", pl.concat_list(agent), drug),
            *typed("start_date", to_date(start, spec.date_format), start),
            *typed("end_date", to_date(end, spec.date_format), end),
        )
        .with_columns(
            pl.col("start_date").rank("ordinal").over(RAW_ID).cast(pl.Int16).alias("line_number"),
            pl.col(raw_name("start_date")).alias(raw_name("line_number")),
        )
    )
    columns = [
        MappedColumn("regimen", "drug_source_value", "text"),
        MappedColumn("agents", "drug_source_value", "list"),
        MappedColumn(
            "start_date", "drug_exposure_start_date", "date", date_format=spec.date_format
        ),
        MappedColumn("end_date", "drug_exposure_end_date", "date", date_format=spec.date_format),
        MappedColumn("line_number", "rank of drug_exposure_start_date", "integer"),
    ]
    return finish_part(file, TREATMENT_LINES.name, frame, columns, ids=ids, id_column=OMOP_ID)


def _transplants(
    spec: FileSpec, maps: OmopMaps, source: pl.DataFrame, file: str, ids: RowIds
) -> MappedPart:
    code = pl.col("procedure_source_value").str.strip_chars()
    day0 = clean(pl.col("procedure_date"), spec.missing)
    kind = to_code(code, TRANSPLANTS.column("transplant_type"), maps.procedures)
    frame = source.filter(code.is_in(list(maps.procedures))).select(
        pl.col(ROW),
        person_id(spec),
        *typed("transplant_type", kind, code),
        *typed("transplant_date", to_date(day0, spec.date_format), day0),
    )
    columns = [
        MappedColumn("transplant_type", "procedure_source_value", "code"),
        MappedColumn("transplant_date", "procedure_date", "date", date_format=spec.date_format),
    ]
    return finish_part(file, TRANSPLANTS.name, frame, columns, ids=ids, id_column=OMOP_ID)
