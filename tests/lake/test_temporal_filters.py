"""Temporal cohort criteria: "A occurred after B (within a window)" over dated occurrences.

Property tests compare :class:`lake.cohort.filters.OccursAfter`, resolved through the cohort
column cache like every filter, with a naive Python oracle over the same random records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.cohort.filters import And, Not, OccursAfter, required_occurrences
from lake.endpoints.origins import Occurrence, Origin, occurrence_dates, origin_dates
from lake.errors import AnalysisError
from lake.model import table
from lake.query.cohorts import CohortSnapshots
from tests.schema.demo_frames import FrameSource

START = dt.date(2020, 1, 1)
EVENT_KINDS = ("relapse", "progression", "death")
TRANSPLANT_KINDS = ("autologous", "allogeneic")


def _frame(name: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = table(name).schema
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema)


day = st.integers(min_value=0, max_value=1500)
patient = st.fixed_dictionaries(
    {
        "diagnosis": st.none() | day,
        "events": st.lists(st.tuples(st.sampled_from(EVENT_KINDS), day | st.none()), max_size=4),
        "transplants": st.lists(st.tuples(st.sampled_from(TRANSPLANT_KINDS), day), max_size=3),
        "lines": st.lists(st.tuples(st.integers(1, 3), day), max_size=3),
    }
)
occurrence = st.one_of(
    st.builds(Occurrence, st.just("diagnosis")),
    st.builds(
        Occurrence,
        st.just("event"),
        st.sampled_from(("first", "last")),
        event_type=st.sampled_from(EVENT_KINDS),
    ),
    st.builds(
        Occurrence,
        st.just("transplant"),
        st.sampled_from(("first", "last")),
        transplant_type=st.sampled_from((*TRANSPLANT_KINDS, None)),
    ),
    st.builds(
        Occurrence,
        st.just("treatment_line"),
        st.sampled_from(("first", "last")),
        line_number=st.integers(1, 3),
    ),
)


def _source(patients: list[dict[str, Any]]) -> FrameSource:
    def date(n: int | None) -> dt.date | None:
        return None if n is None else START + dt.timedelta(days=n)

    ids = [f"p{i}" for i in range(len(patients))]
    frames = {
        "patients": _frame(
            "patients",
            [
                {
                    "patient_id": i,
                    "site": "S",
                    "disease": "MM",
                    "diagnosis_date": date(p["diagnosis"]),
                }
                for i, p in zip(ids, patients, strict=True)
            ],
        ),
        "events": _frame(
            "events",
            [
                {"patient_id": i, "site": "S", "event_type": kind, "event_date": date(n)}
                for i, p in zip(ids, patients, strict=True)
                for kind, n in p["events"]
            ],
        ),
        "transplants": _frame(
            "transplants",
            [
                {"patient_id": i, "site": "S", "transplant_type": kind, "transplant_date": date(n)}
                for i, p in zip(ids, patients, strict=True)
                for kind, n in p["transplants"]
            ],
        ),
        "treatment_lines": _frame(
            "treatment_lines",
            [
                {"patient_id": i, "site": "S", "line_number": k, "start_date": date(n)}
                for i, p in zip(ids, patients, strict=True)
                for k, n in p["lines"]
            ],
        ),
    }
    return FrameSource(frames)


def _oracle_date(p: dict[str, Any], o: Occurrence) -> int | None:
    """The occurrence's day for one patient, by hand."""
    if o.kind == "diagnosis":
        diagnosis: int | None = p["diagnosis"]
        return diagnosis
    days: list[int]
    if o.kind == "event":
        days = [n for kind, n in p["events"] if kind == o.event_type and n is not None]
    elif o.kind == "transplant":
        days = [n for kind, n in p["transplants"] if o.transplant_type in (None, kind)]
    else:
        days = [n for k, n in p["lines"] if k == o.line_number]
    if not days:
        return None
    return min(days) if o.which == "first" else max(days)


def _oracle(p: dict[str, Any], f: OccursAfter) -> bool:
    a, b = _oracle_date(p, f.event), _oracle_date(p, f.after)
    if a is None or b is None:
        return False
    return f.min_days <= a - b and (f.max_days is None or a - b <= f.max_days)


def _matched(patients: list[dict[str, Any]], f: Any) -> list[bool]:
    snapshots = CohortSnapshots(
        open_snapshot=lambda _: _source(patients), cohort_cache_size=4, versions_kept=1
    )
    (cohort,) = snapshots.cohorts([(None, f)])
    assert not isinstance(cohort, Exception)
    return cohort.mask.to_list()


@settings(max_examples=60, deadline=None)
@given(
    patients=st.lists(patient, min_size=1, max_size=12),
    event=occurrence,
    after=occurrence,
    min_days=st.integers(0, 400),
    width=st.none() | st.integers(0, 900),
)
def test_occurs_after_matches_the_oracle(
    patients: list[dict[str, Any]],
    event: Occurrence,
    after: Occurrence,
    min_days: int,
    width: int | None,
) -> None:
    if event == after:
        return
    f = OccursAfter(
        event, after, min_days=min_days, max_days=None if width is None else min_days + width
    )
    expected = [_oracle(p, f) for p in patients]
    assert _matched(patients, f) == expected
    # an unknown date never matches, so Not(f) is exactly the complement
    assert _matched(patients, Not(f)) == [not e for e in expected]


@settings(max_examples=30, deadline=None)
@given(patients=st.lists(patient, min_size=1, max_size=12), o=occurrence)
def test_occurrence_dates_match_the_oracle(patients: list[dict[str, Any]], o: Occurrence) -> None:
    source = _source(patients)
    dates = occurrence_dates(
        o,
        events=source.scan("events"),
        patients=source.scan("patients"),
        treatment_lines=source.scan("treatment_lines"),
        transplants=source.scan("transplants"),
    ).collect()
    got = {r["patient_id"]: (r["date"] - START).days for r in dates.iter_rows(named=True)}
    expected = {f"p{i}": d for i, p in enumerate(patients) if (d := _oracle_date(p, o)) is not None}
    assert got == expected


@pytest.mark.parametrize(
    "origin",
    [
        Origin("diagnosis"),
        Origin("treatment_line", line_number=2),
        Origin("allo_transplant"),
        Origin("tki_stop"),
        Origin("complete_remission"),
    ],
)
def test_every_origin_is_the_first_date_of_its_occurrence(origin: Origin) -> None:
    source = _source(
        [
            {
                "diagnosis": 3,
                "events": [("relapse", 50)],
                "transplants": [("allogeneic", 90), ("allogeneic", 40), ("autologous", 10)],
                "lines": [(2, 70), (1, 5)],
            }
        ]
    )
    tables = {
        "events": source.scan("events"),
        "patients": source.scan("patients"),
        "treatment_lines": source.scan("treatment_lines"),
        "transplants": source.scan("transplants"),
    }
    via_origin = origin_dates(origin, **tables).collect()
    via_occurrence = occurrence_dates(origin.occurrence(), **tables).collect()
    assert via_origin.rename({"origin_date": "date"}).equals(via_occurrence)
    assert origin.occurrence().which == "first"


def test_relapse_within_two_years_after_autologous_transplant() -> None:
    auto = Occurrence("transplant", transplant_type="autologous")
    relapse = Occurrence("event", event_type="relapse")
    f = OccursAfter(relapse, auto, max_days=730)
    patients = [
        {
            "diagnosis": 0,
            "events": [("relapse", 800)],
            "transplants": [("autologous", 100)],
            "lines": [],
        },
        {
            "diagnosis": 0,
            "events": [("relapse", 831)],
            "transplants": [("autologous", 100)],
            "lines": [],
        },
        {
            "diagnosis": 0,
            "events": [("relapse", 50)],
            "transplants": [("autologous", 100)],
            "lines": [],
        },
        {"diagnosis": 0, "events": [("relapse", 300)], "transplants": [], "lines": []},
        {
            "diagnosis": 0,
            "events": [("relapse", 100)],
            "transplants": [("autologous", 100)],
            "lines": [],
        },
    ]
    # day 700 after: in; 731: out; before the transplant: out; no transplant: out; same day: out
    assert _matched(patients, f) == [True, False, False, False, False]
    same_day = OccursAfter(relapse, auto, min_days=0, max_days=730)
    assert _matched(patients, same_day)[4] is True
    assert required_occurrences(And((f, Not(same_day)))) == {auto, relapse}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_days": -1}, "swap event and after"),
        ({"min_days": 10, "max_days": 5}, "below the minimum"),
    ],
)
def test_invalid_windows_are_refused(kwargs: dict[str, int], message: str) -> None:
    relapse = Occurrence("event", event_type="relapse")
    with pytest.raises(AnalysisError, match=message):
        OccursAfter(relapse, Occurrence("diagnosis"), **kwargs)


def test_an_occurrence_after_itself_and_incomplete_occurrences_are_refused() -> None:
    relapse = Occurrence("event", event_type="relapse")
    with pytest.raises(AnalysisError, match="after itself"):
        OccursAfter(relapse, relapse)
    with pytest.raises(AnalysisError, match="event_type is required"):
        Occurrence("event")
    with pytest.raises(AnalysisError, match="line_number is not allowed"):
        Occurrence("diagnosis", line_number=2)


def test_occurrence_codes_are_checked_and_diagnosis_has_one_date() -> None:
    with pytest.raises(AnalysisError, match="event_type 'stroke' unknown"):
        Occurrence("event", event_type="stroke")
    with pytest.raises(AnalysisError, match="transplant_type 'syngeneic' unknown"):
        Occurrence("transplant", transplant_type="syngeneic")
    assert Occurrence("diagnosis", "last") == Occurrence("diagnosis")
