"""Render a CML truth as an OMOP CDM v5.4 CSV extract (``07-omop.md``) and spoil a few rows.

Tables written: ``person``, ``condition_occurrence`` (the CML diagnosis, its phase in
``condition_status_source_value``), ``measurement`` (baseline labs at diagnosis by LOINC or local
source value; the transcript type at diagnosis in ``value_source_value``; BCR::ABL1 IS% samples as
LOINC 69380-4, an undetectable one with the profile's "<" ``operator_concept_id``, no value and
``value_source_value`` "undetectable"; each sample's ABL1 control copies as a second row of the
same date), ``drug_exposure`` (one row per TKI line; the line ended for the TFR attempt carries
the profile's ``stop_reason``, a switch "intolerance"), ``observation_period`` (end = last
contact) and ``death``. Concept ids are left 0 where the domain reference says to look them up
in the vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import polars as pl

from loaders.synthetic.corrupt import Corruption, format_number, impossible_date, shifted_date
from loaders.synthetic.profile import OmopProfile
from loaders.synthetic.truth import Truth

GENDER_CONCEPTS: Final = {"M": "8507", "F": "8532"}
IS_LOINC: Final = "69380-4"
_EHR: Final = "32817"  # type concept "EHR"
_EQUALS: Final = "4172703"  # operator concept "=" (UNCONFIRMED, see 07-omop.md)


def _spelling(codes: Mapping[str, str]) -> dict[str, str]:
    """Harmonised code -> the first site spelling mapping to it (the renderer's direction)."""
    inverse: dict[str, str] = {}
    for spelling, code in codes.items():
        inverse.setdefault(code, spelling)
    return inverse


def omop_tables(truth: Truth, omop: OmopProfile) -> dict[str, pl.DataFrame]:
    """The extract's tables as all-text frames, in a fixed order."""
    fmt = omop.date_format
    patients = truth.tables["patients"]
    person = patients.select(
        pl.col("patient_id").alias("person_id"),
        pl.col("sex").replace_strict(GENDER_CONCEPTS).alias("gender_concept_id"),
        pl.col("birth_year").cast(pl.String).alias("year_of_birth"),
        pl.lit("0").alias("race_concept_id"),
        pl.lit("0").alias("ethnicity_concept_id"),
        pl.col("patient_id").alias("person_source_value"),
    )
    condition = patients.select(
        pl.int_range(1, pl.len() + 1).cast(pl.String).alias("condition_occurrence_id"),
        pl.col("patient_id").alias("person_id"),
        pl.lit("0").alias("condition_concept_id"),
        pl.col("diagnosis_date").dt.strftime(fmt).alias("condition_start_date"),
        pl.lit(_EHR).alias("condition_type_concept_id"),
        pl.lit("C92.10").alias("condition_source_value"),
        _phase_spelling(omop).alias("condition_status_source_value"),
    )
    return {
        "person": person,
        "condition_occurrence": condition,
        "measurement": _measurements(truth, omop),
        "drug_exposure": _drugs(truth, fmt, omop.tki_stop_reason or "TFR attempt"),
        "observation_period": _observation_periods(truth, fmt),
        "death": _deaths(truth, fmt),
    }


def _phase_spelling(omop: OmopProfile) -> pl.Expr:
    """The site's spelling of ``patients.cml_phase`` (empty without a phase map)."""
    if not omop.cml_phase_codes:
        return pl.lit("")
    return pl.col("cml_phase").replace_strict(_spelling(omop.cml_phase_codes), default="")


def _measurements(truth: Truth, omop: OmopProfile) -> pl.DataFrame:
    fmt = omop.date_format
    diagnosis = truth.tables["patients"].select("patient_id", "diagnosis_date")
    baseline = truth.tables["baseline"].join(diagnosis, on="patient_id", maintain_order="left")
    parts = []
    for source, (target, unit) in omop.measurements.items():
        table, column = target.split(".")
        if table != "baseline":
            continue
        parts.append(
            baseline.filter(pl.col(column).is_not_null()).select(
                "patient_id",
                pl.col("diagnosis_date").alias("date"),
                pl.col(column).cast(pl.String).alias("value"),
                pl.lit(source).alias("source"),
                pl.lit(unit or "").alias("unit"),
                pl.lit("").alias("value_source"),
            )
        )
    parts = [p.with_columns(operator=pl.lit("")) for p in parts]
    if omop.transcript_source is not None:
        genetics = truth.tables["genetics"].join(diagnosis, on="patient_id", maintain_order="left")
        parts.append(
            genetics.select(
                "patient_id",
                pl.col("diagnosis_date").alias("date"),
                pl.lit("").alias("value"),
                pl.lit(omop.transcript_source).alias("source"),
                pl.lit("").alias("unit"),
                pl.col("bcr_abl1_transcript")
                .replace_strict(_spelling(omop.transcript_codes))
                .alias("value_source"),
                pl.lit("").alias("operator"),
            )
        )
    samples = truth.tables["bcr_abl1"]
    detected = pl.col("detectable")
    parts.append(
        samples.select(
            "patient_id",
            pl.col("sample_date").alias("date"),
            pl.col("is_pct").cast(pl.String).fill_null("").alias("value"),
            pl.lit(IS_LOINC).alias("source"),
            pl.lit("%").alias("unit"),
            pl.when(detected)
            .then(pl.lit("detected"))
            .otherwise(pl.lit(omop.undetectable_value or "undetectable"))
            .alias("value_source"),
            pl.when(detected)
            .then(pl.lit(_EQUALS))
            .otherwise(pl.lit(omop.undetectable_operator or ""))
            .alias("operator"),
        )
    )
    if omop.abl1_copies_source is not None:
        parts.append(
            samples.select(
                "patient_id",
                pl.col("sample_date").alias("date"),
                pl.col("abl1_copies").cast(pl.String).alias("value"),
                pl.lit(omop.abl1_copies_source).alias("source"),
                pl.lit("copies").alias("unit"),
                pl.lit("").alias("value_source"),
                pl.lit("").alias("operator"),
            )
        )
    rows = pl.concat(parts).sort("patient_id", "date", "source", maintain_order=True)
    return rows.select(
        pl.int_range(1, pl.len() + 1).cast(pl.String).alias("measurement_id"),
        pl.col("patient_id").alias("person_id"),
        pl.lit("0").alias("measurement_concept_id"),
        pl.col("date").dt.strftime(fmt).alias("measurement_date"),
        pl.lit(_EHR).alias("measurement_type_concept_id"),
        pl.col("operator").alias("operator_concept_id"),
        pl.col("value").alias("value_as_number"),
        pl.col("unit").alias("unit_source_value"),
        pl.col("source").alias("measurement_source_value"),
        pl.col("value_source").alias("value_source_value"),
    )


def _drugs(truth: Truth, fmt: str, stop_reason: str) -> pl.DataFrame:
    lines = truth.tables["treatment_lines"]
    restarts = (
        truth.tables["events"]
        .filter(pl.col("event_type") == "tki_stop")
        .select("patient_id", pl.col("event_date").alias("stop"))
    )
    lines = lines.join(restarts, on="patient_id", how="left", maintain_order="left")
    return lines.select(
        pl.int_range(1, pl.len() + 1).cast(pl.String).alias("drug_exposure_id"),
        pl.col("patient_id").alias("person_id"),
        pl.lit("0").alias("drug_concept_id"),
        pl.col("start_date").dt.strftime(fmt).alias("drug_exposure_start_date"),
        pl.col("end_date").dt.strftime(fmt).fill_null("").alias("drug_exposure_end_date"),
        pl.lit(_EHR).alias("drug_type_concept_id"),
        pl.when(pl.col("end_date") == pl.col("stop"))
        .then(pl.lit(stop_reason))
        .when(pl.col("end_date").is_not_null())
        .then(pl.lit("intolerance"))
        .otherwise(pl.lit(""))
        .alias("stop_reason"),
        pl.col("agents").list.first().alias("drug_source_value"),
    )


def _observation_periods(truth: Truth, fmt: str) -> pl.DataFrame:
    last = truth.tables["events"].filter(pl.col("event_type") == "last_follow_up")
    start = truth.tables["patients"].select("patient_id", "diagnosis_date")
    frame = start.join(
        last.select("patient_id", "event_date"), on="patient_id", maintain_order="left"
    )
    return frame.select(
        pl.int_range(1, pl.len() + 1).cast(pl.String).alias("observation_period_id"),
        pl.col("patient_id").alias("person_id"),
        pl.col("diagnosis_date").dt.strftime(fmt).alias("observation_period_start_date"),
        pl.col("event_date").dt.strftime(fmt).alias("observation_period_end_date"),
        pl.lit(_EHR).alias("period_type_concept_id"),
    )


def _deaths(truth: Truth, fmt: str) -> pl.DataFrame:
    deaths = truth.tables["events"].filter(pl.col("event_type") == "death")
    return deaths.select(
        pl.col("patient_id").alias("person_id"),
        pl.col("event_date").dt.strftime(fmt).alias("death_date"),
        pl.lit(_EHR).alias("death_type_concept_id"),
        pl.lit("0").alias("cause_concept_id"),
    )


def _fresh_person(row: dict[str, object], _rng: np.random.Generator) -> dict[str, object]:
    """Move a person row to an id no other table refers to."""
    return row | {"person_id": f"8{row['person_id']}"}


def omop_corruptions(
    tables: dict[str, pl.DataFrame], truth: Truth, omop: OmopProfile
) -> dict[str, list[Corruption]]:
    """Per OMOP table, the ways its rows are spoiled."""
    fmt = omop.date_format
    measurement = tables["measurement"]
    platelets = np.flatnonzero((measurement["measurement_source_value"] == "777-3").to_numpy())
    is_rows = np.flatnonzero((measurement["measurement_source_value"] == IS_LOINC).to_numpy())
    # a spoiled value must be read as one: an undetectable sample's value is not stored
    valued = np.flatnonzero(
        (
            (measurement["measurement_source_value"] == IS_LOINC)
            & (measurement["value_as_number"] != "")
        ).to_numpy()
    )
    dead = tables["death"]["person_id"]
    diagnoses = tables["condition_occurrence"].filter(~pl.col("person_id").is_in(dead.implode()))
    alive = diagnoses.select("person_id", "condition_start_date").rows()

    def onto_alive_patient(row: dict[str, object], rng: np.random.Generator) -> dict[str, object]:
        person, diagnosed = alive[int(rng.integers(0, len(alive)))]
        days = -int(rng.integers(10, 400))
        return row | {"person_id": person, "death_date": shifted_date(diagnosed, fmt, days)}

    return {
        "person": [
            Corruption(
                "unknown_code", "gender_concept_id", lambda _r, _g: "8551", rewrite=_fresh_person
            ),
            Corruption("duplicate_id", "person_id", lambda row, _g: f"9{row['person_id']}"),
        ],
        "measurement": [
            Corruption(
                "out_of_range",
                "value_as_number",
                lambda _r, rng: format_number(
                    float(rng.integers(6000, 90000)), decimal_comma=False
                ),
                rows=platelets,
                in_place=True,
                lost_table="baseline",
            ),
            Corruption(
                "out_of_range",
                "value_as_number",
                lambda _r, rng: format_number(float(rng.integers(1500, 9000)), decimal_comma=False),
                rows=valued,
                in_place=True,
                lost_table="bcr_abl1",
            ),
            Corruption(
                "unparseable_number",
                "value_as_number",
                lambda _r, rng: ("n/a?", "0,1,2", "<>")[int(rng.integers(0, 3))],
                rows=valued,
                in_place=True,
                lost_table="bcr_abl1",
            ),
            Corruption(
                "impossible_date",
                "measurement_date",
                lambda _r, rng: impossible_date(fmt, rng),
                rows=is_rows,
                in_place=True,
                lost_table="bcr_abl1",
            ),
        ],
        "drug_exposure": [
            Corruption("unknown_code", "drug_source_value", lambda _r, _g: "interferon alfa"),
            Corruption(
                "impossible_date",
                "drug_exposure_start_date",
                lambda _r, rng: impossible_date(fmt, rng),
                # a copy keeping the TFR stop reason would duplicate the real tki_stop event
                rewrite=lambda row, _g: row | {"stop_reason": ""},
            ),
        ],
        "death": [
            Corruption(
                "death_before_diagnosis",
                "death_date",
                lambda row, _g: row["death_date"],
                rewrite=onto_alive_patient,
            ),
        ],
    }
