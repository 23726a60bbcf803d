"""TKI stop and restart events from OMOP ``drug_exposure`` rows (``loaders/SPEC.md``).

Rule (03-cml.md §3.7-3.8, 07-omop.md "TKI discontinuation date"):

- a ``tki_stop`` event is the ``drug_exposure_end_date`` of a TKI exposure (a drug the spec maps
  to an agent of :data:`lake.model.TKIS`) whose ``stop_reason`` is one of the spec's
  ``tki_stop.stop_reason`` spellings. Exposure records are not merged: the stop is the end of
  the record carrying the reason, so no gap rule is needed;
- a ``tki_restart`` event is the ``drug_exposure_start_date`` of the first TKI exposure that
  starts strictly after a stop of the same person (several stops before one start give one
  restart). An exposure ending for another reason (intolerance switch) is not a stop.

A stop row without a usable end date is quarantined (``required_missing`` / ``unparseable_date``);
an exposure whose start does not parse cannot be a restart (its line is quarantined anyway).
"""

from __future__ import annotations

import polars as pl
from lake.model import EVENTS, TKIS

from loaders.convert import clean, to_date
from loaders.mapping import RAW_ID, MappedColumn, MappedPart, RowIds, finish_part
from loaders.omop_common import OMOP_ID, person_id, typed
from loaders.readers import ROW, require_columns
from loaders.spec_types import FileSpec, OmopMaps


def map_tki_events(
    spec: FileSpec, maps: OmopMaps, source: pl.DataFrame, file: str, ids: RowIds
) -> MappedPart:
    """The ``tki_stop`` and ``tki_restart`` events of ``drug_exposure.csv``."""
    require_columns(source, ["stop_reason"], where=file)
    tki_sources = [s for s, agent in maps.drugs.items() if agent in TKIS]
    start = clean(pl.col("drug_exposure_start_date"), spec.missing)
    end = clean(pl.col("drug_exposure_end_date"), spec.missing)
    exposures = source.filter(
        pl.col("drug_source_value").str.strip_chars().is_in(tki_sources)
    ).select(
        pl.col(ROW),
        person_id(spec),
        start.alias("_start_raw"),
        to_date(start, spec.date_format).alias("_start"),
        end.alias("_end_raw"),
        to_date(end, spec.date_format).alias("_end"),
        clean(pl.col("stop_reason"), spec.missing)
        .is_in(list(maps.tki_stop_reasons))
        .alias("_stop"),
    )
    stops = exposures.filter(pl.col("_stop")).select(
        pl.col(ROW),
        pl.col(RAW_ID),
        *typed("event_type", pl.lit("tki_stop"), pl.lit("tki_stop")),
        *typed("event_date", pl.col("_end"), pl.col("_end_raw")),
    )
    starts = exposures.filter(pl.col("_start").is_not_null())
    stop_dates = stops.filter(pl.col("event_date").is_not_null()).select(
        RAW_ID, pl.col("event_date").alias("_stopped")
    )
    restarts = (
        stop_dates.join(starts, on=RAW_ID)
        .filter(pl.col("_start") > pl.col("_stopped"))
        .sort("_start", ROW)
        .group_by(RAW_ID, "_stopped", maintain_order=True)
        .first()
        .unique(ROW, keep="first", maintain_order=True)
        .select(
            pl.col(ROW),
            pl.col(RAW_ID),
            *typed("event_type", pl.lit("tki_restart"), pl.lit("tki_restart")),
            *typed("event_date", pl.col("_start"), pl.col("_start_raw")),
        )
    )
    frame = pl.concat([stops, restarts]).sort(ROW, "event_type")
    columns = [
        MappedColumn("event_type", "tki_stop: stop_reason / tki_restart: next start", "text"),
        MappedColumn(
            "event_date",
            "drug_exposure_end_date (stop) / drug_exposure_start_date (restart)",
            "date",
            date_format=spec.date_format,
        ),
    ]
    return finish_part(file, EVENTS.name, frame, columns, ids=ids, id_column=OMOP_ID)
