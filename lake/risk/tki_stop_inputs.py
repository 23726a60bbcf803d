"""The TKI-stop eligibility input frame, derived from the harmonised tables (``03-cml.md`` §3.7).

:func:`tki_stop_inputs` builds, per CML patient, the frame :mod:`lake.risk.tki_stop` classifies
(one row per patient at the *evaluation date*: the first ``tki_stop`` event, else the patient's
``last_follow_up``). Nulls mean unknown, never normal.

Derivations
-----------
- TKI lines: ``treatment_lines`` whose ``agents`` include a TKI (:data:`lake.model.TKIS`) and that
  started on or before the evaluation date, numbered 1, 2, ... by start date. ``tki_line`` is the
  number of the last one (the TKI current at evaluation); ``second_generation_tki`` whether it
  contains dasatinib, nilotinib or bosutinib.
- ``tki_years``: the summed duration of the TKI lines up to the evaluation date (an ongoing line,
  or one ending after it, counts until the evaluation date), in years of 365.25 days.
- DMR duration (§3.7 derivation notes): from the first sample at MR4 or deeper without any later
  sample worse than MR4, to the evaluation date. Sample levels come from
  :func:`lake.risk.molecular_response.molecular_response` on ``bcr_abl1`` samples taken on or
  before the evaluation date. The run starts after the last sample certainly worse than the level
  (``MMR``/``NONE`` for MR4; also ``MR4`` for MR4.5). A sample of unknown depth after that point
  (``INDETERMINATE`` or ``NOT_CLASSIFIABLE``) makes the duration unknown (null): it might have
  ended the run. No sample at or beyond the level after the last worse one -> 0 years; no
  sample at all -> null. A run that begins with the patient's first recorded sample (nothing
  worse recorded before it) may have begun before monitoring was recorded: its duration is only
  a lower bound, kept where it exceeds the longest duration ELN 2020 compares with
  (:data:`DECIDED_ABOVE_YEARS`: MR4 > 3 years, MR4.5 > 2 years, which it then decides), null
  otherwise. (A start before the first TKI is ruled out too, but that bound never decides: the
  TKI years, at most that span, must exceed 4.) The sample-cadence rule ("gaps longer than the
  local interval invalidate the duration", UNCONFIRMED project decision) is not applied: the
  model records no local interval.
- ``switched_for_intolerance_only`` and ``prior_treatment_failure`` are not recorded in the
  harmonised model; they stay null unless ``clinician_inputs`` supplies them (a frame of
  ``patient_id`` plus either column), so a patient can be MINIMAL/OPTIMAL only when they are known.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from lake.model import TKIS
from lake.risk.molecular_response import molecular_response

SECOND_GENERATION_TKIS: Final = ("dasatinib", "nilotinib", "bosutinib")
DAYS_PER_YEAR: Final = 365.25
#: Levels at or beyond each depth, and levels of unknown depth.
AT_LEAST: Final = {"mr4": ("MR5", "MR4.5", "MR4"), "mr45": ("MR5", "MR4.5")}
UNKNOWN_LEVELS: Final = ("INDETERMINATE", "NOT_CLASSIFIABLE")
CLINICIAN_COLUMNS: Final = ("switched_for_intolerance_only", "prior_treatment_failure")
#: Per depth, the longest DMR duration the ELN 2020 criteria compare with (03-cml.md §3.7): a
#: lower bound above it decides every criterion on that duration.
DECIDED_ABOVE_YEARS: Final = {"mr4": 3.0, "mr45": 2.0}


def evaluation_dates(events: pl.LazyFrame) -> pl.LazyFrame:
    """``patient_id``, ``evaluation_date``: the first TKI stop, else the last follow-up."""
    first = events.group_by("patient_id").agg(
        stop=pl.col("event_date").filter(pl.col("event_type") == "tki_stop").min(),
        follow_up=pl.col("event_date").filter(pl.col("event_type") == "last_follow_up").max(),
    )
    return first.select("patient_id", evaluation_date=pl.coalesce("stop", "follow_up")).drop_nulls(
        "evaluation_date"
    )


def _years(days: pl.Expr) -> pl.Expr:
    return days.dt.total_days().cast(pl.Float64) / DAYS_PER_YEAR


def tki_history(treatment_lines: pl.LazyFrame, dates: pl.LazyFrame) -> pl.LazyFrame:
    """Per patient: ``tki_line``, ``second_generation_tki``, ``tki_years`` at evaluation."""
    is_tki = pl.col("agents").list.eval(pl.element().is_in(TKIS)).list.any()
    second = pl.col("agents").list.eval(pl.element().is_in(SECOND_GENERATION_TKIS)).list.any()
    end = pl.min_horizontal(
        pl.col("end_date").fill_null(pl.col("evaluation_date")), "evaluation_date"
    )
    return (
        treatment_lines.filter(is_tki)
        .join(dates, on="patient_id")
        .filter(pl.col("start_date") <= pl.col("evaluation_date"))
        .sort("patient_id", "start_date")
        .group_by("patient_id")
        .agg(
            tki_line=pl.len().cast(pl.Int16),
            second_generation_tki=second.last(),
            tki_years=_years(end - pl.col("start_date")).sum(),
        )
    )


def dmr_years(bcr_abl1: pl.LazyFrame, dates: pl.LazyFrame) -> pl.LazyFrame:
    """Per patient: ``mr4_years`` and ``mr45_years``, the DMR durations at evaluation."""
    level = molecular_response().to_struct().struct.field("category").cast(pl.String)
    samples = (
        bcr_abl1.join(dates, on="patient_id")
        .filter(pl.col("sample_date") <= pl.col("evaluation_date"))
        .with_columns(level=level)
    )
    unknown = pl.col("level").is_in(UNKNOWN_LEVELS)
    durations = {}
    for name, deep in AT_LEAST.items():
        reached = pl.col("level").is_in(deep)
        worse = ~reached & ~unknown
        after_last_worse = pl.col("sample_date") > (
            pl.col("sample_date").filter(worse).max().fill_null(pl.date(1, 1, 1))
        )
        run_start = pl.col("sample_date").filter(after_last_worse & reached).min()
        unknown_in_run = (after_last_worse & unknown).any()
        since = _years(pl.col("evaluation_date").first() - run_start)
        start_unrecorded = ~worse.any() & (run_start == pl.col("sample_date").min())
        durations[f"{name}_years"] = (
            pl.when(unknown_in_run | (start_unrecorded & (since <= DECIDED_ABOVE_YEARS[name])))
            .then(None)
            .otherwise(since.fill_null(0.0))
        )
    return samples.group_by("patient_id").agg(**durations)


def tki_stop_inputs(
    *,
    patients: pl.LazyFrame,
    genetics: pl.LazyFrame,
    treatment_lines: pl.LazyFrame,
    bcr_abl1: pl.LazyFrame,
    events: pl.LazyFrame,
    clinician_inputs: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """The ``tki_stop_inputs`` frame of every CML patient with an evaluation date.

    Columns: ``patient_id``, ``evaluation_date`` and the inputs documented in
    :mod:`lake.risk.tki_stop`. Pure: LazyFrames of the model tables in, a LazyFrame out.
    """
    dates = evaluation_dates(events)
    cml = patients.filter(pl.col("disease") == "CML").select("patient_id", "cml_phase")
    frame = (
        cml.join(dates, on="patient_id")
        .join(genetics.select("patient_id", "bcr_abl1_transcript"), on="patient_id", how="left")
        .join(tki_history(treatment_lines, dates), on="patient_id", how="left")
        .join(dmr_years(bcr_abl1, dates), on="patient_id", how="left")
    )
    supplied = (
        clinician_inputs
        if clinician_inputs is not None
        else pl.LazyFrame(schema={"patient_id": pl.String})
    )
    names = supplied.collect_schema().names()
    supplied = supplied.select(
        "patient_id",
        *(
            pl.col(c).cast(pl.Boolean) if c in names else pl.lit(None, dtype=pl.Boolean).alias(c)
            for c in CLINICIAN_COLUMNS
        ),
    )
    return frame.join(supplied, on="patient_id", how="left").select(
        "patient_id",
        "evaluation_date",
        "cml_phase",
        "bcr_abl1_transcript",
        "tki_line",
        "switched_for_intolerance_only",
        "second_generation_tki",
        "tki_years",
        "mr4_years",
        "mr45_years",
        "prior_treatment_failure",
    )
