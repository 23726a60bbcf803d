"""Strict parsing of the CML parts of the ``omop:`` block, and the TKI restart rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.errors import ConfigError
from loaders.mapping import RowIds
from loaders.omop_tki import map_tki_events
from loaders.readers import ROW
from loaders.spec import parse_spec
from loaders.spec_types import FileSpec, OmopMaps

HEAD = """\
format_version: 1
spec_version: "1"
site: XX-OMOP
name: OMOP spec test
files:
  - path: omop/
    format: omop
    constants:
      patients.disease: CML
      patients.data_origin: real_world
      patients.source_study: OMOP-TEST
{extra_constant}    omop:
      gender: {{"8507": M}}
      drugs: {{imatinib: imatinib}}
"""


def _parse(tmp_path: Path, omop: str, *, extra_constant: str = "") -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(HEAD.format(extra_constant=extra_constant) + omop)
    parse_spec(path)


@pytest.mark.parametrize(
    ("omop", "line", "message"),
    [
        (
            '      measurements:\n        "69380-4": {to: bcr_abl1.is_pct, undetectable: '
            "{operator: ['<']}}\n",
            16,
            "unknown key 'operator'",
        ),
        (
            '      measurements:\n        "777-3": {to: baseline.platelets_10e9_l, '
            "codes: {a: b}}\n",
            16,
            "for genetics targets only",
        ),
        (
            '      measurements:\n        "718-7": {to: baseline.hemoglobin_g_dl, '
            "undetectable: {value_source_value: [x]}}\n",
            16,
            "for bcr_abl1.is_pct only",
        ),
        (
            "      measurements:\n        ABL1: {to: bcr_abl1.abl1_copies}\n",
            16,
            "no measurement maps to bcr_abl1.is_pct",
        ),
        (
            "      measurements:\n        T: {to: genetics.bcr_abl1_transcript, "
            "codes: {b3a2: e14}}\n",
            16,
            "not a valid bcr_abl1_transcript code",
        ),
        ("      tki_stop: {stop_reasons: [TFR]}\n", 15, "did you mean 'stop_reason'"),
        (
            "      cml_phase: {from: condition_type_concept_id, codes: {CP: chronic}}\n",
            15,
            "cml_phase is read from one of",
        ),
        (
            "      cml_phase: {from: condition_source_value, codes: {CP: chronic_phase}}\n",
            15,
            "valid values: chronic",
        ),
    ],
)
def test_invalid_cml_maps_name_file_and_line(
    tmp_path: Path, omop: str, line: int, message: str
) -> None:
    with pytest.raises(ConfigError, match=rf"mapping\.yaml:{line}: .*{message}"):
        _parse(tmp_path, omop)


def test_tki_stop_needs_a_drug_mapped_to_a_tki(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    text = HEAD.format(extra_constant="").replace("imatinib: imatinib", "hu: cyclophosphamide")
    path.write_text(text + "      tki_stop: {stop_reason: [TFR]}\n")
    with pytest.raises(ConfigError, match=r"mapping\.yaml:15: tki_stop needs 'drugs:'"):
        parse_spec(path)


def test_phase_given_twice_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"mapping\.yaml:16: .*both as a constant"):
        _parse(
            tmp_path,
            "      cml_phase: {from: condition_source_value, codes: {CP: chronic}}\n",
            extra_constant="      patients.cml_phase: chronic\n",
        )


# --- the restart rule, against a plain-Python statement of it -------------------------------

_DAY0 = dt.date(2010, 1, 1)
exposure = st.tuples(
    st.integers(0, 60),  # start (months after day 0)
    st.integers(0, 30),  # duration in months
    st.booleans(),  # ended with the stop reason
    st.sampled_from(["imatinib", "hydroxyurea"]),
)


def _month(n: int) -> dt.date:
    return dt.date(_DAY0.year + n // 12, n % 12 + 1, 1)


@settings(max_examples=60, deadline=None)
@given(st.lists(exposure, min_size=1, max_size=6))
def test_restart_is_the_first_tki_start_after_each_stop(
    exposures: list[tuple[int, int, bool, str]],
) -> None:
    source = pl.DataFrame(
        {
            ROW: list(range(2, 2 + len(exposures))),
            "person_id": ["7"] * len(exposures),
            "drug_source_value": [drug for *_, drug in exposures],
            "drug_exposure_start_date": [_month(s).isoformat() for s, *_ in exposures],
            "drug_exposure_end_date": [_month(s + d).isoformat() for s, d, *_ in exposures],
            "stop_reason": ["TFR" if stop else "" for _, _, stop, _ in exposures],
        }
    )
    maps = OmopMaps(
        gender={},
        measurements={},
        drugs={"imatinib": "imatinib", "hydroxyurea": "cyclophosphamide"},
        procedures={},
        tki_stop_reasons=("TFR",),
    )
    spec = FileSpec("omop", Path("omop"), 1, "omop", omop=maps)
    part = map_tki_events(spec, maps, source, "omop/drug_exposure.csv", RowIds())
    got = sorted(part.frame.select("event_type", "event_date").rows())
    tki = [(_month(s), _month(s + d), stop) for s, d, stop, drug in exposures if drug == "imatinib"]
    stops = [end for _, end, stop in tki if stop]
    restarts = set()
    for stopped in stops:
        later = [start for start, _, _ in tki if start > stopped]
        if later:
            restarts.add(min(later))
    expected = sorted([("tki_stop", d) for d in stops] + [("tki_restart", d) for d in restarts])
    assert got == expected
