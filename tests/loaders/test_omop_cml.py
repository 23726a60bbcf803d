"""CML facts from an OMOP extract: TKI stop / restart, undetectable samples with ABL1 copies,
transcript type and CML phase, declared in the ``omop:`` block (``loaders/SPEC.md``)."""

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
site: XX-CML
name: OMOP CML test site
files:
  - path: omop/
    format: omop
    constants:
      patients.disease: CML
      patients.data_origin: real_world
      patients.source_study: OMOP-CML
    omop:
      gender: {"8507": M, "8532": F}
      measurements:
        "69380-4":
          to: bcr_abl1.is_pct
          undetectable: {operator_concept_id: ["4171756"], value_source_value: [undetectable]}
        ABL1_COPIES: {to: bcr_abl1.abl1_copies}
        BCR_ABL1_TYPE:
          to: genetics.bcr_abl1_transcript
          codes: {b2a2: e13a2, b3a2: e14a2, "b2a2+b3a2": e13a2_e14a2}
      drugs: {imatinib: imatinib, nilotinib: nilotinib, hydroxyurea: cyclophosphamide}
      tki_stop: {stop_reason: ["TFR attempt"]}
      cml_phase: {from: condition_status_source_value, codes: {CP: chronic, AP: accelerated}}
"""

TABLES = {
    "person": "person_id,gender_concept_id,year_of_birth\n1,8507,1960\n2,8532,1970\n3,8507,1955\n",
    "condition_occurrence": "person_id,condition_start_date,condition_status_source_value\n"
    "1,2010-01-01,CP\n1,2012-01-01,AP\n2,2011-01-01,AP\n3,2009-05-01,CP\n",
    "measurement": "person_id,measurement_date,measurement_source_value,value_as_number,"
    "operator_concept_id,value_source_value\n"
    "1,2010-01-01,BCR_ABL1_TYPE,,,b3a2\n"
    "1,2015-06-01,69380-4,0.005,4172703,detected\n"
    "1,2015-06-01,ABL1_COPIES,52000,,\n"
    "1,2016-03-01,69380-4,0.0032,4171756,\n"  # censored: "< 0.0032" is the detection limit
    "1,2016-03-01,ABL1_COPIES,41000,,\n"
    "1,2016-06-01,69380-4,,,undetectable\n"
    "1,2016-06-01,ABL1_COPIES,12000,,\n"
    "1,2016-07-01,69380-4,0.25,,\n"  # loss of MMR, no control row: copies unknown
    "1,2016-09-01,ABL1_COPIES,30000,,\n"  # control row without a sample: not a row of its own
    "2,2011-01-01,BCR_ABL1_TYPE,,,b2a2+b3a2\n"
    "3,2009-05-01,BCR_ABL1_TYPE,,,b9a9\n",  # unknown transcript: genetics row quarantined
    "drug_exposure": "person_id,drug_source_value,drug_exposure_start_date,"
    "drug_exposure_end_date,stop_reason\n"
    "1,imatinib,2010-01-10,2016-01-01,TFR attempt\n"
    "1,imatinib,2016-08-01,,\n"
    "2,imatinib,2011-01-10,2013-01-01,intolerance\n"  # a switch, not a stop
    "2,nilotinib,2013-01-05,2019-06-01,TFR attempt\n"
    "2,hydroxyurea,2019-07-01,2019-08-01,\n"  # not a TKI: no restart
    "3,imatinib,2009-05-10,2015-01-01,TFR attempt\n"
    "3,imatinib,2015-09-01,2018-01-01,TFR attempt\n"  # restarted, then a second stop
    "3,nilotinib,2019-02-01,,\n",
    "observation_period": "person_id,observation_period_end_date\n1,2020-01-01\n2,2021-01-01\n"
    "3,2022-01-01\n",
}


def _site(tmp_path: Path, spec: str, tables: dict[str, str]) -> Path:
    root = tmp_path / "site"
    (root / "omop").mkdir(parents=True)
    for name, text in tables.items():
        (root / "omop" / f"{name}.csv").write_text(text)
    (root / "mapping.yaml").write_text(spec)
    return root / "mapping.yaml"


@pytest.fixture
def loaded(tmp_path: Path, key_file: Path) -> tuple[Path, dict[str, int]]:
    result = load_site(
        _site(tmp_path, SPEC, TABLES), lake_root=tmp_path / "lake", key_file=key_file
    )
    # conserved, counted in the lake and the quarantine (not from the loader's counts)
    snapshot = open_lake(tmp_path / "lake")
    quarantine = snapshot.scan("_quarantine").select("source_file", "row", "table").unique()
    for table, rows_in in result.counts.group_by("table").agg(pl.col("rows_in").sum()).rows():
        accepted = snapshot.scan(table).select(pl.len()).collect().item()
        quarantined = quarantine.filter(pl.col("table") == table).collect().height
        assert accepted + quarantined == rows_in, table
    return tmp_path / "lake", result.issues_by_check


def _by_birth(lake: Path, table: str) -> pl.DataFrame:
    snapshot = open_lake(lake)
    births = snapshot.scan("patients").select("patient_id", "birth_year")
    return snapshot.scan(table).join(births, on="patient_id").collect()


def test_tki_stop_is_a_declared_end_and_restart_the_next_tki_start(
    loaded: tuple[Path, dict[str, int]],
) -> None:
    events = _by_birth(loaded[0], "events").filter(pl.col("event_type") != "last_follow_up")
    rows = events.sort("birth_year", "event_date").select("birth_year", "event_type", "event_date")
    assert rows.rows() == [
        (1955, "tki_stop", date(2015, 1, 1)),
        (1955, "tki_restart", date(2015, 9, 1)),
        (1955, "tki_stop", date(2018, 1, 1)),
        (1955, "tki_restart", date(2019, 2, 1)),
        (1960, "tki_stop", date(2016, 1, 1)),
        (1960, "tki_restart", date(2016, 8, 1)),
        (1970, "tki_stop", date(2019, 6, 1)),  # the intolerance switch is no stop
    ]


def test_undetectable_samples_carry_copies_and_no_value(
    loaded: tuple[Path, dict[str, int]],
) -> None:
    samples = _by_birth(loaded[0], "bcr_abl1").sort("sample_date")
    assert samples.select("sample_date", "detectable", "is_pct", "abl1_copies").rows() == [
        (date(2015, 6, 1), True, 0.005, 52000),
        (date(2016, 3, 1), False, None, 41000),  # operator "<": value is the limit
        (date(2016, 6, 1), False, None, 12000),  # value_source_value undetectable
        (date(2016, 7, 1), True, 0.25, None),
    ]


def test_transcript_and_phase_come_through_their_code_maps(
    loaded: tuple[Path, dict[str, int]],
) -> None:
    lake, issues = loaded
    genetics = _by_birth(lake, "genetics").sort("birth_year")
    assert genetics.select("birth_year", "bcr_abl1_transcript").rows() == [
        (1960, "e14a2"),
        (1970, "e13a2_e14a2"),
    ]
    assert issues == {"unknown_code": 1}  # person 3's b9a9
    patients = _by_birth(lake, "patients").sort("birth_year")
    # person 1: the earliest condition row (2010, CP) is the diagnosis, its status the phase
    assert patients.select("birth_year", "cml_phase").rows() == [
        (1955, "chronic"),
        (1960, "chronic"),
        (1970, "accelerated"),
    ]
