"""The TKI-stop input frame built from hand-made model tables (03-cml.md §3.7 derivation notes).

Durations are hand calculations in days / 365.25, stated next to each expectation.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.model import BCR_ABL1, EVENTS, GENETICS, PATIENTS, TREATMENT_LINES, Table
from lake.risk.registry import REGISTRY
from lake.risk.tki_stop_inputs import tki_stop_inputs


def frame(table: Table, rows: list[dict[str, Any]]) -> pl.LazyFrame:
    """A LazyFrame with the table's full schema (absent cells null)."""
    return pl.DataFrame(rows, schema=table.schema).lazy()


def patient(pid: str, disease: str = "CML") -> dict[str, Any]:
    return {"patient_id": pid, "disease": disease, "cml_phase": "chronic"}


def line(pid: str, number: int, agent: str, start: date, end: date | None = None) -> dict[str, Any]:
    return {
        "patient_id": pid,
        "line_number": number,
        "agents": [agent],
        "start_date": start,
        "end_date": end,
    }


def pcr(pid: str, day: date, is_pct: float | None, copies: int = 50_000) -> dict[str, Any]:
    detectable = is_pct is not None
    return {
        "patient_id": pid,
        "sample_date": day,
        "detectable": detectable,
        "is_pct": is_pct,
        "abl1_copies": copies,
    }


def event(pid: str, kind: str, day: date) -> dict[str, Any]:
    return {"patient_id": pid, "event_type": kind, "event_date": day}


@pytest.fixture(scope="module")
def built() -> dict[str, dict[str, Any]]:
    patients = [patient("A"), patient("B"), patient("C"), patient("E"), patient("M", "MM")]
    genetics = [
        {"patient_id": "A", "bcr_abl1_transcript": "e14a2"},
        {"patient_id": "B", "bcr_abl1_transcript": "e13a2"},
    ]
    lines = [
        line("A", 1, "imatinib", date(2015, 1, 1)),
        line("B", 1, "imatinib", date(2016, 1, 1), date(2017, 1, 1)),
        line("B", 2, "dasatinib", date(2017, 1, 1)),
        line("E", 1, "nilotinib", date(2018, 1, 1)),
        line("E", 2, "ponatinib", date(2030, 1, 1)),  # after evaluation: not counted
        line("M", 1, "lenalidomide", date(2018, 1, 1)),
    ]
    samples = [
        pcr("A", date(2017, 1, 1), 0.05),  # MMR: worse than MR4
        pcr("A", date(2018, 1, 1), 0.008),  # MR4: the MR4 run starts here
        pcr("A", date(2019, 1, 1), 0.002),  # MR4.5
        pcr("A", date(2020, 1, 1), 0.009),  # MR4: worse than MR4.5
        pcr("A", date(2023, 6, 1), 0.002),  # MR4.5: the MR4.5 run starts here
        pcr("A", date(2024, 6, 1), 0.5),  # after the stop: ignored
        pcr("B", date(2018, 1, 1), None, copies=5_000),  # undetectable, INDETERMINATE
        pcr("B", date(2019, 1, 1), None, copies=40_000),  # undetectable, MR4.5
        pcr("E", date(2019, 1, 1), 0.005),
        pcr("E", date(2021, 1, 1), 0.5),  # NONE last: no DMR
    ]
    events = [
        event("A", "tki_stop", date(2024, 1, 1)),
        event("A", "last_follow_up", date(2025, 1, 1)),
        event("B", "tki_stop", date(2023, 1, 1)),
        event("C", "last_follow_up", date(2022, 5, 1)),
        event("E", "last_follow_up", date(2022, 1, 1)),
        event("M", "last_follow_up", date(2022, 1, 1)),
    ]
    clinician = pl.LazyFrame({"patient_id": ["A"], "prior_treatment_failure": [False]})
    out = tki_stop_inputs(
        patients=frame(PATIENTS, patients),
        genetics=frame(GENETICS, genetics),
        treatment_lines=frame(TREATMENT_LINES, lines),
        bcr_abl1=frame(BCR_ABL1, samples),
        events=frame(EVENTS, events),
        clinician_inputs=clinician,
    )
    scored = REGISTRY.compute(out, ["tki_stop"]).collect()
    return {row["patient_id"]: row for row in scored.rows(named=True)}


def test_only_cml_patients_with_an_evaluation_date(built: dict[str, dict[str, Any]]) -> None:
    assert sorted(built) == ["A", "B", "C", "E"]
    assert built["A"]["evaluation_date"] == date(2024, 1, 1)  # the stop, not the follow-up
    assert built["C"]["evaluation_date"] == date(2022, 5, 1)


def test_first_line_imatinib_with_long_dmr(built: dict[str, dict[str, Any]]) -> None:
    a = built["A"]
    assert (a["tki_line"], a["second_generation_tki"]) == (1, False)
    assert a["tki_years"] == pytest.approx(3287 / 365.25)  # 2015-01-01 .. 2024-01-01
    assert a["mr4_years"] == pytest.approx(2191 / 365.25)  # 2018-01-01 .. 2024-01-01
    assert a["mr45_years"] == pytest.approx(214 / 365.25)  # 2023-06-01 .. 2024-01-01
    assert a["bcr_abl1_transcript"] == "e14a2"
    # TKI 9 y > 5, MR4 6 y > 3, prior failure known absent -> OPTIMAL.
    assert a["tki_stop_eln2020"]["category"] == "OPTIMAL"


def test_second_line_second_generation_and_an_indeterminate_sample(
    built: dict[str, dict[str, Any]],
) -> None:
    b = built["B"]
    assert (b["tki_line"], b["second_generation_tki"]) == (2, True)
    assert b["tki_years"] == pytest.approx((366 + 2191) / 365.25)  # 2016..2017 + 2017..2023
    assert b["mr4_years"] is None  # an INDETERMINATE sample inside the run: unknown
    assert b["switched_for_intolerance_only"] is None  # not recorded in the model
    assert b["tki_stop_eln2020"]["category"] == "NOT_CLASSIFIABLE"


def test_no_dmr_and_unknowns(built: dict[str, dict[str, Any]]) -> None:
    e = built["E"]
    assert e["tki_line"] == 1  # the 2030 ponatinib line starts after evaluation
    assert e["tki_years"] == pytest.approx(1461 / 365.25)  # 2018-01-01 .. 2022-01-01
    assert e["mr4_years"] == 0.0  # last sample NONE
    assert e["tki_stop_eln2020"]["category"] == "NOT_ELIGIBLE"
    c = built["C"]
    assert (c["tki_line"], c["mr4_years"], c["bcr_abl1_transcript"]) == (None, None, None)


def dmr_of(samples: list[dict[str, Any]], stop: date) -> dict[str, Any]:
    """``mr4_years`` and ``mr45_years`` of one first-line patient who stopped on ``stop``."""
    out = tki_stop_inputs(
        patients=frame(PATIENTS, [patient("P")]),
        genetics=frame(GENETICS, []),
        treatment_lines=frame(TREATMENT_LINES, [line("P", 1, "imatinib", date(2000, 1, 1))]),
        bcr_abl1=frame(BCR_ABL1, samples),
        events=frame(EVENTS, [event("P", "tki_stop", stop)]),
    ).collect()
    row: dict[str, Any] = out.row(0, named=True)
    return row


def test_a_run_from_the_first_recorded_sample_is_a_lower_bound() -> None:
    """Deep from the first sample on: the run may have begun before monitoring was recorded."""
    stop = date(2021, 1, 1)
    two_years = dmr_of([pcr("P", date(2019, 1, 2), 0.002), pcr("P", date(2020, 1, 1), 0.002)], stop)
    # at least 730 days, but MR4 > 2 and > 3 years, MR4.5 > 2 years stay open: unknown
    assert (two_years["mr4_years"], two_years["mr45_years"]) == (None, None)
    long_run = dmr_of([pcr("P", date(2016, 1, 1), 0.002)], stop)
    # at least 1827 days: beyond every cut, so the lower bound decides them all
    assert long_run["mr4_years"] == pytest.approx(1827 / 365.25)
    assert long_run["mr45_years"] == pytest.approx(1827 / 365.25)
    mmr_first = dmr_of([pcr("P", date(2018, 1, 1), 0.05), pcr("P", date(2019, 1, 2), 0.002)], stop)
    # an MMR sample before the run dates its start: 730 days, known
    assert mmr_first["mr4_years"] == pytest.approx(730 / 365.25)


LEVEL_SAMPLES: dict[str, tuple[float | None, int]] = {
    "MMR": (0.05, 50_000),
    "MR4": (0.008, 50_000),
    "MR4.5": (0.002, 50_000),
    "MR4.5 undetectable": (None, 40_000),
    "INDETERMINATE": (None, 5_000),
}
histories = st.lists(
    st.tuples(st.integers(1, 4000), st.sampled_from(sorted(LEVEL_SAMPLES))),
    min_size=1,
    max_size=8,
    unique_by=lambda s: s[0],
)


def _cut_sides(years: float, cuts: tuple[float, ...]) -> tuple[bool, ...]:
    return tuple(years > c for c in cuts)


@settings(max_examples=60, deadline=None)
@given(recent=histories, earlier=histories)
def test_a_known_duration_holds_whatever_history_came_before(
    recent: list[tuple[int, str]], earlier: list[tuple[int, str]]
) -> None:
    """Samples recorded before the first one never contradict a duration that was known.

    ``recent`` holds samples 1..4000 days before the stop; ``earlier`` is shifted before all of
    them. Where the recent history alone gives a duration, the longer history gives the same
    side of every ELN 2020 cut (MR4: 2 and 3 years, MR4.5: 2 years) or leaves it unknown.
    """
    stop = date(2030, 1, 1)

    def rows(history: list[tuple[int, str]], shift: int) -> list[dict[str, Any]]:
        out = []
        for days, level in history:
            is_pct, copies = LEVEL_SAMPLES[level]
            out.append(pcr("P", stop - timedelta(days=days + shift), is_pct, copies))
        return out

    alone = dmr_of(rows(recent, 0), stop)
    longer = dmr_of(rows(recent, 0) + rows(earlier, 4000), stop)
    for column, cuts in (("mr4_years", (2.0, 3.0)), ("mr45_years", (2.0,))):
        if alone[column] is not None and longer[column] is not None:
            assert _cut_sides(alone[column], cuts) == _cut_sides(longer[column], cuts)
