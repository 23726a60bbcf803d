"""Derived attributes (lake/cohort/attributes.py) equal a naive per-patient computation.

Oracle: plain Python over the rows of each patient of random tables (hypothesis), written from
the attribute descriptions, independent of the Polars aggregations. The CML history at the TKI
stop is compared with :func:`lake.risk.tki_stop_inputs.tki_stop_inputs`, whose evaluation date
is that stop (the attributes reuse its derivations).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lake.cohort.attributes import DERIVED, DERIVED_BY_NAME
from lake.cohort.frame import (
    CATEGORICAL_ATTRIBUTES,
    NUMERIC_ATTRIBUTES,
    attribute_codes,
    attribute_frame,
)
from lake.model import (
    AGENTS,
    AGVHD_GRADES,
    CGVHD_SEVERITIES,
    CONDITIONING,
    DISEASE_STATUSES,
    DONOR_TYPES,
    EVENT_TYPES,
    GVHD_ORGANS,
    RESPONSE_CODES,
    STEM_CELL_SOURCES,
    THERAPY_STRATEGIES,
    TKIS,
    table,
)
from lake.risk.molecular_response import molecular_response
from lake.risk.tki_stop_inputs import tki_stop_inputs
from tests.lake.test_cohort import FrameSource

DAY0 = dt.date(2015, 1, 1)
SITES = ("A", "B")
Row = dict[str, Any]


def _frame(name: str, rows: list[Row]) -> pl.DataFrame:
    schema = table(name).schema
    return pl.DataFrame(
        [{c: row.get(c) for c in schema} for row in rows], schema=schema, orient="row"
    )


@st.composite
def lakes(draw: st.DrawFn) -> dict[str, list[Row]]:
    n = draw(st.integers(1, 6))
    days = st.integers(0, 3000)
    tables: dict[str, list[Row]] = {k: [] for k in ("patients", "treatment_lines")}
    tables |= {k: [] for k in ("transplants", "events", "adverse_events", "bcr_abl1")}
    for i in range(n):
        pid, site = f"p{i}", draw(st.sampled_from(SITES))
        diagnosis = DAY0 + dt.timedelta(days=draw(st.integers(0, 100)))
        entry = draw(st.none() | st.integers(0, 400))
        tables["patients"].append(
            {
                "patient_id": pid,
                "site": site,
                "disease": "CML",
                "diagnosis_date": diagnosis,
                "registry_entry_date": None if entry is None else diagnosis + dt.timedelta(entry),
            }
        )
        for number in range(1, draw(st.integers(0, 3)) + 1):
            start = diagnosis + dt.timedelta(days=draw(days))
            tables["treatment_lines"].append(
                {
                    "patient_id": pid,
                    "site": site,
                    "line_number": number,
                    "agents": draw(st.lists(st.sampled_from(AGENTS[:4] + TKIS[:3]), max_size=3)),
                    "start_date": start,
                    "end_date": draw(st.none() | st.just(start + dt.timedelta(days=400))),
                    "strategy": draw(st.none() | st.sampled_from(THERAPY_STRATEGIES)),
                    "best_response": draw(st.none() | st.sampled_from(RESPONSE_CODES)),
                }
            )
        for offset in draw(st.sets(days, max_size=3)):
            tables["transplants"].append(
                {
                    "patient_id": pid,
                    "site": site,
                    "transplant_type": draw(st.sampled_from(("autologous", "allogeneic"))),
                    "transplant_date": diagnosis + dt.timedelta(days=offset),
                    "conditioning": draw(st.none() | st.sampled_from(CONDITIONING)),
                    "donor_type": draw(st.none() | st.sampled_from(DONOR_TYPES)),
                    "in_first_remission": draw(st.none() | st.booleans()),
                    "stem_cell_source": draw(st.none() | st.sampled_from(STEM_CELL_SOURCES)),
                    "disease_status": draw(st.none() | st.sampled_from(DISEASE_STATUSES)),
                }
            )
        kinds = st.sampled_from(EVENT_TYPES)
        for kind, offset in draw(st.sets(st.tuples(kinds, days), max_size=6)):
            grades = {"agvhd": AGVHD_GRADES, "cgvhd": CGVHD_SEVERITIES}.get(kind)
            grade = None if grades is None else draw(st.none() | st.sampled_from(grades))
            organs = None
            if grades is not None:
                organs = draw(st.none() | st.lists(st.sampled_from(GVHD_ORGANS), max_size=3))
            tables["events"].append(
                {
                    "patient_id": pid,
                    "site": site,
                    "event_type": kind,
                    "event_date": diagnosis + dt.timedelta(days=offset),
                    "grade": grade,
                    "gvhd_organs": organs,
                }
            )
        for term, grade in enumerate(draw(st.lists(st.integers(1, 5), max_size=3))):
            tables["adverse_events"].append(
                {
                    "patient_id": pid,
                    "site": site,
                    "ctcae_term": f"term {term}",
                    "grade": grade,
                    "onset_date": diagnosis,
                }
            )
        for offset in draw(st.sets(days, max_size=4)):
            detectable = draw(st.booleans())
            tables["bcr_abl1"].append(
                {
                    "patient_id": pid,
                    "site": site,
                    "sample_date": diagnosis + dt.timedelta(days=offset),
                    "detectable": detectable,
                    "is_pct": draw(st.sampled_from((0.0005, 0.005, 0.05, 1.0)))
                    if detectable
                    else None,
                    "abl1_copies": draw(st.sampled_from((5_000, 50_000, 200_000))),
                }
            )
    return tables


def _by_patient(rows: list[Row], pid: str) -> list[Row]:
    return [r for r in rows if r["patient_id"] == pid]


def _worst(values: list[str | None], scale: tuple[str, ...]) -> str | None:
    known = [v for v in values if v is not None]
    return max(known, key=scale.index) if known else None


def _naive(tables: dict[str, list[Row]], patient: Row) -> dict[str, object]:
    pid, site = patient["patient_id"], patient["site"]
    diagnosis = patient["diagnosis_date"]
    lines = sorted(_by_patient(tables["treatment_lines"], pid), key=lambda r: r["line_number"])
    transplants = sorted(
        _by_patient(tables["transplants"], pid), key=lambda r: r["transplant_date"]
    )
    events = _by_patient(tables["events"], pid)
    adverse = _by_patient(tables["adverse_events"], pid)
    allo = [t for t in transplants if t["transplant_type"] == "allogeneic"]
    auto = [t for t in transplants if t["transplant_type"] == "autologous"]
    agents = [a for line in lines for a in line["agents"]]
    responses = [line["best_response"] for line in lines]
    line1 = next((line for line in lines if line["line_number"] == 1), None)
    tkis = [a for a in agents if a in TKIS]

    def gvhd(kind: str, scale: tuple[str, ...]) -> str | None:
        if not allo:
            return None
        grades = [e["grade"] for e in events if e["event_type"] == kind]
        return "none" if not grades else _worst(grades, scale)

    def organs(kind: str) -> list[str] | None:
        if not allo:
            return None
        lists = [e["gvhd_organs"] or [] for e in events if e["event_type"] == kind]
        return sorted({o for organs in lists for o in organs})

    def reported(event_sites: set[str], value: object) -> object:
        return value if site in event_sites else None

    entry = patient["registry_entry_date"]
    out: dict[str, object] = {
        "n_lines": len(lines),
        "agents_received": sorted(set(agents)),
        "strategies": sorted({line["strategy"] for line in lines} - {None}),
        "best_response": _worst([r for r in responses if r != "NE"], RESPONSE_CODES[:-1])
        or ("NE" if "NE" in responses else None),
        "line1_strategy": None if line1 is None else line1["strategy"],
        "line1_agents": [] if line1 is None else line1["agents"],
        "first_tki": tkis[0] if tkis else None,
        "had_autologous": bool(auto),
        "had_allogeneic": bool(allo),
        "n_transplants": len(transplants),
        "allo_donor_type": allo[0]["donor_type"] if allo else None,
        "allo_conditioning": allo[0]["conditioning"] if allo else None,
        "allo_in_cr1": allo[0]["in_first_remission"] if allo else None,
        "allo_stem_cell_source": allo[0]["stem_cell_source"] if allo else None,
        "allo_disease_status": allo[0]["disease_status"] if allo else None,
        "agvhd_organs": organs("agvhd"),
        "cgvhd_organs": organs("cgvhd"),
        "days_to_allo": (allo[0]["transplant_date"] - diagnosis).days if allo else None,
        "days_to_auto": (auto[0]["transplant_date"] - diagnosis).days if auto else None,
        "worst_agvhd_grade": gvhd("agvhd", AGVHD_GRADES),
        "worst_cgvhd_severity": gvhd("cgvhd", CGVHD_SEVERITIES),
        "event_types": sorted({e["event_type"] for e in events}),
        "had_dli": reported(
            {e["site"] for e in tables["events"] if e["event_type"] == "dli"},
            any(e["event_type"] == "dli" for e in events),
        ),
        "max_ae_grade": reported(
            {a["site"] for a in tables["adverse_events"]},
            max((a["grade"] for a in adverse), default=0),
        ),
        "registry_entry_days": None if entry is None else (entry - diagnosis).days,
    }
    for kind in EVENT_TYPES:
        dates = [e["event_date"] for e in events if e["event_type"] == kind]
        out[f"n_{kind}"] = len(dates)
        out[f"days_to_{kind}"] = (min(dates) - diagnosis).days if dates else None
    return out


NAIVE_NAMES = tuple(a.name for a in DERIVED if a.source != "tki_stop")
STOP_NAMES = ("tki_years_at_stop", "mr4_years_at_stop", "mr45_years_at_stop")


def _source(tables: dict[str, list[Row]]) -> FrameSource:
    return FrameSource({name: _frame(name, rows) for name, rows in tables.items()})


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(lakes())
def test_each_derived_attribute_equals_the_naive_per_patient_value(
    tables: dict[str, list[Row]],
) -> None:
    frame = attribute_frame(_source(tables), NAIVE_NAMES).collect()
    rows = {r["patient_id"]: r for r in frame.iter_rows(named=True)}
    for patient in tables["patients"]:
        expected = _naive(tables, patient)
        got = rows[patient["patient_id"]]
        for name in NAIVE_NAMES:
            assert got[name] == expected[name], (name, patient["patient_id"])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(lakes())
def test_cml_history_at_stop_is_the_tki_stop_derivation_at_the_first_stop(
    tables: dict[str, list[Row]],
) -> None:
    source = _source(tables)
    frame = attribute_frame(source, (*STOP_NAMES, "mr_at_stop")).collect()
    scan: Callable[[str], pl.LazyFrame] = source.scan
    at_evaluation = tki_stop_inputs(
        patients=scan("patients"),
        genetics=scan("genetics"),
        treatment_lines=scan("treatment_lines"),
        bcr_abl1=scan("bcr_abl1"),
        events=scan("events"),
    ).collect()
    reference = {r["patient_id"]: r for r in at_evaluation.iter_rows(named=True)}
    stopped = {e["patient_id"] for e in tables["events"] if e["event_type"] == "tki_stop"}
    for row in frame.iter_rows(named=True):
        pid = row["patient_id"]
        if pid not in stopped:
            assert all(row[name] is None for name in (*STOP_NAMES, "mr_at_stop"))
            continue
        for name in STOP_NAMES:
            assert row[name] == reference[pid][name.removesuffix("_at_stop")], (name, pid)
        stop = min(
            e["event_date"]
            for e in tables["events"]
            if e["patient_id"] == pid and e["event_type"] == "tki_stop"
        )
        samples = [s for s in _by_patient(tables["bcr_abl1"], pid) if s["sample_date"] <= stop]
        if not samples:
            assert row["mr_at_stop"] is None
            continue
        last = _frame("bcr_abl1", [max(samples, key=lambda s: s["sample_date"])])
        level = last.select(molecular_response().to_struct().struct.field("category"))
        assert row["mr_at_stop"] == str(level.item())


def test_every_derived_attribute_is_declared_completely() -> None:
    for attribute in DERIVED:
        column = attribute.column()
        if attribute.kind == "numeric":
            assert attribute.name in NUMERIC_ATTRIBUTES
            assert column.unit is not None
            assert column.valid_range is not None
        else:
            assert attribute.name in CATEGORICAL_ATTRIBUTES
            assert attribute_codes(attribute.name)
    per_event = {f"n_{k}" for k in EVENT_TYPES} | {f"days_to_{k}" for k in EVENT_TYPES}
    assert per_event <= set(DERIVED_BY_NAME)


@pytest.mark.parametrize("name", ["worst_agvhd_grade", "mr_at_stop", "best_response"])
def test_ordinal_attributes_declare_their_scale(name: str) -> None:
    column = DERIVED_BY_NAME[name].column()
    assert column.ordinal
    assert column.codes is not None
