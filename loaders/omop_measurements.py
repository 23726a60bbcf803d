"""OMOP ``measurement`` rows onto baseline, genetics and BCR::ABL1 samples (``loaders/SPEC.md``).

- baseline (numeric) targets: the earliest dated ``value_as_number`` per person, one baseline
  row per person (at the person's ``person.csv`` line); LDH's ``range_high`` is its ULN;
- genetics (coded) targets: the earliest dated ``value_source_value`` per person through the
  entry's ``codes``; a genetics row for each person with at least one such measurement;
- ``bcr_abl1.is_pct``: one sample per row. A row the entry's ``undetectable`` convention marks
  (``operator_concept_id`` "<" or a ``value_source_value`` spelling) is undetectable:
  ``detectable`` false, ``is_pct`` null (its ``value_as_number``, if any, is the assay's detection
  limit, not stored; a limit that does not parse is still reported). Otherwise ``detectable`` is
  ``value_as_number > 0``;
- ``bcr_abl1.abl1_copies``: the ``value_as_number`` (a whole number) of the declared control-gene
  row of the same person and ``measurement_date`` (the first such row in file order); it is an
  attribute of the sample, not a row of its own.
"""

from __future__ import annotations

import polars as pl
from lake.model import BASELINE, BCR_ABL1, GENETICS

from loaders.convert import clean, to_code, to_date, to_integer, to_number
from loaders.mapping import RAW_ID, MappedColumn, MappedPart, RowIds, finish_part, raw_name
from loaders.omop_common import OMOP_ID, person_id, typed
from loaders.readers import ROW, require_columns
from loaders.spec_types import FileSpec, OmopMaps, OmopMeasurement, OmopUndetectable
from loaders.units import conversion_factor


def map_measurements(
    spec: FileSpec, maps: OmopMaps, tables: dict[str, pl.DataFrame], name: str, ids: RowIds
) -> list[MappedPart]:
    """The baseline, genetics and bcr_abl1 parts of ``measurement.csv``."""
    file = f"{name}/measurement.csv"
    measurement = tables["measurement"]
    if any(m.table == "genetics" or m.undetectable for m in maps.measurements.values()):
        required = ["value_source_value"]
        if any(m.undetectable and m.undetectable.operators for m in maps.measurements.values()):
            required.append("operator_concept_id")
        require_columns(measurement, required, where=file)
    source = measurement.with_columns(
        person_id(spec),
        pl.col("measurement_source_value").str.strip_chars().alias("_code"),
        clean(pl.col("measurement_date"), spec.missing).alias("_date_raw"),
        clean(pl.col("value_as_number"), spec.missing).alias("_value_raw"),
    ).with_columns(to_date(pl.col("_date_raw"), spec.date_format).alias("_date"))
    person = tables["person"].select(pl.col(ROW), person_id(spec))
    parts = []
    baseline = {c: m for c, m in maps.measurements.items() if m.table == "baseline"}
    if baseline:
        frame, columns = _per_person(spec, source, person, baseline)
        # one baseline row per person: its row number is the person's line in person.csv
        parts.append(
            finish_part(
                f"{name}/person.csv", BASELINE.name, frame, columns, ids=ids, id_column=OMOP_ID
            )
        )
    genetics = {c: m for c, m in maps.measurements.items() if m.table == "genetics"}
    if genetics:
        frame, columns = _per_person(spec, source, person, genetics)
        tested = pl.any_horizontal(pl.col(raw_name(c.name)).is_not_null() for c in columns)
        parts.append(
            finish_part(
                f"{name}/person.csv",
                GENETICS.name,
                frame.filter(tested),
                columns,
                ids=ids,
                id_column=OMOP_ID,
            )
        )
    samples = {c: m for c, m in maps.measurements.items() if m.column == "is_pct"}
    if samples:
        copies = next((c for c, m in maps.measurements.items() if m.column == "abl1_copies"), None)
        parts.append(_samples(spec, source, samples, copies_code=copies, file=file, ids=ids))
    return parts


def _first_per_person(source: pl.DataFrame, code: str) -> pl.DataFrame:
    return (
        source.filter(pl.col("_code") == code)
        .sort("_date", nulls_last=True, maintain_order=True)
        .group_by(RAW_ID, maintain_order=True)
        .first()
    )


def _per_person(
    spec: FileSpec,
    source: pl.DataFrame,
    person: pl.DataFrame,
    targets: dict[str, OmopMeasurement],
) -> tuple[pl.DataFrame, list[MappedColumn]]:
    """Each target's earliest value per person, joined onto the person rows."""
    frame = person
    columns = []
    for code, target in targets.items():
        first = _first_per_person(source, code)
        if target.table == "genetics":
            column = GENETICS.column(target.column)
            raw = clean(pl.col("value_source_value"), spec.missing)
            picked = typed(column.name, to_code(raw, column, target.codes), raw)
            columns.append(
                MappedColumn(column.name, f"measurement {code} value_source_value", "code")
            )
        else:
            column = BASELINE.column(target.column)
            factor = conversion_factor(column, target.unit) if target.unit else 1.0
            value = to_number(pl.col("_value_raw"), decimal_comma=False, factor=factor)
            picked = typed(column.name, value, pl.col("_value_raw"))
            columns.append(
                MappedColumn(
                    column.name, f"measurement {code}", "number", unit=target.unit or column.unit
                )
            )
            if column.name == "ldh_u_l" and "range_high" in first.columns:
                uln = clean(pl.col("range_high"), spec.missing)
                picked += typed("ldh_uln_u_l", to_number(uln, decimal_comma=False), uln)
                columns.append(
                    MappedColumn(
                        "ldh_uln_u_l", f"measurement {code} range_high", "number", unit="U/L"
                    )
                )
        frame = frame.join(first.select(RAW_ID, *picked), on=RAW_ID, how="left")
    return frame, columns


def _undetectable(spec: FileSpec, rule: OmopUndetectable | None) -> pl.Expr:
    """True where the lab reports the sample as below detection (censored, "<")."""
    marked = pl.lit(value=False)
    if rule is None:
        return marked
    if rule.operators:
        operator = clean(pl.col("operator_concept_id"), spec.missing)
        marked = marked | operator.is_in(list(rule.operators)).fill_null(value=False)
    if rule.value_sources:
        verdict = clean(pl.col("value_source_value"), spec.missing)
        marked = marked | verdict.is_in(list(rule.value_sources)).fill_null(value=False)
    return marked


def _samples(
    spec: FileSpec,
    source: pl.DataFrame,
    samples: dict[str, OmopMeasurement],
    *,
    copies_code: str | None,
    file: str,
    ids: RowIds,
) -> MappedPart:
    rows = pl.concat(
        [
            source.filter(pl.col("_code") == code).with_columns(
                _undetectable(spec, target.undetectable).alias("_undetectable")
            )
            for code, target in samples.items()
        ]
    ).sort(ROW)
    value = to_number(pl.col("_value_raw"), decimal_comma=False)
    undetectable = pl.col("_undetectable")
    limit_only = undetectable & value.is_not_null()
    columns = [
        MappedColumn("sample_date", "measurement_date", "date", date_format=spec.date_format),
        MappedColumn("is_pct", "value_as_number", "number", unit="%"),
        MappedColumn("detectable", "value_as_number > 0, or the undetectable convention", "text"),
    ]
    selected = [
        pl.col(ROW),
        pl.col(RAW_ID),
        *typed("sample_date", pl.col("_date"), pl.col("_date_raw")),
        *typed(
            "is_pct",
            pl.when(undetectable).then(None).otherwise(value),
            pl.when(limit_only).then(None).otherwise(pl.col("_value_raw")),
        ),
        *typed(
            "detectable",
            pl.when(undetectable).then(pl.lit(value=False)).otherwise(value > 0),
            pl.when(undetectable).then(pl.lit("undetectable")).otherwise(pl.col("_value_raw")),
        ),
    ]
    if copies_code is not None:
        control = (
            source.filter(pl.col("_code") == copies_code)
            .filter(pl.col("_date").is_not_null())
            .unique([RAW_ID, "_date"], keep="first", maintain_order=True)
            .select(RAW_ID, "_date", pl.col("_value_raw").alias("_copies_raw"))
        )
        rows = rows.join(control, on=[RAW_ID, "_date"], how="left", maintain_order="left")
        selected += typed(
            "abl1_copies", to_integer(pl.col("_copies_raw"), pl.Int64()), pl.col("_copies_raw")
        )
        columns.append(
            MappedColumn("abl1_copies", f"measurement {copies_code} value_as_number", "integer")
        )
    return finish_part(
        file, BCR_ABL1.name, rows.select(selected), columns, ids=ids, id_column=OMOP_ID
    )
