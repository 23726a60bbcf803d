"""Map an OMOP CDM v5.4 CSV extract (``format: omop``) onto harmonised parts.

Rules (documented in ``loaders/SPEC.md``):

- ``person``: one patients row; ``person_id`` is the site id, ``gender_concept_id`` goes
  through the ``gender`` map, ``year_of_birth`` is ``birth_year``;
- diagnosis date: the earliest ``condition_start_date`` of the person; age at diagnosis:
  year of diagnosis minus ``year_of_birth`` (OMOP rows usually carry only the birth year);
- ``measurement``: rows whose ``measurement_source_value`` is in ``measurements`` feed the
  mapped column; for baseline columns the earliest dated value per person is kept (LDH's
  ``range_high`` becomes ``ldh_uln_u_l``); ``bcr_abl1.is_pct`` rows are one sample each,
  detectable when the value is above 0, or, without a value, as ``value_source_value`` says
  (``detected`` / ``undetectable``);
- ``death.death_date`` -> a ``death`` event; the latest
  ``observation_period_end_date`` -> the ``last_follow_up`` event;
- ``drug_exposure`` rows whose ``drug_source_value`` is in ``drugs``: one treatment line per
  exposure row, numbered by start date; unmapped drugs (supportive care) are not lines;
- ``procedure_occurrence`` rows whose ``procedure_source_value`` is in ``procedures``: one
  transplant each.
"""

from __future__ import annotations

from typing import Final

import polars as pl
from lake.model import BASELINE, BCR_ABL1, EVENTS, PATIENTS, TRANSPLANTS, TREATMENT_LINES

from loaders.convert import clean, to_code, to_date, to_integer, to_number
from loaders.mapping import RAW_ID, MappedColumn, MappedPart, RowIds, finish_part, raw_name
from loaders.readers import ROW
from loaders.spec_types import FileSpec, OmopMaps
from loaders.units import conversion_factor


def map_omop(spec: FileSpec, tables: dict[str, pl.DataFrame], *, ids: RowIds) -> list[MappedPart]:
    """The parts an OMOP extract contributes (patients, baseline, events, lines, ...)."""
    if spec.omop is None:
        raise ValueError("map_omop needs a file spec of format omop")
    maps = spec.omop
    name = spec.name.rstrip("/")
    parts = [_patients(spec, maps, tables, name, ids)]
    if "measurement" in tables:
        parts.extend(_measurements(spec, maps, tables, name, ids))
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
        parts.append(_lines(spec, maps, tables["drug_exposure"], f"{name}/drug_exposure.csv", ids))
    if "procedure_occurrence" in tables and maps.procedures:
        parts.append(
            _transplants(
                spec, maps, tables["procedure_occurrence"], f"{name}/procedure_occurrence.csv", ids
            )
        )
    return parts


def _pid(spec: FileSpec) -> pl.Expr:
    return clean(pl.col("person_id"), spec.missing).alias(RAW_ID)


def _typed(name: str, typed: pl.Expr, raw: pl.Expr) -> list[pl.Expr]:
    return [typed.alias(name), raw.alias(raw_name(name))]


def _patients(
    spec: FileSpec, maps: OmopMaps, tables: dict[str, pl.DataFrame], name: str, ids: RowIds
) -> MappedPart:
    person = tables["person"]
    gender = clean(pl.col("gender_concept_id"), spec.missing)
    birth = clean(pl.col("year_of_birth"), spec.missing)
    frame = person.select(
        pl.col(ROW),
        _pid(spec),
        *_typed("sex", to_code(gender, PATIENTS.column("sex"), maps.gender), gender),
        *_typed("birth_year", to_integer(birth, pl.Int32()), birth),
        *[
            e
            for key, value in spec.constants.items()
            if key.startswith("patients.")
            for e in _typed(key.split(".")[1], pl.lit(value), pl.lit(value))
        ],
    )
    diagnosis = _diagnosis(spec, tables.get("condition_occurrence"))
    frame = frame.join(diagnosis, on=RAW_ID, how="left").with_columns(
        *_typed(
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
    return finish_part(f"{name}/person.csv", "patients", frame, columns, ids=ids)


def _diagnosis(spec: FileSpec, conditions: pl.DataFrame | None) -> pl.DataFrame:
    """Earliest condition date per person, with the raw text of the chosen row."""
    schema = {RAW_ID: pl.String, "diagnosis_date": pl.Date, raw_name("diagnosis_date"): pl.String}
    if conditions is None:
        return pl.DataFrame(schema=schema)
    raw = clean(pl.col("condition_start_date"), spec.missing)
    dated = conditions.select(
        _pid(spec), raw.alias("_raw"), to_date(raw, spec.date_format).alias("_date")
    )
    return dated.group_by(RAW_ID).agg(
        pl.col("_date").min().alias("diagnosis_date"),
        pl.col("_raw").sort_by("_date", nulls_last=True).first().alias(raw_name("diagnosis_date")),
    )


def _measurements(
    spec: FileSpec, maps: OmopMaps, tables: dict[str, pl.DataFrame], name: str, ids: RowIds
) -> list[MappedPart]:
    file = f"{name}/measurement.csv"
    source = (
        tables["measurement"]
        .with_columns(
            _pid(spec),
            pl.col("measurement_source_value").str.strip_chars().alias("_code"),
            clean(pl.col("measurement_date"), spec.missing).alias("_date_raw"),
            clean(pl.col("value_as_number"), spec.missing).alias("_value_raw"),
        )
        .with_columns(to_date(pl.col("_date_raw"), spec.date_format).alias("_date"))
    )
    parts = []
    baseline = {c: m for c, m in maps.measurements.items() if m.table == "baseline"}
    if baseline:
        frame = tables["person"].select(pl.col(ROW), _pid(spec))
        columns = []
        for code, target in baseline.items():
            column = BASELINE.column(target.column)
            factor = conversion_factor(column, target.unit) if target.unit else 1.0
            first = (
                source.filter(pl.col("_code") == code)
                .sort("_date", nulls_last=True)
                .group_by(RAW_ID, maintain_order=True)
                .first()
            )
            picked = [
                *_typed(
                    column.name,
                    to_number(pl.col("_value_raw"), decimal_comma=False, factor=factor),
                    pl.col("_value_raw"),
                )
            ]
            if column.name == "ldh_u_l" and "range_high" in first.columns:
                uln = clean(pl.col("range_high"), spec.missing)
                picked += _typed("ldh_uln_u_l", to_number(uln, decimal_comma=False), uln)
                columns.append(
                    MappedColumn(
                        "ldh_uln_u_l", f"measurement {code} range_high", "number", unit="U/L"
                    )
                )
            frame = frame.join(first.select(RAW_ID, *picked), on=RAW_ID, how="left")
            columns.append(
                MappedColumn(
                    column.name, f"measurement {code}", "number", unit=target.unit or column.unit
                )
            )
        # one baseline row per person: its row number is the person's line in person.csv
        parts.append(finish_part(f"{name}/person.csv", "baseline", frame, columns, ids=ids))
    samples = [c for c, m in maps.measurements.items() if m.table == "bcr_abl1"]
    if samples:
        frame = source.filter(pl.col("_code").is_in(samples)).select(
            pl.col(ROW),
            pl.col(RAW_ID),
            *_typed("sample_date", pl.col("_date"), pl.col("_date_raw")),
            *_typed(
                "is_pct", to_number(pl.col("_value_raw"), decimal_comma=False), pl.col("_value_raw")
            ),
            *_detectable(spec, source.columns),
        )
        columns = [
            MappedColumn("sample_date", "measurement_date", "date", date_format=spec.date_format),
            MappedColumn("is_pct", "value_as_number", "number", unit="%"),
            MappedColumn("detectable", "value_as_number > 0 or value_source_value", "text"),
        ]
        parts.append(finish_part(file, BCR_ABL1.name, frame, columns, ids=ids))
    return parts


_UNDETECTED: Final = ("undetectable", "undetected", "not detected", "negative")
_DETECTED: Final = ("detected", "positive")


def _detectable(spec: FileSpec, columns: list[str]) -> list[pl.Expr]:
    """BCR::ABL1 detected: value above 0, else the lab's verdict in ``value_source_value``."""
    value = to_number(pl.col("_value_raw"), decimal_comma=False)
    verdict = (
        clean(pl.col("value_source_value"), spec.missing).str.to_lowercase()
        if "value_source_value" in columns
        else pl.lit(None, pl.String)
    )
    said = (
        pl.when(verdict.is_in(list(_UNDETECTED)))
        .then(pl.lit(value=False))
        .when(verdict.is_in(list(_DETECTED)))
        .then(pl.lit(value=True))
    )
    return _typed(
        "detectable", pl.coalesce(value > 0, said), pl.coalesce(pl.col("_value_raw"), verdict)
    )


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
        _pid(spec),
        *_typed("event_type", pl.lit(event), pl.lit(event)),
        *_typed("event_date", to_date(raw, spec.date_format), raw),
    )
    if latest:
        frame = frame.sort("event_date", nulls_last=False).group_by(RAW_ID).last()
    columns = [
        MappedColumn("event_type", event, "text"),
        MappedColumn("event_date", column, "date", date_format=spec.date_format),
    ]
    return finish_part(file, EVENTS.name, frame, columns, ids=ids)


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
            _pid(spec),
            *_typed("regimen", agent, drug),
            *_typed("agents", pl.concat_list(agent), drug),
            *_typed("start_date", to_date(start, spec.date_format), start),
            *_typed("end_date", to_date(end, spec.date_format), end),
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
    return finish_part(file, TREATMENT_LINES.name, frame, columns, ids=ids)


def _transplants(
    spec: FileSpec, maps: OmopMaps, source: pl.DataFrame, file: str, ids: RowIds
) -> MappedPart:
    code = pl.col("procedure_source_value").str.strip_chars()
    day0 = clean(pl.col("procedure_date"), spec.missing)
    kind = to_code(code, TRANSPLANTS.column("transplant_type"), maps.procedures)
    frame = source.filter(code.is_in(list(maps.procedures))).select(
        pl.col(ROW),
        _pid(spec),
        *_typed("transplant_type", kind, code),
        *_typed("transplant_date", to_date(day0, spec.date_format), day0),
    )
    columns = [
        MappedColumn("transplant_type", "procedure_source_value", "code"),
        MappedColumn("transplant_date", "procedure_date", "date", date_format=spec.date_format),
    ]
    return finish_part(file, TRANSPLANTS.name, frame, columns, ids=ids)
