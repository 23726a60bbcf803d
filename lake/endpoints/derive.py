"""Derive an endpoint frame (patient_id, time_days, status) from dated events. Never stored.

Algorithm per patient (all in Polars, one collect):

1. time zero = the origin date (:mod:`lake.endpoints.origins`) + ``landmark_days``; outcome rows
   dated before the *base* origin are ignored (e.g. a relapse before transplant), except a death,
   which excludes the patient ("death before origin": inconsistent data).
2. the first event of interest, the first competing event and the first censoring trigger on or
   after the base origin are found; the earliest decides (ties: see
   :mod:`lake.endpoints.definitions`); without any, the patient is censored at the end of
   follow-up (last contact, or last BCR::ABL1 sample for molecular endpoints).
   Induction failure (a definition with ``induction_window_days``, EFS; ELN 2022 Table 9): no
   ``complete_remission`` on or after the origin and within the window moves the end to the
   origin (time 0), as an event if the patient died, had an event or was followed to the end
   of the window, else censored (alive, not evaluable for response).
3. if that end lies before time zero the patient is excluded and counted ("event or censoring
   before origin"); with a landmark the patient must still be at risk strictly after L.
4. administrative censoring: times beyond ``horizon_days`` become (horizon, status 0). The
   horizon is on the analysis time scale, i.e. counted from time zero (the landmark when there
   is one, not the base origin): ``horizon_days=365`` with a day-100 landmark censors at day
   465 after the base origin.

Exclusions are counted by reason: not in the origin table ("no origin event"); a disease the
definition is not defined for ("endpoint not defined for the disease"); the origin but no dated
outcome row at all, so no follow-up to censor at ("no follow-up"); death before the
origin; end of follow-up or event before time zero.

status is 0 = censored, 1 = event of interest, 2 = competing event (competing endpoints only).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from lake.endpoints.definitions import (
    MMR_LOSS,
    MMR_THRESHOLD_PCT,
    MOLECULAR_SAMPLE,
    EndpointDefinition,
)
from lake.endpoints.origins import Origin, origin_dates
from lake.errors import AnalysisError, EmptyCohortError

NO_ORIGIN = "no origin event"
NO_FOLLOW_UP = "no follow-up"
DEATH_BEFORE_ORIGIN = "death before origin"
ENDED_BEFORE_ORIGIN = "event or censoring before origin"
OTHER_DISEASE = "endpoint not defined for the disease"


@dataclass(frozen=True, slots=True)
class EndpointResult:
    """A derived endpoint: one row per included patient plus the exclusion counts by reason."""

    endpoint: str
    origin: str
    competing: bool
    frame: pl.DataFrame
    n_cohort: int
    excluded: dict[str, int]


def outcome_rows(events: pl.LazyFrame, bcr_abl1: pl.LazyFrame | None) -> pl.LazyFrame:
    """Events plus BCR::ABL1 samples as (patient_id, date, kind, grade, systemic_ist) rows."""
    rows = events.select(
        "patient_id",
        date=pl.col("event_date"),
        kind=pl.col("event_type"),
        grade=pl.col("grade"),
        systemic_ist=pl.col("systemic_ist"),
    )
    if bcr_abl1 is None:
        return rows

    def samples(kind: str, frame: pl.LazyFrame) -> pl.LazyFrame:
        return frame.select(
            "patient_id",
            date=pl.col("sample_date"),
            kind=pl.lit(kind),
            grade=pl.lit(None, pl.String),
            systemic_ist=pl.lit(None, pl.Boolean),
        )

    loss = bcr_abl1.filter(pl.col("detectable") & (pl.col("is_pct") > MMR_THRESHOLD_PCT))
    return pl.concat([rows, samples(MOLECULAR_SAMPLE, bcr_abl1), samples(MMR_LOSS, loss)])


def _first(condition: pl.Expr) -> pl.Expr:
    return pl.col("date").filter(condition & (pl.col("date") >= pl.col("origin_date"))).min()


def derive_endpoint(
    definition: EndpointDefinition,
    origin: Origin,
    *,
    events: pl.LazyFrame,
    patients: pl.LazyFrame | None = None,
    treatment_lines: pl.LazyFrame | None = None,
    transplants: pl.LazyFrame | None = None,
    bcr_abl1: pl.LazyFrame | None = None,
    horizon_days: int | None = None,
    by_patient: bool = True,
) -> EndpointResult:
    """The endpoint ``definition`` measured from ``origin`` for every patient of the cohort.

    The cohort is every patient in ``events`` (and ``patients`` if given). ``horizon_days``
    censors administratively on the analysis time scale, counted from time zero (base origin +
    landmark). A definition with ``diseases`` keeps only those patients (by
    ``patients.disease``); one with ``induction_window_days`` counts induction failure at time
    0 (module docstring, step 2). The rows are sorted by ``patient_id`` unless ``by_patient``
    is false (in no set order: for a caller aligning them to its own order, a string sort
    saved, a quarter of the derivation).

    Raises
    ------
    EmptyCohortError
        No patient has the origin event, or every patient is excluded.
    AnalysisError
        A molecular endpoint without the ``bcr_abl1`` table, a disease-specific one without the
        ``patients`` table, or a negative horizon.
    """
    if definition.follow_up == "last_sample" and bcr_abl1 is None:
        raise AnalysisError(f"{definition.name} needs the bcr_abl1 table; pass it in")
    if definition.diseases is not None and patients is None:
        raise AnalysisError(
            f"{definition.name} is defined for {'/'.join(definition.diseases)} only and needs "
            "the patients table (disease); pass it in"
        )
    if horizon_days is not None and horizon_days <= 0:
        raise AnalysisError(f"horizon_days must be > 0, got {horizon_days}")
    cohort_ids = events.select("patient_id")
    if patients is not None:
        cohort_ids = pl.concat([cohort_ids, patients.select("patient_id")])
    cohort_ids = cohort_ids.unique()
    n_cohort = cohort_ids.select(pl.len()).collect().item()
    origins = origin_dates(
        origin,
        events=events,
        patients=patients,
        treatment_lines=treatment_lines,
        transplants=transplants,
    ).join(cohort_ids, on="patient_id", how="semi")
    if patients is not None and definition.diseases is not None:
        in_scope = pl.col("disease").is_in(definition.diseases).fill_null(False)
        scope = patients.select("patient_id", in_scope=in_scope)
        origins = origins.join(scope, on="patient_id", how="left")
    else:
        origins = origins.with_columns(in_scope=pl.lit(True))
    kind = pl.col("kind")
    date = pl.col("date")
    none = pl.lit(False)
    # left join: a patient with the origin but no outcome row stays (date null) and is
    # counted as "no follow-up" below, not as missing the origin
    per_patient = (
        origins.join(outcome_rows(events, bcr_abl1), on="patient_id", how="left")
        .group_by("patient_id")
        .agg(
            origin_date=pl.col("origin_date").first(),
            in_scope=pl.col("in_scope").first().fill_null(False),
            interest=_first(definition.interest),
            competing=_first(definition.competing if definition.competing is not None else none),
            censor=_first(definition.censor_at if definition.censor_at is not None else none),
            last_contact=date.max(),
            last_sample=date.filter(
                (kind == MOLECULAR_SAMPLE) & (date >= pl.col("origin_date"))
            ).max(),
            died_before=((kind == "death") & (date < pl.col("origin_date"))).any(),
            remission=date.filter(
                (kind == "complete_remission") & (date >= pl.col("origin_date"))
            ).min(),
        )
        .collect()
    )
    n_origin = per_patient.height
    other_disease = per_patient.filter(~pl.col("in_scope")).height
    per_patient = per_patient.filter(pl.col("in_scope"))
    no_follow_up = per_patient.filter(pl.col("last_contact").is_null()).height
    per_patient = per_patient.filter(pl.col("last_contact").is_not_null())
    frame = _resolve(per_patient, definition, origin)
    died_before = frame.filter(pl.col("died_before"))
    frame = frame.filter(~pl.col("died_before"))
    ended_before = frame.filter(~pl.col("at_risk"))
    frame = frame.filter(pl.col("at_risk"))
    if horizon_days is not None:
        late = pl.col("time_days") > horizon_days
        frame = frame.with_columns(
            status=pl.when(late).then(0).otherwise(pl.col("status")),
            time_days=pl.when(late).then(horizon_days).otherwise(pl.col("time_days")),
        )
    frame = frame.select(
        "patient_id", pl.col("time_days").cast(pl.Int64), pl.col("status").cast(pl.Int8)
    )
    if by_patient:
        frame = frame.sort("patient_id")
    if frame.height == 0:
        defined_for = (
            ""
            if definition.diseases is None
            else f"; defined for {'/'.join(definition.diseases)} only"
        )
        raise EmptyCohortError(
            f"{definition.name} from {origin.label}: no patient left "
            f"({n_cohort} in cohort, {n_origin} with the origin event{defined_for})"
        )
    return EndpointResult(
        endpoint=definition.name,
        origin=origin.label,
        competing=definition.competing is not None,
        frame=frame,
        n_cohort=n_cohort,
        excluded={
            NO_ORIGIN: n_cohort - n_origin,
            OTHER_DISEASE: other_disease,
            NO_FOLLOW_UP: no_follow_up,
            DEATH_BEFORE_ORIGIN: died_before.height,
            ENDED_BEFORE_ORIGIN: ended_before.height,
        },
    )


def _resolve(
    per_patient: pl.DataFrame,
    definition: EndpointDefinition,
    origin: Origin,
) -> pl.DataFrame:
    """Pick the deciding date and status per patient; mark who is at risk at time zero."""
    interest, competing, censor = pl.col("interest"), pl.col("competing"), pl.col("censor")
    if definition.ties_go_to == "interest":
        interest_wins = interest.is_not_null() & (competing.is_null() | (interest <= competing))
    else:
        interest_wins = interest.is_not_null() & (competing.is_null() | (interest < competing))
    event_date = pl.when(interest_wins).then(interest).otherwise(competing)
    follow_up = (
        pl.col("last_sample") if definition.follow_up == "last_sample" else pl.col("last_contact")
    )
    follow_up = pl.coalesce(follow_up, pl.col("origin_date"))
    censored_first = censor.is_not_null() & (event_date.is_null() | (censor < event_date))
    end = (
        pl.when(censored_first)
        .then(censor)
        .when(event_date.is_not_null())
        .then(event_date)
        .otherwise(follow_up)
    )
    status = (
        pl.when(censored_first | event_date.is_null())
        .then(0)
        .when(interest_wins)
        .then(1)
        .otherwise(2)
    )
    frame = per_patient.with_columns(end=end, status=status)
    if definition.induction_window_days is not None:
        window_end = pl.col("origin_date") + pl.duration(days=definition.induction_window_days)
        no_cr = pl.col("remission").is_null() | (pl.col("remission") > window_end)
        evaluable = (pl.col("end") >= window_end) | (pl.col("status") != 0)
        frame = frame.with_columns(
            end=pl.when(no_cr).then(pl.col("origin_date")).otherwise(pl.col("end")),
            status=pl.when(no_cr).then(evaluable.cast(pl.Int32)).otherwise(pl.col("status")),
        )
    zero = pl.col("origin_date") + pl.duration(days=origin.landmark_days)
    at_risk = pl.col("end") > zero if origin.landmark_days else pl.col("end") >= zero
    return frame.with_columns(
        time_days=(pl.col("end") - zero).dt.total_days(),
        at_risk=at_risk,
    )
