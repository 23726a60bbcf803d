"""Factories for small sites built inline: a mapping spec, its CSV exports, a pseudonym key."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

SiteFactory = Callable[..., Path]

PATIENTS_CSV = """\
codice;sesso;data_diagn;eta;b2m;albumina;del17p;data_morte;causa_morte;data_ufu
P1;M;01/03/2019;61;254;36;Sì;;;01/06/2023
P2;F;15/07/2020;70;296,5;40;No;02/02/2022;REC;02/02/2022
P3;F;10/10/2018;55;600;38;ND;;;01/01/2024
"""

LINES_CSV = """\
codice;linea;inizio;fine;farmaci
P1;1;10/03/2019;10/09/2019;VEL+THAL
P2;1;20/07/2020;;VEL
P3;1;15/10/2018;01/04/2019;THAL
"""

SPEC = """\
format_version: 1
spec_version: "{spec_version}"
site: {site}
name: Test site
ldh_uln_u_l: 248
files:
  - path: pazienti.csv
    format: csv
    separator: ";"
    decimal_comma: true
    date_format: "%d/%m/%Y"
    missing: ["", "NA"]
    id_column: codice
    constants:
      patients.disease: MM
      patients.data_origin: real_world
      patients.source_study: RW-TEST
    columns:
      sesso:       {{to: patients.sex}}
      data_diagn:  {{to: patients.diagnosis_date}}
      eta:         {{to: patients.age_at_diagnosis}}
      b2m:         {{to: baseline.beta2m_mg_l, unit: nmol/L}}
      albumina:    {{to: baseline.albumin_g_dl, unit: g/L}}
      del17p:      {{to: genetics.del17p, codes: {{"Sì": present, "No": absent, "ND": not_tested}}}}
      data_morte:  {{event: death}}
      causa_morte: {{event: death, attribute: death_cause, codes: {{REC: disease, INF: infection}}}}
      data_ufu:    {{event: last_follow_up}}
  - path: linee.csv
    format: csv
    separator: ";"
    date_format: "%d/%m/%Y"
    id_column: codice
    columns:
      linea:   {{to: treatment_lines.line_number}}
      inizio:  {{to: treatment_lines.start_date}}
      fine:    {{to: treatment_lines.end_date}}
      farmaci:
        to: treatment_lines.agents
        split: "+"
        codes: {{VEL: bortezomib, THAL: thalidomide}}
"""


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """A 64-character pseudonym key outside the lake."""
    path = tmp_path / "pseudonym.key"
    path.write_text("0123456789abcdef" * 4 + "\n")
    return path


@pytest.fixture
def make_site(tmp_path: Path) -> SiteFactory:
    """Write a site directory (spec + exports) and return the spec path.

    Keyword arguments override the patient export, the lines export, the spec text (a format
    string with ``site`` and ``spec_version``), the site code and the spec version.
    """

    def make(
        *,
        site: str = "IT-TST",
        patients: str = PATIENTS_CSV,
        lines: str = LINES_CSV,
        spec: str = SPEC,
        spec_version: str = "2026.1",
        directory: str | None = None,
    ) -> Path:
        root = tmp_path / (directory or site)
        root.mkdir(parents=True, exist_ok=True)
        (root / "pazienti.csv").write_text(patients, encoding="utf-8")
        (root / "linee.csv").write_text(lines, encoding="utf-8")
        spec_path = root / "mapping.yaml"
        spec_path.write_text(
            textwrap.dedent(spec).format(site=site, spec_version=spec_version), encoding="utf-8"
        )
        return spec_path

    return make
