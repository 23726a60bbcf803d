"""Data queries on hand-built accepted tables: who is flagged, who is not, and why."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from lake.model import TABLES_BY_NAME
from loaders.data_queries import run_data_queries
from loaders.mapping import PKEY

PATIENT_IDS = {"P1": 0, "P2": 1, "P3": 2, "P4": 3, "P5": 4}


def _table(name: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Accepted rows of ``name`` in the model's schema plus the load's ``_pkey``."""
    schema = TABLES_BY_NAME[name].schema
    assert all(set(row) <= set(schema) for row in rows), "a column the model does not have"
    frame = pl.DataFrame(
        [{c: row.get(c) for c in schema} | {"site": "S"} for row in rows],
        schema=schema,
        orient="row",
    )
    return frame.with_columns(
        pl.col("patient_id").replace_strict(PATIENT_IDS, return_dtype=pl.UInt32).alias(PKEY)
    )


def _patients(disease: str) -> pl.DataFrame:
    return _table(
        "patients",
        [
            {"patient_id": p, "disease": disease, "diagnosis_date": date(2015, 1, 1)}
            for p in PATIENT_IDS
        ],
    )


def _flagged(tables: dict[str, pl.DataFrame], query: str) -> pl.DataFrame:
    found = run_data_queries(tables, site="S", load_id="L")
    return found.filter(pl.col("query") == query)


def test_allogeneic_transplant_without_comorbidities_is_flagged_once() -> None:
    transplants = _table(
        "transplants",
        [
            {
                "patient_id": "P1",
                "transplant_type": "allogeneic",
                "transplant_date": date(2016, 1, 1),
            },
            {
                "patient_id": "P2",
                "transplant_type": "allogeneic",
                "transplant_date": date(2016, 1, 1),
            },
            {
                "patient_id": "P2",
                "transplant_type": "allogeneic",
                "transplant_date": date(2017, 1, 1),
            },
            {
                "patient_id": "P3",
                "transplant_type": "autologous",
                "transplant_date": date(2016, 1, 1),
            },
        ],
    )
    comorbidities = _table("comorbidities", [{"patient_id": "P1"}])
    tables = {
        "patients": _patients("MM"),
        "transplants": transplants,
        "comorbidities": comorbidities,
    }
    found = _flagged(tables, "allo_missing_comorbidities")
    # P1 has its assessment, P3's transplant is autologous; P2's two transplants: one query
    assert found["patient_id"].to_list() == ["P2"]
    assert found["table"].to_list() == ["comorbidities"]
    assert "HCT-CI comorbidities" in found["message"][0]


def test_no_comorbidities_table_flags_every_allogeneic_patient() -> None:
    transplants = _table(
        "transplants",
        [
            {"patient_id": p, "transplant_type": "allogeneic", "transplant_date": date(2016, 1, 1)}
            for p in ("P4", "P5")
        ],
    )
    found = _flagged(
        {"patients": _patients("AML"), "transplants": transplants}, "allo_missing_comorbidities"
    )
    assert found["patient_id"].to_list() == ["P4", "P5"]


def _stop(patient: str, day: date) -> dict[str, Any]:
    return {"patient_id": patient, "event_type": "tki_stop", "event_date": day}


def _sample(patient: str, day: date) -> dict[str, Any]:
    return {"patient_id": patient, "sample_date": day, "is_pct": 0.01}


def test_tki_stop_needs_a_sample_after_the_latest_stop() -> None:
    events = _table(
        "events",
        [
            _stop("P1", date(2020, 1, 1)),  # monitored after the stop
            _stop("P2", date(2020, 1, 1)),  # sampled only before
            _stop("P3", date(2018, 1, 1)),  # two stops, sampled after the first only
            _stop("P3", date(2021, 6, 1)),
            _stop("P4", date(2020, 1, 1)),  # sampled on the stop day: not after
            {"patient_id": "P5", "event_type": "last_follow_up", "event_date": date(2022, 1, 1)},
        ],
    )
    samples = _table(
        "bcr_abl1",
        [
            _sample("P1", date(2020, 3, 1)),
            _sample("P2", date(2019, 6, 1)),
            _sample("P3", date(2019, 1, 1)),
            _sample("P4", date(2020, 1, 1)),
            _sample("P5", date(2010, 1, 1)),
        ],
    )
    tables = {"patients": _patients("CML"), "events": events, "bcr_abl1": samples}
    found = _flagged(tables, "cml_tki_stop_without_monitoring")
    assert found["patient_id"].to_list() == ["P2", "P3", "P4"]
    assert set(found["table"]) == {"bcr_abl1"}
    message = dict(zip(found["patient_id"], found["message"], strict=True))
    assert "stopped TKI on 2021-06-01" in message["P3"]
    assert "no BCR::ABL1 sample after the stop" in message["P2"]


def test_a_tki_stop_outside_cml_is_not_a_monitoring_query() -> None:
    events = _table("events", [_stop("P1", date(2020, 1, 1))])
    tables = {"patients": _patients("MM"), "events": events}
    assert _flagged(tables, "cml_tki_stop_without_monitoring").is_empty()
