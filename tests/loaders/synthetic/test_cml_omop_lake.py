"""The bundled OMOP CML site in a real lake answers the TKI-stop study question.

Expected values come from the export files and ``expected.json`` (the generator's record), never
from the loader: the TKI stop / restart dates are the ``drug_exposure`` rows carrying the TFR stop
reason and the first TKI start after them; undetectable samples are the 69380-4 rows the spec's
convention marks, minus the planted bad rows; the relapse ordering is the planted Sokal hazard
order (HR 1 : 1.5 : 2.2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from lake.endpoints import Origin, derive_endpoint, molecular_relapse_free_survival
from lake.risk.registry import compute
from lake.storage import LakeSnapshot, open_lake
from lake.survival.kaplan_meier import KaplanMeierFitter
from loaders.load import load_site

SITE = Path(__file__).resolve().parents[3] / "loaders" / "sites" / "EU-CMLSTOP"
OMOP = SITE / "omop"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> LakeSnapshot:
    root = tmp_path_factory.mktemp("cml")
    key = root / "pseudonym.key"
    key.write_text("c" * 64)
    load_site(SITE / "mapping.yaml", lake_root=root / "lake", key_file=key)
    return open_lake(root / "lake")


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    return dict(json.loads((SITE / "expected.json").read_text(encoding="utf-8")))


def _bad_rows(expected: dict[str, Any], name: str) -> list[int]:
    return [
        b["source_row"] for f in expected["files"] if f["path"].endswith(name) for b in f["bad"]
    ]


def _csv(name: str, expected: dict[str, Any]) -> pl.DataFrame:
    """An export table without its planted bad rows (rows numbered as the loader reports)."""
    frame = pl.read_csv(OMOP / name, infer_schema=False).with_row_index("row", offset=2)
    return frame.filter(~pl.col("row").is_in(_bad_rows(expected, name)))


def test_every_tki_stop_and_restart_of_the_export_is_an_event(
    lake: LakeSnapshot, expected: dict[str, Any]
) -> None:
    drugs = _csv("drug_exposure.csv", expected).with_columns(
        pl.col("drug_exposure_start_date", "drug_exposure_end_date").str.to_date(strict=False)
    )
    stops = drugs.filter(pl.col("stop_reason") == "TFR attempt")
    restarts = (
        stops.select("person_id", stopped="drug_exposure_end_date")
        .join(drugs, on="person_id")
        .filter(pl.col("drug_exposure_start_date") > pl.col("stopped"))
        .group_by("person_id", "stopped")
        .agg(pl.col("drug_exposure_start_date").min())
    )
    events = lake.scan("events").collect()
    lake_stops = events.filter(pl.col("event_type") == "tki_stop")
    # one stop per patient, on the dates the export gives
    assert lake_stops["patient_id"].is_unique().all()
    assert lake_stops.height == stops["person_id"].n_unique() == expected["n_patients"]
    assert sorted(lake_stops["event_date"]) == sorted(stops["drug_exposure_end_date"])
    lake_restarts = events.filter(pl.col("event_type") == "tki_restart")["event_date"]
    assert sorted(lake_restarts) == sorted(restarts["drug_exposure_start_date"])
    assert expected["events_by_type"]["tki_restart"] == len(lake_restarts) > 0


def test_undetectable_samples_have_copies_and_no_value(
    lake: LakeSnapshot, expected: dict[str, Any]
) -> None:
    rows = _csv("measurement.csv", expected).filter(pl.col("measurement_source_value") == "69380-4")
    marked = rows.filter(
        (pl.col("operator_concept_id") == "4171756")
        | (pl.col("value_source_value") == "undetectable")
    )
    samples = lake.scan("bcr_abl1").collect()
    undetectable = samples.filter(~pl.col("detectable"))
    assert undetectable.height == marked.height > 0
    assert undetectable["is_pct"].null_count() == undetectable.height
    assert undetectable["abl1_copies"].null_count() == 0
    # ELN sensitivity: every sample of this site was drawn with >= 20,000 ABL1 copies
    assert undetectable["abl1_copies"].min() >= 20_000  # type: ignore[operator]


def test_transcripts_and_phase_are_loaded(lake: LakeSnapshot, expected: dict[str, Any]) -> None:
    export = _csv("measurement.csv", expected).filter(
        pl.col("measurement_source_value") == "BCR_ABL1_TYPE"
    )
    spelled = {"b2a2": "e13a2", "b3a2": "e14a2", "b2a2+b3a2": "e13a2_e14a2"}
    want = (
        export["value_source_value"]
        .replace_strict(spelled)
        .value_counts()
        .sort("value_source_value")
    )
    got = (
        lake.scan("genetics")
        .collect()["bcr_abl1_transcript"]
        .value_counts()
        .sort("bcr_abl1_transcript")
    )
    assert got.rows() == want.rows()
    phases = lake.scan("patients").collect()["cml_phase"]
    assert phases.to_list() == ["chronic"] * expected["n_patients"]


def test_mrfs_after_tki_stop_follows_the_planted_sokal_order(
    lake: LakeSnapshot, expected: dict[str, Any]
) -> None:
    planted = expected["planted_hazards"][0]
    assert planted["groups"] == ["low", "intermediate", "high"]
    assert planted["hazard_ratios"] == sorted(planted["hazard_ratios"])
    result = derive_endpoint(
        molecular_relapse_free_survival(death="event"),
        Origin("tki_stop"),
        events=lake.scan("events"),
        bcr_abl1=lake.scan("bcr_abl1"),
    )
    assert result.excluded["no origin event"] == 0
    cohort = lake.scan("patients").join(lake.scan("baseline"), on="patient_id", how="left")
    sokal = (
        compute(cohort, ["sokal"])
        .select("patient_id", group=pl.col("sokal1984").struct.field("category").cast(pl.String))
        .collect()
    )
    frame = result.frame.join(sokal, on="patient_id")
    survival_1y: list[float] = []
    rates: list[float] = []
    for group in ("LOW", "INTERMEDIATE", "HIGH"):
        rows = frame.filter(pl.col("group") == group)
        assert rows.height >= 30, group
        fit = KaplanMeierFitter().fit(rows["time_days"].to_numpy(), rows["status"].to_numpy())
        at_1y = fit.survival_at([365.25])[0].survival
        assert at_1y is not None, group
        survival_1y.append(at_1y)
        rates.append(
            float(rows["status"].cast(pl.Float64).sum())
            / float(rows["time_days"].cast(pl.Float64).sum())
        )
    assert survival_1y[0] > survival_1y[1] > survival_1y[2], survival_1y
    assert rates[0] < rates[1] < rates[2], rates
