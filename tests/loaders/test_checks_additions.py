"""Registry entry, donor lymphocyte infusion and adverse events through the real loader checks.

One inline site: a patient file with a registry-entry date and a DLI date (wide-layout event),
treatment lines, and an adverse-event file (long layout) attributing each event to a line, a
transplant or neither. Each bad row is added to the clean export and must be quarantined by the
named check, with the other rows kept.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from loaders.prepare import read_and_map
from loaders.pseudonym import load_key
from loaders.spec import parse_spec
from loaders.validate import Validated, validate
from tests.loaders.conftest import SPEC, SiteFactory

PATIENTS = """\
codice;sesso;data_diagn;eta;nascita;ingresso;b2m;albumina;del17p;data_morte;causa_morte;dli;data_ufu
P1;M;01/03/2019;61;1958;01/03/2019;254;36;Sì;;;;01/06/2023
P2;F;15/07/2020;70;1950;20/01/2021;296,5;40;No;02/02/2022;REC;10/12/2021;02/02/2022
P3;F;10/10/2018;55;1963;;600;38;ND;;;;01/01/2024
"""
AE_HEADER = "codice;termine;grado;inizio;fine;relazione;linea;trapianto"
AES = (
    "P1;Neutrophil count decreased;3;01/04/2019;20/04/2019;LINEA;1;",
    "P1;Peripheral sensory neuropathy;2;01/06/2019;;LINEA;1;",
    "P3;Fatigue;1;01/11/2018;15/11/2018;NO;;",
)
SITE_SPEC = (
    SPEC.replace(
        "      eta:         {{to: patients.age_at_diagnosis}}\n",
        "      eta:         {{to: patients.age_at_diagnosis}}\n"
        "      nascita:     {{to: patients.birth_year}}\n"
        "      ingresso:    {{to: patients.registry_entry_date}}\n",
    ).replace(
        "      data_ufu:    {{event: last_follow_up}}\n",
        "      dli:         {{event: dli}}\n      data_ufu:    {{event: last_follow_up}}\n",
    )
    + """\
  - path: eventi_avversi.csv
    format: csv
    separator: ";"
    date_format: "%d/%m/%Y"
    id_column: codice
    columns:
      termine:   {{to: adverse_events.ctcae_term}}
      grado:     {{to: adverse_events.grade}}
      inizio:    {{to: adverse_events.onset_date}}
      fine:      {{to: adverse_events.resolution_date}}
      relazione:
        to: adverse_events.related_to
        codes: {{LINEA: treatment_line, TRAPIANTO: transplant, "NO": unrelated}}
      linea:     {{to: adverse_events.line_number}}
      trapianto: {{to: adverse_events.transplant_date}}
"""
)


def _run(
    make_site: SiteFactory,
    key_file: Path,
    *,
    patients: tuple[str, ...] = (),
    adverse: tuple[str, ...] = (),
) -> Validated:
    spec_path = make_site(spec=SITE_SPEC, patients=PATIENTS + "".join(f"{r}\n" for r in patients))
    rows = "\n".join([AE_HEADER, *AES, *adverse]) + "\n"
    (spec_path.parent / "eventi_avversi.csv").write_text(rows, encoding="utf-8")
    spec = parse_spec(spec_path)
    return validate(read_and_map(spec, load_key(key_file)), site=spec.site, load_id="test")


def test_clean_site_loads_entry_dli_and_adverse_events(
    make_site: SiteFactory, key_file: Path
) -> None:
    result = _run(make_site, key_file)
    assert result.quarantine.is_empty(), result.quarantine
    entries = result.tables["patients"].sort("diagnosis_date")["registry_entry_date"].to_list()
    assert entries == [None, date(2019, 3, 1), date(2021, 1, 20)]
    dli = result.tables["events"].filter(pl.col("event_type") == "dli")
    assert dli["event_date"].to_list() == [date(2021, 12, 10)]
    ae = result.tables["adverse_events"].sort("onset_date")
    assert ae.schema["grade"] == pl.Int8
    assert ae.select("grade", "related_to", "line_number").rows() == [
        (1, "unrelated", None),
        (3, "treatment_line", 1),
        (2, "treatment_line", 1),
    ]


@pytest.mark.parametrize(
    ("patient", "adverse", "check", "message"),
    [
        (
            None,
            "P1;Febrile neutropenia;6;01/04/2019;;NO;;",
            "out_of_range",
            "grade '6' (column grado) = 6 is outside the plausible range 1-5",
        ),
        (
            None,
            "P1;Febrile neutropenia;G3;01/04/2019;;NO;;",
            "unparseable_number",
            "grade 'G3' (column grado) is not a whole number",
        ),
        (
            None,
            "P1;Febrile neutropenia;3;01/04/2019;25/03/2019;NO;;",
            "end_before_start",
            "resolution_date 2019-03-25 is before onset_date 2019-04-01",
        ),
        (
            None,
            "P1;Febrile neutropenia;3;01/04/2019;;LINEA;;",
            "relation_mismatch",
            "related_to is treatment_line but no line_number names it",
        ),
        (
            None,
            "P1;Febrile neutropenia;3;01/04/2019;;NO;1;",
            "relation_mismatch",
            "line_number 1 is given but related_to is unrelated",
        ),
        (
            None,
            "P1;Febrile neutropenia;3;01/04/2019;;TRAPIANTO;;01/03/2019",
            "related_row_missing",
            "attributed to transplant transplant_date 2019-03-01, which the patient has no "
            "accepted row of",
        ),
        (
            None,
            "P1;Febrile neutropenia;3;01/04/2019;;LINEA;2;",
            "related_row_missing",
            "attributed to treatment line line_number 2",
        ),
        (
            None,
            "P1;Febrile neutropenia;3;01/02/2019;;NO;;",
            "date_before_diagnosis",
            "adverse_events.onset_date 2019-02-01 is before the patient's diagnosis_date",
        ),
        (
            None,
            "P2;Febrile neutropenia;3;01/03/2022;;NO;;",
            "date_after_death",
            "adverse_events.onset_date 2022-03-01 is after the patient's death on 2022-02-02",
        ),
        (
            "P4;M;01/03/2019;61;1958;01/02/2019;254;36;No;;;;01/06/2023",
            None,
            "entry_before_diagnosis",
            "registry_entry_date 2019-02-01 is before diagnosis_date 2019-03-01",
        ),
        (
            "P4;M;01/03/2019;61;2020;01/03/2019;254;36;No;;;;01/06/2023",
            None,
            "entry_before_birth",
            "registry_entry_date 2019-03-01 is before the birth_year 2020",
        ),
        (
            "P4;M;01/03/2019;61;1958;01/04/2019;254;36;No;;;01/02/2019;01/06/2023",
            None,
            "date_before_diagnosis",
            "events.event_date 2019-02-01",
        ),
    ],
)
def test_bad_rows_are_quarantined_by_the_named_check(  # noqa: PLR0917  (pytest parameters)
    make_site: SiteFactory,
    key_file: Path,
    patient: str | None,
    adverse: str | None,
    check: str,
    message: str,
) -> None:
    clean = _run(make_site, key_file)
    result = _run(
        make_site,
        key_file,
        patients=(patient,) if patient else (),
        adverse=(adverse,) if adverse else (),
    )
    found = result.quarantine.filter(pl.col("check") == check)
    assert found.height == 1, result.quarantine
    assert message in found["message"][0], found["message"][0]
    assert set(result.quarantine["row"]) == {5}  # only the added row, nothing of the clean ones
    assert result.tables["adverse_events"].height == clean.tables["adverse_events"].height
