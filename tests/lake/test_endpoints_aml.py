"""AML endpoints of ELN 2022 Table 9: EFS with induction failure, RFS and CIR from remission.

Döhner H et al. *Blood* 2022;140:1345-1377 (doi:10.1182/blood.2022016867), Table 9: EFS counts
failure to reach CR by the response landmark as an event on day 1 (time 0 here), and censors a
patient alive but not evaluable for response on day 1; RFS and CIR are defined only for patients
achieving CR and measured from the date of remission. Day 0 = diagnosis = 2021-01-10 throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.cohort.attribute_sources import scan_or_empty
from lake.cohort.endpoints import EndpointKey, EndpointName, endpoint_frame
from lake.endpoints import (
    Origin,
    cumulative_incidence_of_relapse,
    derive_endpoint,
    event_free_survival,
    progression_free_survival,
    relapse_free_survival,
)
from lake.endpoints.definitions import INDUCTION_WINDOW_DAYS
from lake.endpoints.derive import NO_ORIGIN, OTHER_DISEASE, EndpointResult
from lake.endpoints.origins import OriginKind
from lake.errors import AnalysisError, EmptyCohortError
from lake.model import EVENTS, PATIENTS
from lake.storage import open_lake
from tests.conftest import DemoLake

DAY0 = date(2021, 1, 10)
DIAGNOSIS = Origin("diagnosis")
REMISSION = Origin("complete_remission")


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


@dataclass(frozen=True)
class Course:
    """One patient's dated course, in days from diagnosis (None: did not happen)."""

    cr: int | None
    relapse: int | None
    death: int | None
    last: int
    disease: str = "AML"


def tables(courses: dict[str, Course]) -> dict[str, pl.LazyFrame]:
    rows: list[dict[str, Any]] = []
    for pid, c in courses.items():
        kinds = [("complete_remission", c.cr), ("relapse", c.relapse), ("death", c.death)]
        rows += [
            {"patient_id": pid, "site": "S1", "event_type": kind, "event_date": day(n)}
            for kind, n in (*kinds, ("last_follow_up", c.last))
            if n is not None
        ]
    patients = [
        {"patient_id": pid, "site": "S1", "disease": c.disease, "diagnosis_date": DAY0}
        for pid, c in courses.items()
    ]
    full = [{name: p.get(name) for name in PATIENTS.schema} for p in patients]
    return {
        "events": pl.DataFrame(
            [{name: r.get(name) for name in EVENTS.schema} for r in rows], schema=EVENTS.schema
        ).lazy(),
        "patients": pl.DataFrame(full, schema=PATIENTS.schema).lazy(),
    }


def derive(definition: Any, origin: Origin, courses: dict[str, Course]) -> EndpointResult:
    return derive_endpoint(definition, origin, **tables(courses))


def records(result: EndpointResult) -> dict[str, tuple[int, int]]:
    return {r[0]: (r[1], r[2]) for r in result.frame.iter_rows()}


COURSES = {
    "cr_relapse": Course(cr=30, relapse=300, death=500, last=500),
    "cr_alive": Course(cr=40, relapse=None, death=None, last=800),
    "cr_death": Course(cr=35, relapse=None, death=400, last=400),
    "refractory": Course(cr=None, relapse=None, death=None, last=400),
    "refractory_dead": Course(cr=None, relapse=None, death=300, last=300),
    "early_death": Course(cr=None, relapse=None, death=20, last=20),
    "not_evaluable": Course(cr=None, relapse=None, death=None, last=60),
    "late_cr": Course(cr=200, relapse=None, death=None, last=700),
    "myeloma": Course(cr=None, relapse=100, death=None, last=400, disease="MM"),
}


def test_efs_induction_failure_is_an_event_at_day_0() -> None:
    """No CR by the landmark: event at time 0; alive and not evaluable: censored at time 0."""
    efs = derive(event_free_survival(), DIAGNOSIS, COURSES)
    assert records(efs) == {
        "cr_relapse": (300, 1),
        "cr_alive": (800, 0),
        "cr_death": (400, 1),
        "refractory": (0, 1),
        "refractory_dead": (0, 1),
        "early_death": (0, 1),  # died before the landmark without a response assessment
        "not_evaluable": (0, 0),  # alive, lost before the landmark without CR
        "late_cr": (0, 1),  # CR after the landmark is induction failure
    }
    pfs = records(derive(progression_free_survival(), DIAGNOSIS, COURSES))
    assert pfs["refractory"] == (400, 0)  # PFS does not see the induction failure


def test_efs_is_defined_for_aml_only() -> None:
    """A myeloma patient (no CR events) is excluded from EFS and counted, not a day-0 failure."""
    efs = derive(event_free_survival(), DIAGNOSIS, COURSES)
    assert "myeloma" not in records(efs)
    assert efs.excluded[OTHER_DISEASE] == 1
    with pytest.raises(EmptyCohortError, match="AML"):
        derive(event_free_survival(), DIAGNOSIS, {"myeloma": COURSES["myeloma"]})
    with pytest.raises(AnalysisError, match="patients"):
        derive_endpoint(event_free_survival(), DIAGNOSIS, events=tables(COURSES)["events"])


def test_efs_window_is_a_parameter() -> None:
    """The response landmark is the named policy: a 240-day window makes day 200 a response."""
    assert event_free_survival().induction_window_days == INDUCTION_WINDOW_DAYS == 180
    longer = derive(event_free_survival(induction_window_days=240), DIAGNOSIS, COURSES)
    assert records(longer)["late_cr"] == (700, 0)


def test_rfs_and_cir_count_from_remission_and_only_for_remitters() -> None:
    """ELN 2022 Table 9: origin = date of CR; patients never in CR have no origin."""
    rfs = derive(relapse_free_survival(), REMISSION, COURSES)
    cir = derive(cumulative_incidence_of_relapse(), REMISSION, COURSES)
    assert records(rfs) == {
        "cr_relapse": (270, 1),
        "cr_alive": (760, 0),
        "cr_death": (365, 1),
        "late_cr": (500, 0),
    }
    assert records(cir) == {
        "cr_relapse": (270, 1),
        "cr_alive": (760, 0),
        "cr_death": (365, 2),  # death in CR competes with relapse
        "late_cr": (500, 0),
    }
    assert rfs.excluded[NO_ORIGIN] == cir.excluded[NO_ORIGIN] == 5
    assert cir.competing
    assert not rfs.competing


def test_catalogue_offers_rfs_and_cir_from_remission_only() -> None:
    """The API's keys: RFS and CIR from COMPLETE_REMISSION, any other origin refused."""
    for name in ("RFS", "CIR"):
        assert EndpointKey(endpoint=name, origin="complete_remission").as_origin() == REMISSION
        with pytest.raises(AnalysisError, match="COMPLETE_REMISSION"):
            EndpointKey(endpoint=name, origin="diagnosis")
    efs = EndpointKey(endpoint="EFS", origin="diagnosis").definition()
    assert efs.induction_window_days == INDUCTION_WINDOW_DAYS
    assert "induction failure" in efs.event


# Random consistent AML courses: CR before relapse before death, last contact after all of them.
@st.composite
def courses(draw: st.DrawFn) -> Course:
    cr = draw(st.none() | st.integers(1, 400))
    after_cr = cr if cr is not None else 0
    relapse = None if cr is None else draw(st.none() | st.integers(cr + 1, cr + 900))
    death_from = (relapse if relapse is not None else after_cr) + 1
    death = draw(st.none() | st.integers(death_from, death_from + 900))
    last = max(n for n in (cr, relapse, death, 1) if n is not None)
    if death is None:
        last += draw(st.integers(0, 900))
    return Course(cr=cr, relapse=relapse, death=death, last=last)


cohorts = st.dictionaries(st.sampled_from([f"p{i}" for i in range(40)]), courses(), min_size=1)
SEEDED = settings(max_examples=40, deadline=None, derandomize=True)


@SEEDED
@given(cohort=cohorts)
def test_efs_is_pfs_but_for_induction_failure(cohort: dict[str, Course]) -> None:
    """EFS never has fewer events than PFS; it differs only for patients without CR in time."""
    efs = records(derive(event_free_survival(), DIAGNOSIS, cohort))
    pfs = records(derive(progression_free_survival(), DIAGNOSIS, cohort))
    assert sum(s for _, s in efs.values()) >= sum(s for _, s in pfs.values())
    for pid, course in cohort.items():
        responded = course.cr is not None and course.cr <= INDUCTION_WINDOW_DAYS
        if responded:
            assert efs[pid] == pfs[pid]
        else:
            evaluable = course.death is not None or course.last >= INDUCTION_WINDOW_DAYS
            assert efs[pid] == (0, int(evaluable))


@SEEDED
@given(cohort=cohorts)
def test_rfs_and_cir_are_pfs_shifted_to_remission(cohort: dict[str, Course]) -> None:
    """For every remitter, RFS = PFS from diagnosis minus the CR day; CIR splits its events."""
    remitters = {p for p, c in cohort.items() if c.cr is not None}
    if not remitters:
        with pytest.raises(EmptyCohortError):
            derive(relapse_free_survival(), REMISSION, cohort)
        return
    pfs = records(derive(progression_free_survival(), DIAGNOSIS, cohort))
    rfs = records(derive(relapse_free_survival(), REMISSION, cohort))
    cir = records(derive(cumulative_incidence_of_relapse(), REMISSION, cohort))
    assert set(rfs) == set(cir) == remitters
    for pid in remitters:
        course, (time, status) = cohort[pid], pfs[pid]
        assert course.cr is not None
        assert rfs[pid] == (time - course.cr, status)
        cause = 1 if course.relapse is not None else 2 if course.death is not None else 0
        assert cir[pid] == (time - course.cr, cause)


@pytest.mark.slow
def test_demo_lake_aml_efs_counts_induction_failures(demo_lake: DemoLake) -> None:
    """On the demo lake (what the API derives): every non-remitter's EFS ends at day 0.

    A non-remitter who died or was followed to the landmark is an induction failure (event at
    day 0), one alive and lost before it is censored at day 0; remitters keep their PFS. RFS
    and CIR keep exactly the remitters, timed from CR.
    """
    source = open_lake(demo_lake.root)
    aml = (
        scan_or_empty(source, "patients")
        .filter(pl.col("disease") == "AML")
        .select("patient_id", "diagnosis_date")
    )
    cr = (
        scan_or_empty(source, "events")
        .filter(pl.col("event_type") == "complete_remission")
        .group_by("patient_id")
        .agg(cr=pl.col("event_date").min())
    )
    truth = aml.join(cr, on="patient_id", how="left").collect()

    def frame(endpoint: EndpointName, origin: OriginKind) -> pl.DataFrame:
        key = EndpointKey(endpoint=endpoint, origin=origin)
        return endpoint_frame(source, key).join(truth, on="patient_id")

    efs, pfs = frame("EFS", "diagnosis"), frame("PFS", "diagnosis")
    non_remitters = truth.filter(pl.col("cr").is_null()).height
    assert non_remitters > 300
    assert efs.height == pfs.height == truth.height
    assert efs["status"].sum() > pfs["status"].sum()
    failures = efs.filter(pl.col("cr").is_null()).join(
        pfs.select("patient_id", pfs_status="status"), on="patient_id"
    )
    assert (failures["time_days"] == 0).all()
    lost_early = failures.filter(pl.col("status") == 0)
    assert (lost_early["pfs_status"] == 0).all()  # censored only if alive without an event
    assert failures["status"].sum() > 0.9 * non_remitters
    remitters = efs.filter(pl.col("cr").is_not_null()).join(pfs, on="patient_id", suffix="_pfs")
    assert remitters.filter(
        (pl.col("time_days") != pl.col("time_days_pfs"))
        | (pl.col("status") != pl.col("status_pfs"))
    ).is_empty()
    for name in ("RFS", "CIR"):
        rows = frame(name, "complete_remission")
        assert rows.height == truth.height - non_remitters
        assert rows["cr"].null_count() == 0
    rfs = frame("RFS", "complete_remission").join(
        pfs.select("patient_id", pfs_time="time_days", pfs_status="status"), on="patient_id"
    )
    from_cr = pl.col("pfs_time") - (pl.col("cr") - pl.col("diagnosis_date")).dt.total_days()
    assert rfs.filter(
        (pl.col("time_days") != from_cr) | (pl.col("status") != pl.col("pfs_status"))
    ).is_empty()
