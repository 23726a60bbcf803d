"""Scores of per-measurement inputs over a cohort: which measurement each patient contributes.

Oracle for :func:`~lake.risk.per_patient.sample_at_evaluation`: a plain-Python pick of the last
sample on or before the first TKI stop, else the last follow-up (03-cml.md §3.7 evaluates
stopping at the stop). The cohort tests go through :func:`lake.cohort.risk.scored_frame` on
hand-made model tables, levels by the 03-cml.md §3.6 table.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.cohort.frame import ATTRIBUTES
from lake.cohort.risk import cohort_use, score, scored_frame
from lake.errors import AnalysisError
from lake.model import BCR_ABL1, EVENTS, PATIENTS, Table
from lake.risk.per_patient import PER_PATIENT, PatientInputs, sample_at_evaluation
from lake.risk.registry import REGISTRY
from tests.schema.demo_frames import FrameSource

DAY0 = date(2020, 1, 1)
MR_LEVEL = "mr_level_cross2015"


def frame(table: Table, rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=table.schema)


def pcr(pid: str, day: int, is_pct: float | None, copies: int = 50_000) -> dict[str, Any]:
    return {
        "patient_id": pid,
        "sample_date": DAY0 + timedelta(days=day),
        "detectable": is_pct is not None,
        "is_pct": is_pct,
        "abl1_copies": copies,
    }


def event(pid: str, kind: str, day: int) -> dict[str, Any]:
    return {"patient_id": pid, "event_type": kind, "event_date": DAY0 + timedelta(days=day)}


patient_histories = st.lists(
    st.tuples(
        st.lists(st.integers(0, 3000), unique=True, max_size=6),  # sample days
        st.lists(st.integers(0, 3000), max_size=2),  # TKI stop days
        st.lists(st.integers(0, 3000), max_size=2),  # last follow-up days
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(histories=patient_histories)
def test_the_last_sample_on_or_before_the_evaluation_date(
    histories: list[tuple[list[int], list[int], list[int]]],
) -> None:
    samples, events, expected = [], [], {}
    for i, (days, stops, follow_ups) in enumerate(histories):
        pid = f"p{i}"
        # each sample's value is its day, so the chosen row names the chosen sample
        samples += [pcr(pid, d, is_pct=float(d + 1)) for d in days]
        events += [event(pid, "tki_stop", d) for d in stops]
        events += [event(pid, "last_follow_up", d) for d in follow_ups]
        evaluation = min(stops) if stops else max(follow_ups, default=None)
        before = [d for d in days if evaluation is not None and d <= evaluation]
        if before:
            expected[pid] = max(before)
    picked = sample_at_evaluation(
        frame(BCR_ABL1, samples).lazy(), frame(EVENTS, events).lazy()
    ).collect()
    assert picked.get_column("patient_id").is_unique().all()
    got = {pid: (day - DAY0).days for pid, day in picked.select("patient_id", "sample_date").rows()}
    assert got == expected
    assert all(row["is_pct"] == got[row["patient_id"]] + 1 for row in picked.rows(named=True))


def cml_lake() -> FrameSource:
    patients = [
        {"patient_id": pid, "disease": disease, "cml_phase": "chronic"}
        for pid, disease in [("S", "CML"), ("F", "CML"), ("N", "CML"), ("M", "MM")]
    ]
    samples = [
        pcr("S", 0, 0.05),  # MMR
        pcr("S", 300, None, copies=40_000),  # undetectable, MR4.5: the last before the stop
        pcr("S", 400, 0.5),  # after the stop (a relapse): not the depth at stop
        pcr("F", 100, 0.008),  # MR4
        pcr("F", 200, None, copies=8_000),  # INDETERMINATE, the latest before follow-up
    ]
    events = [
        event("S", "tki_stop", 365),
        event("S", "last_follow_up", 700),
        event("F", "last_follow_up", 250),
        event("N", "last_follow_up", 250),
        event("M", "last_follow_up", 250),
    ]
    return FrameSource(
        {
            "patients": frame(PATIENTS, patients),
            "bcr_abl1": frame(BCR_ABL1, samples),
            "events": frame(EVENTS, events),
        }
    )


def test_mr_level_on_a_cohort_is_the_depth_at_stop_else_the_latest() -> None:
    scored = scored_frame(cml_lake(), ["disease"], [MR_LEVEL, "tki_stop_eln2020"]).collect()
    rows = {r["patient_id"]: r for r in scored.rows(named=True)}
    level = {pid: r[MR_LEVEL]["category"] for pid, r in rows.items()}
    assert level == {
        "S": "MR4.5",
        "F": "INDETERMINATE",
        "N": "NOT_CLASSIFIABLE",
        "M": "NOT_APPLICABLE",
    }
    assert rows["N"][MR_LEVEL]["missing_inputs"] == [
        "bcr_abl1.detectable",
        "bcr_abl1.is_pct",
        "bcr_abl1.abl1_copies",
    ]
    # MR4 or deeper for 65 days at the stop (dated by the MMR sample before): not eligible,
    # whatever the unknown transcript and TKI history
    assert rows["S"]["tki_stop_eln2020"]["category"] == "NOT_ELIGIBLE"
    assert rows["F"]["tki_stop_eln2020"]["category"] == "NOT_CLASSIFIABLE"
    assert rows["M"]["tki_stop_eln2020"]["category"] == "NOT_APPLICABLE"
    assert scored.columns == ["patient_id", "disease", MR_LEVEL, "tki_stop_eln2020"]


def test_every_registered_score_works_on_a_cohort_or_says_why_not() -> None:
    uses = {s.version: cohort_use(s) for s in REGISTRY.scores}
    assert [v for v, use in uses.items() if not use.usable] == ["imwg_2016"]
    assert "does not store" in (uses["imwg_2016"].per_patient or "")
    assert {v for v, use in uses.items() if use.per_patient and use.usable} == {
        MR_LEVEL,
        "tki_stop_eln2020",
    }
    with pytest.raises(AnalysisError, match="imwg_assessment' cannot be used on a cohort"):
        scored_frame(cml_lake(), [], [score("imwg_assessment").version])


def test_per_patient_columns_are_no_attributes() -> None:
    """A per-patient frame's columns must not shadow a cohort attribute in the joined frame."""
    for version, entry in PER_PATIENT.items():
        if isinstance(entry, PatientInputs):
            prefix = f"{entry.frame}."
            own = {
                i.removeprefix(prefix) for i in REGISTRY.get(version).inputs if i.startswith(prefix)
            }
            assert own
            assert not own & set(ATTRIBUTES)
