"""An OMOP CDM v5.4 CSV extract loaded through ``format: omop``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from lake.storage import open_lake
from loaders.load import load_site

SPEC = """\
format_version: 1
spec_version: "1"
site: XX-OMOP
name: OMOP test site
files:
  - path: omop/
    format: omop
    constants:
      patients.disease: CML
      patients.data_origin: real_world
      patients.source_study: OMOP-TEST
    omop:
      gender: {"8507": M, "8532": F}
      measurements:
        "69380-4": {to: bcr_abl1.is_pct, undetectable: {value_source_value: [undetectable]}}
        "777-3": {to: baseline.platelets_10e9_l, unit: "10^3/uL"}
        "2532-0": {to: baseline.ldh_u_l}
      drugs: {"imatinib 400": imatinib, "nilotinib": nilotinib}
"""

TABLES = {
    "person": "person_id,gender_concept_id,year_of_birth\n1,8507,1960\n2,8532,1975\n",
    "condition_occurrence": "person_id,condition_start_date\n1,2015-03-01\n1,2016-01-01\n"
    "2,2018-06-15\n",
    "measurement": "person_id,measurement_date,measurement_source_value,value_as_number,"
    "range_high,value_source_value\n"
    "1,2015-03-02,777-3,450,,\n1,2015-03-02,2532-0,300,248,\n"
    "1,2015-06-01,69380-4,1.5,,\n1,2016-03-01,69380-4,0,,\n2,2018-07-01,69380-4,12,,\n"
    "1,2016-06-01,69380-4,,,undetectable\n",
    "death": "person_id,death_date\n2,2021-01-01\n",
    "drug_exposure": "person_id,drug_source_value,drug_exposure_start_date,drug_exposure_end_date\n"
    "1,imatinib 400,2015-03-10,2017-01-01\n1,nilotinib,2017-01-15,\n"
    "1,paracetamol,2015-03-10,\n",
    "observation_period": "person_id,observation_period_end_date\n1,2023-05-01\n1,2020-01-01\n"
    "2,2021-01-01\n",
}


@pytest.fixture
def omop_site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "omop").mkdir(parents=True)
    for name, text in TABLES.items():
        (root / "omop" / f"{name}.csv").write_text(text)
    (root / "mapping.yaml").write_text(SPEC)
    return root / "mapping.yaml"


def test_omop_extract_maps_onto_the_model(omop_site: Path, key_file: Path, tmp_path: Path) -> None:
    result = load_site(omop_site, lake_root=tmp_path / "lake", key_file=key_file)
    assert result.rows_quarantined == 0, open_lake(tmp_path / "lake").scan("_quarantine").collect()
    lake = open_lake(tmp_path / "lake")
    patients = lake.scan("patients").sort("birth_year").collect()
    assert patients.select("sex", "birth_year", "diagnosis_date", "age_at_diagnosis").rows() == [
        ("M", 1960, date(2015, 3, 1), 55.0),
        ("F", 1975, date(2018, 6, 15), 43.0),
    ]
    baseline = lake.scan("baseline").filter(pl.col("platelets_10e9_l").is_not_null()).collect()
    assert baseline.select("platelets_10e9_l", "ldh_u_l", "ldh_uln_u_l").rows() == [
        (450.0, 300.0, 248.0)
    ]
    samples = lake.scan("bcr_abl1").sort("sample_date").collect()
    assert samples.select("is_pct", "detectable").rows() == [
        (1.5, True),
        (0.0, False),
        (None, False),  # no value; value_source_value says undetectable (declared)
        (12.0, True),
    ]
    events = lake.scan("events").sort("event_type", "event_date").collect()
    assert events.select("event_type", "event_date").rows() == [
        ("death", date(2021, 1, 1)),
        ("last_follow_up", date(2021, 1, 1)),
        ("last_follow_up", date(2023, 5, 1)),
    ]
    lines = lake.scan("treatment_lines").sort("line_number").collect()
    assert lines.select("line_number", "agents").rows() == [(1, ["imatinib"]), (2, ["nilotinib"])]


def test_records_cut_short_are_quarantined_before_any_aggregate(
    omop_site: Path, key_file: Path, tmp_path: Path
) -> None:
    """A condition row cut off after its person_id must not become the earliest diagnosis,
    nor a cut measurement a sample; every source row is accepted or quarantined."""
    extract = omop_site.parent / "omop"
    with (extract / "condition_occurrence.csv").open("a") as cut:
        cut.write("2\n")  # the extract ends mid-record: person 2, no date
    with (extract / "measurement.csv").open("a") as cut:
        cut.write("1,2016-09-01,69380-4\n")
    lake = tmp_path / "lake"
    result = load_site(omop_site, lake_root=lake, key_file=key_file)
    quarantine = open_lake(lake).scan("_quarantine").collect()
    short = quarantine.filter(pl.col("check") == "short_record").sort("source_file")
    assert short.select("source_file", "row", "table").rows() == [
        ("omop/condition_occurrence.csv", 5, "patients"),
        ("omop/measurement.csv", 8, "baseline"),
    ]
    assert "has 1 field(s), fewer than the header's" in short.item(0, "message")
    patients = open_lake(lake).scan("patients").sort("birth_year").collect()
    assert patients["diagnosis_date"].to_list() == [date(2015, 3, 1), date(2018, 6, 15)]
    assert open_lake(lake).scan("bcr_abl1").collect().height == 4
    assert result.rows_quarantined == 2
    assert result.rows_in == result.rows_quarantined + sum(
        open_lake(lake).scan(t).collect().height
        for t in ("patients", "baseline", "bcr_abl1", "events", "treatment_lines")
    )
