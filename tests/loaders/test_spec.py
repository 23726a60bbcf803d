"""Strict spec parsing: every mistake is a ConfigError naming the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lake.errors import ConfigError
from loaders.spec import parse_spec
from tests.loaders.conftest import SPEC, SiteFactory


def _line_of(spec_path: Path, needle: str) -> int:
    """1-based line of the first line of the spec file containing ``needle``."""
    for number, line in enumerate(spec_path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in spec")


def _broken(make_site: SiteFactory, old: str, new: str) -> Path:
    assert old in SPEC
    return make_site(spec=SPEC.replace(old, new, 1))


def test_the_reference_spec_parses_into_typed_mappings(make_site: SiteFactory) -> None:
    spec = parse_spec(make_site())
    assert spec.site == "IT-TST"
    assert spec.spec_version == "2026.1"
    assert spec.ldh_uln_u_l == 248.0
    patients, lines = spec.files
    assert patients.tables == ("patients", "baseline", "genetics", "events")
    assert lines.tables == ("treatment_lines",)
    del17p = next(m for m in patients.columns if m.source == "del17p")
    # YAML 1.1 would read the key No as False; codes keep the text written in the file
    assert del17p.codes == {"Sì": "present", "No": "absent", "ND": "not_tested"}
    assert patients.decimal_comma is True
    assert patients.constants["patients.disease"] == "MM"


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("    separator:", "    seperator:", "seperator", "did you mean 'separator'"),
        ("{{to: patients.sex}}", "{{to: patients.sexx}}", "patients.sexx", "no column 'sexx'"),
        ("{{to: patients.sex}}", "{{to: patient.sex}}", "patient.sex", "unknown table 'patient'"),
        ("{{to: patients.sex}}", "{{to: patients.sex, unti: mg}}", "unti", "unknown key 'unti'"),
        ("{{event: death}}", "{{event: dead}}", "event: dead", "unknown event type 'dead'"),
        ('"ND": not_tested', '"ND": unknown', "ND", "not a valid del17p code"),
        ("unit: nmol/L", "unit: mmol/L", "mmol/L", "cannot be converted to mg/L"),
        ("unit: g/L}", "unit: U/L}", "U/L", "cannot be converted to g/dL"),
        ("{{REC: disease, INF: infection}}", "{{REC: cancer}}", "REC", "not a valid death_cause"),
        ("patients.disease: MM", "patients.disease: ALL", "patients.disease", "not a valid"),
        ("{{to: patients.sex}}", "{{to: patients.patient_id}}", "patient_id", "id_column"),
        ("{{to: patients.sex}}", "{{to: patients.sex, split: ','}}", "split", "list columns"),
        ("format: csv", "format: sas", "format: sas", "not one of csv"),
    ],
)
def test_mistakes_name_file_and_line(
    make_site: SiteFactory, old: str, new: str, needle: str, message: str
) -> None:
    path = _broken(make_site, old, new)
    with pytest.raises(ConfigError, match=message) as info:
        parse_spec(path)
    assert str(info.value).startswith(f"{path}:{_line_of(path, needle)}:")


def test_a_fed_table_must_map_its_required_columns(make_site: SiteFactory) -> None:
    path = _broken(make_site, "      sesso:       {{to: patients.sex}}\n", "")
    with pytest.raises(ConfigError, match=r"required column patients\.sex"):
        parse_spec(path)


def test_multi_row_table_cannot_share_a_file_with_per_patient_tables(
    make_site: SiteFactory,
) -> None:
    path = _broken(
        make_site,
        "      data_ufu:",
        "      linea: {{to: treatment_lines.line_number}}\n      data_ufu:",
    )
    with pytest.raises(ConfigError, match="mixes the multi-row table treatment_lines"):
        parse_spec(path)


def test_attribute_needs_its_event_date(make_site: SiteFactory) -> None:
    path = _broken(make_site, "      data_morte:  {{event: death}}\n", "")
    with pytest.raises(ConfigError, match="needs a date column mapped with 'event: death'") as e:
        parse_spec(path)
    assert f":{_line_of(path, 'causa_morte')}:" in str(e.value)


def test_no_patients_table_is_refused(make_site: SiteFactory, tmp_path: Path) -> None:
    text = SPEC[: SPEC.index("  - path: pazienti.csv")] + SPEC[SPEC.index("  - path: linee.csv") :]
    with pytest.raises(ConfigError, match="no file feeds the patients table"):
        parse_spec(make_site(spec=text))


def test_invalid_yaml_reports_the_line(make_site: SiteFactory) -> None:
    path = _broken(make_site, "name: Test site", "name: [unclosed")
    with pytest.raises(ConfigError, match="invalid YAML"):
        parse_spec(path)


def test_format_version_must_be_supported(make_site: SiteFactory) -> None:
    path = _broken(make_site, "format_version: 1", "format_version: 2")
    with pytest.raises(ConfigError, match=r"mapping.yaml:1: format_version 2 is not supported"):
        parse_spec(path)
