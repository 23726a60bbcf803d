"""The TKI-stop input frame built from hand-made model tables (03-cml.md §3.7 derivation notes).

Durations are hand calculations in days / 365.25, stated next to each expectation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

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
