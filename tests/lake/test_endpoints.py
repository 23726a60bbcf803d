"""Endpoint derivation: every worked example of 04-transplant.md §4.1 and 03-cml.md §3.8."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest

from lake.endpoints import (
    EndpointDefinition,
    Origin,
    acute_gvhd,
    chronic_gvhd,
    derive_endpoint,
    gvhd_relapse_free_survival,
    molecular_recurrence_tki_free_survival,
    molecular_relapse_free_survival,
    non_relapse_mortality,
    overall_survival,
    progression_free_survival,
    relapse_incidence,
)
from lake.errors import AnalysisError, EmptyCohortError
from lake.model import BCR_ABL1, EVENTS, PATIENTS, TRANSPLANTS, TREATMENT_LINES

DAY0 = date(2021, 1, 10)


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def table(schema: pl.Schema, rows: list[dict[str, Any]]) -> pl.LazyFrame:
    full = [{name: row.get(name) for name in schema} for row in rows]
    return pl.DataFrame(full, schema=schema).lazy()


def ev(pid: str, kind: str, n: int, **extra: Any) -> dict[str, Any]:
    return {"patient_id": pid, "site": "S1", "event_type": kind, "event_date": day(n), **extra}


# 04-transplant.md worked examples: day 0 = 2021-01-10, follow-up to 2023-01-10 (730 d).
TRANSPLANT_EVENTS = table(
    EVENTS.schema,
    [
        ev("p1", "agvhd", 30, grade="II"),
        ev("p1", "last_follow_up", 730),
        ev("p2", "relapse", 200),
        ev("p2", "death", 400, death_cause="disease"),
        ev("p2", "last_follow_up", 400),
        ev("p3", "death", 90, death_cause="infection"),
        ev("p3", "last_follow_up", 90),
        ev("p4", "agvhd", 25, grade="III"),
        ev("p4", "cgvhd", 150, grade="moderate", systemic_ist=True),
        ev("p4", "last_follow_up", 730),
        ev("p5", "cgvhd", 200, grade="mild", systemic_ist=False),
        ev("p5", "last_follow_up", 730),
    ],
)
TRANSPLANTS_TABLE = table(
    TRANSPLANTS.schema,
    [
        {"patient_id": p, "site": "S1", "transplant_type": "allogeneic", "transplant_date": DAY0}
        for p in ("p1", "p2", "p3", "p4", "p5")
    ],
)
HSCT = Origin("allo_transplant")


def records(definition: EndpointDefinition, **kwargs: Any) -> dict[str, tuple[int, int]]:
    result = derive_endpoint(
        definition,
        kwargs.pop("origin", HSCT),
        events=kwargs.pop("events", TRANSPLANT_EVENTS),
        transplants=kwargs.pop("transplants", TRANSPLANTS_TABLE),
        **kwargs,
    )
    return {r["patient_id"]: (r["time_days"], r["status"]) for r in result.frame.to_dicts()}


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (
            overall_survival(),
            {"p1": (730, 0), "p2": (400, 1), "p3": (90, 1), "p4": (730, 0), "p5": (730, 0)},
        ),
        (
            progression_free_survival(),
            {"p1": (730, 0), "p2": (200, 1), "p3": (90, 1), "p4": (730, 0), "p5": (730, 0)},
        ),
        (
            relapse_incidence(),
            {"p1": (730, 0), "p2": (200, 1), "p3": (90, 2), "p4": (730, 0), "p5": (730, 0)},
        ),
        (
            non_relapse_mortality(),
            {"p1": (730, 0), "p2": (200, 2), "p3": (90, 1), "p4": (730, 0), "p5": (730, 0)},
        ),
        (
            acute_gvhd(),
            {"p1": (30, 1), "p2": (400, 2), "p3": (90, 2), "p4": (25, 1), "p5": (730, 0)},
        ),
        (
            acute_gvhd(relapse_competes=True),
            {"p1": (30, 1), "p2": (200, 2), "p3": (90, 2), "p4": (25, 1), "p5": (730, 0)},
        ),
        (
            gvhd_relapse_free_survival(),
            {"p1": (730, 0), "p2": (200, 1), "p3": (90, 1), "p4": (25, 1), "p5": (730, 0)},
        ),
    ],
    ids=lambda v: v.name if isinstance(v, EndpointDefinition) else "",
)
def test_transplant_worked_examples(
    definition: EndpointDefinition, expected: dict[str, tuple[int, int]]
) -> None:
    """04-transplant.md §4.1 worked examples 1-5, one column of the table per case."""
    assert records(definition) == expected


def test_chronic_gvhd_any_vs_systemic() -> None:
    """Example 5's mild topical-only cGVHD counts for cGVHD (any) but not systemic-IST cGVHD."""
    assert records(chronic_gvhd())["p5"] == (200, 1)
    assert records(chronic_gvhd(systemic_ist_only=True))["p5"] == (730, 0)
    assert records(chronic_gvhd(systemic_ist_only=True))["p4"] == (150, 1)


def test_nrm_same_day_relapse_makes_death_relapse_related() -> None:
    events = table(
        EVENTS.schema, [ev("q", "relapse", 50), ev("q", "death", 50), ev("q", "last_follow_up", 50)]
    )
    tx = table(
        TRANSPLANTS.schema,
        [
            {
                "patient_id": "q",
                "site": "S1",
                "transplant_type": "allogeneic",
                "transplant_date": DAY0,
            }
        ],
    )
    assert records(non_relapse_mortality(), events=events, transplants=tx) == {"q": (50, 2)}
    assert records(relapse_incidence(), events=events, transplants=tx) == {"q": (50, 1)}


def test_ri_plus_nrm_equals_one_minus_pfs_event_status() -> None:
    """04 invariant at the record level: an RI or NRM event (1) is exactly a PFS event."""
    ri, nrm, pfs = (
        records(d)
        for d in (relapse_incidence(), non_relapse_mortality(), progression_free_survival())
    )
    for pid, (time, status) in pfs.items():
        assert (ri[pid][1] == 1 or nrm[pid][1] == 1) == (status == 1)
        assert ri[pid][0] == nrm[pid][0] == time


def test_missing_origin_death_before_origin_and_horizon() -> None:
    """No transplant -> excluded with count; death before day 0 -> excluded; horizon 365 d."""
    events = table(
        EVENTS.schema,
        [
            *[ev(p, "last_follow_up", 730) for p in ("a", "b")],
            ev("c", "death", -5),
            ev("c", "last_follow_up", -5),
            ev("d", "last_follow_up", 800),
        ],
    )
    tx = table(
        TRANSPLANTS.schema,
        [
            {
                "patient_id": p,
                "site": "S1",
                "transplant_type": "allogeneic",
                "transplant_date": DAY0,
            }
            for p in ("a", "c", "d")
        ]
        + [
            {
                "patient_id": "b",
                "site": "S1",
                "transplant_type": "autologous",
                "transplant_date": DAY0,
            }
        ],
    )
    result = derive_endpoint(
        overall_survival(), HSCT, events=events, transplants=tx, horizon_days=365
    )
    assert result.frame.to_dicts() == [
        {"patient_id": "a", "time_days": 365, "status": 0},
        {"patient_id": "d", "time_days": 365, "status": 0},
    ]
    assert result.excluded == {
        "no origin event": 1,
        "endpoint not defined for the disease": 0,
        "no follow-up": 0,
        "death before origin": 1,
        "event or censoring before origin": 0,
    }
    assert result.n_cohort == 4


def _allo(*patients: str) -> pl.LazyFrame:
    return table(
        TRANSPLANTS.schema,
        [
            {
                "patient_id": p,
                "site": "S1",
                "transplant_type": "allogeneic",
                "transplant_date": DAY0,
            }
            for p in patients
        ],
    )


def test_event_after_the_horizon_is_censored_at_the_horizon() -> None:
    """Administrative censoring at 365 d: a death on day 500 becomes (365, censored), a death on
    day 365 itself stays an event, a death on day 200 is untouched."""
    events = table(
        EVENTS.schema,
        [
            ev("late", "death", 500),
            ev("late", "last_follow_up", 500),
            ev("edge", "death", 365),
            ev("edge", "last_follow_up", 365),
            ev("early", "death", 200),
            ev("early", "last_follow_up", 200),
        ],
    )
    result = derive_endpoint(
        overall_survival(),
        HSCT,
        events=events,
        transplants=_allo("late", "edge", "early"),
        horizon_days=365,
    )
    assert result.frame.rows() == [("early", 200, 1), ("edge", 365, 1), ("late", 365, 0)]


def test_horizon_counts_from_the_landmark() -> None:
    """With a day-100 landmark the horizon is on the landmark time scale: horizon 300 censors
    at day 400 after transplant, so a death on day 390 (time 290) stays an event and one on
    day 450 (time 350) is censored at time 300."""
    events = table(
        EVENTS.schema,
        [
            ev("a", "death", 390),
            ev("a", "last_follow_up", 390),
            ev("b", "death", 450),
            ev("b", "last_follow_up", 450),
        ],
    )
    result = derive_endpoint(
        overall_survival(),
        Origin("allo_transplant", landmark_days=100),
        events=events,
        transplants=_allo("a", "b"),
        horizon_days=300,
    )
    assert result.frame.rows() == [("a", 290, 1), ("b", 300, 0)]


def test_origin_without_any_outcome_row_is_no_follow_up_not_no_origin() -> None:
    """A patient with a transplant but no event row has no last contact to censor at: excluded
    as "no follow-up" (the origin exists), not as "no origin event". Patients only in the
    origin table but outside the cohort (no events or patients row) are not counted at all."""
    events = table(EVENTS.schema, [ev("seen", "last_follow_up", 100)])
    patients = table(
        PATIENTS.schema,
        [{"patient_id": p, "site": "S1", "diagnosis_date": day(-30)} for p in ("seen", "silent")],
    )
    result = derive_endpoint(
        overall_survival(),
        HSCT,
        events=events,
        patients=patients,
        transplants=_allo("seen", "silent", "outsider"),
    )
    assert result.frame.rows() == [("seen", 100, 0)]
    assert result.n_cohort == 2
    assert result.excluded == {
        "no origin event": 0,
        "endpoint not defined for the disease": 0,
        "no follow-up": 1,
        "death before origin": 0,
        "event or censoring before origin": 0,
    }
    from_dx = derive_endpoint(
        overall_survival(), Origin("diagnosis"), events=events, patients=patients
    )
    assert from_dx.frame.rows() == [("seen", 130, 0)]
    assert from_dx.excluded["no follow-up"] == 1
    assert from_dx.excluded["no origin event"] == 0


def test_landmark_keeps_only_patients_event_free_at_l() -> None:
    """Landmark day 100: p3 (death day 90) is excluded; times run from day 100."""
    result = derive_endpoint(
        overall_survival(),
        Origin("allo_transplant", landmark_days=100),
        events=TRANSPLANT_EVENTS,
        transplants=TRANSPLANTS_TABLE,
    )
    got = {r["patient_id"]: (r["time_days"], r["status"]) for r in result.frame.to_dicts()}
    assert got == {"p1": (630, 0), "p2": (300, 1), "p4": (630, 0), "p5": (630, 0)}
    assert result.excluded["event or censoring before origin"] == 1


def test_diagnosis_and_treatment_line_origins() -> None:
    patients = table(
        PATIENTS.schema, [{"patient_id": "m", "site": "S1", "diagnosis_date": day(-100)}]
    )
    lines = table(
        TREATMENT_LINES.schema,
        [
            {"patient_id": "m", "site": "S1", "line_number": 1, "start_date": day(-90)},
            {"patient_id": "m", "site": "S1", "line_number": 2, "start_date": day(20)},
        ],
    )
    events = table(
        EVENTS.schema,
        [ev("m", "progression", 10), ev("m", "progression", 120), ev("m", "last_follow_up", 300)],
    )
    from_dx = derive_endpoint(
        progression_free_survival(), Origin("diagnosis"), events=events, patients=patients
    )
    assert from_dx.frame.row(0) == ("m", 110, 1)
    from_l2 = derive_endpoint(
        progression_free_survival(),
        Origin("treatment_line", line_number=2),
        events=events,
        treatment_lines=lines,
    )
    assert from_l2.frame.row(0) == ("m", 100, 1)  # the progression before line 2 is ignored


# 03-cml.md §3.8 worked examples; stop date = day 0, month k = day 30k.
def _cml(
    samples: list[tuple[int, float | None]], extra: list[dict[str, Any]], last: int
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    events = table(EVENTS.schema, [ev("c", "tki_stop", 0), *extra, ev("c", "last_follow_up", last)])
    bcr = table(
        BCR_ABL1.schema,
        [
            {
                "patient_id": "c",
                "site": "S1",
                "sample_date": day(30 * m),
                "detectable": pct is not None,
                "is_pct": pct,
            }
            for m, pct in samples
        ],
    )
    return events, bcr


def _tfr(
    definition: EndpointDefinition, events: pl.LazyFrame, bcr: pl.LazyFrame
) -> tuple[int, int]:
    result = derive_endpoint(definition, Origin("tki_stop"), events=events, bcr_abl1=bcr)
    row = result.frame.row(0)
    return row[1], row[2]


def test_cml_example_1_first_value_above_mmr_is_relapse() -> None:
    events, bcr = _cml([(1, 0.005), (2, 0.02), (3, 0.08), (4, 0.15)], [], 150)
    assert _tfr(molecular_relapse_free_survival(), events, bcr) == (120, 1)


def test_cml_example_2_exactly_01_is_still_mmr() -> None:
    samples = [(m, 0.1 if m == 5 else 0.01) for m in range(1, 13)]
    events, bcr = _cml(samples, [], 400)
    assert _tfr(molecular_relapse_free_survival(), events, bcr) == (360, 0)


def test_cml_example_3_restart_censors_mrfs_but_is_mrectfs_event() -> None:
    events, bcr = _cml([(6, 0.05)], [ev("c", "tki_restart", 180)], 400)
    assert _tfr(molecular_relapse_free_survival(), events, bcr) == (180, 0)
    assert _tfr(molecular_recurrence_tki_free_survival(), events, bcr) == (180, 1)


def test_cml_example_4_death_composite_or_competing() -> None:
    events, bcr = _cml([(9, 0.004)], [ev("c", "death", 300)], 300)
    assert _tfr(molecular_relapse_free_survival(death="event"), events, bcr) == (300, 1)
    assert _tfr(molecular_relapse_free_survival(death="competing"), events, bcr) == (300, 2)


def test_undetectable_sample_is_not_a_relapse() -> None:
    events, bcr = _cml([(1, None), (2, 0.2)], [], 100)
    assert _tfr(molecular_relapse_free_survival(), events, bcr) == (60, 1)


def test_errors() -> None:
    with pytest.raises(AnalysisError, match="bcr_abl1"):
        derive_endpoint(
            molecular_relapse_free_survival(), Origin("tki_stop"), events=TRANSPLANT_EVENTS
        )
    with pytest.raises(AnalysisError, match="transplants"):
        derive_endpoint(overall_survival(), HSCT, events=TRANSPLANT_EVENTS)
    with pytest.raises(AnalysisError, match="line_number"):
        Origin("treatment_line")
    with pytest.raises(EmptyCohortError, match="no patient left"):
        derive_endpoint(overall_survival(), Origin("tki_stop"), events=TRANSPLANT_EVENTS)


def test_endpoint_frames_feed_the_estimators_and_keep_the_invariant() -> None:
    """04-transplant.md invariant RI(t) + NRM(t) = 1 - PFS(t), through KM and Aalen-Johansen."""
    from lake.survival import CumulativeIncidenceFitter, KaplanMeierFitter

    def frame(definition: EndpointDefinition) -> pl.DataFrame:
        return derive_endpoint(
            definition, HSCT, events=TRANSPLANT_EVENTS, transplants=TRANSPLANTS_TABLE
        ).frame

    ri = frame(relapse_incidence())
    cif = CumulativeIncidenceFitter().fit(ri["time_days"], ri["status"])
    pfs = frame(progression_free_survival())
    km = KaplanMeierFitter().fit(pfs["time_days"], pfs["status"])
    for t in (100, 300, 730):
        relapse = cif.curves_[("0", "1")].at([t])[0].estimate
        nrm = cif.curves_[("0", "2")].at([t])[0].estimate
        survival = km.survival_at([t])[0].survival
        assert survival is not None
        assert relapse + nrm == pytest.approx(1.0 - survival, abs=1e-12)
