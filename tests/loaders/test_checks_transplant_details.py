"""Stem-cell source, disease status at transplant and GVHD organs through the real loader.

One inline site: the shared patient file plus a wide-layout acute GVHD (date and organs), a
transplant file (long layout) with source, status and the CR1 flag, and a GVHD file (long
layout) with organs. Each bad row added to the clean export is quarantined by the named check
with its reason, and rows are conserved: rows in (read from the files here) = rows accepted +
rows quarantined, per table.
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
from tests.loaders.conftest import PATIENTS_CSV, SPEC, SiteFactory

ORGANS = (
    "{{PELLE: skin, FEGATO: liver, GI_ALTO: upper_gi, GI_BASSO: lower_gi, BOCCA: mouth, "
    "OCCHI: eye, POLMONE: lung}}"
)
#: The shared patient file with two more columns: P1 has an acute GVHD with its organs.
PATIENTS = "".join(
    f"{line};agvhd;agvhd_organi\n"
    if line.startswith("codice")
    else f"{line};20/03/2020;PELLE+GI_BASSO\n"
    if line.startswith("P1;")
    else f"{line};;\n"
    for line in PATIENTS_CSV.splitlines()
)
TRANSPLANT_HEADER = "codice;tipo;data;fonte;stato;rc1"
TRANSPLANTS = (
    "P1;ALLO;01/02/2020;PB;RC1;Sì",
    "P3;ALLO;01/06/2019;MO;RC2;No",
    "P2;AUTO;01/09/2020;;;",  # source, status and CR1 flag not collected
)
GVHD_HEADER = "codice;tipo;data;grado;organi"
GVHD = ("P1;CRONICA;01/09/2020;moderate;BOCCA+OCCHI+PELLE",)
SITE_SPEC = (
    SPEC.replace(
        "      data_ufu:    {{event: last_follow_up}}\n",
        "      data_ufu:    {{event: last_follow_up}}\n"
        "      agvhd:       {{event: agvhd}}\n"
        f"      agvhd_organi: {{{{event: agvhd, attribute: gvhd_organs, split: '+', "
        f"codes: {ORGANS}}}}}\n",
    )
    + f"""\
  - path: trapianti.csv
    format: csv
    separator: ";"
    date_format: "%d/%m/%Y"
    id_column: codice
    columns:
      tipo:
        to: transplants.transplant_type
        codes: {{{{ALLO: allogeneic, AUTO: autologous}}}}
      data:  {{{{to: transplants.transplant_date}}}}
      fonte:
        to: transplants.stem_cell_source
        codes: {{{{MO: bone_marrow, PB: peripheral_blood, CORDONE: cord_blood}}}}
      stato:
        to: transplants.disease_status
        codes: {{{{RC1: CR1, RC2: CR2, RP: PR, REC: relapse, REF: refractory}}}}
      rc1:   {{{{to: transplants.in_first_remission, codes: {{{{"Sì": "true", "No": "false"}}}}}}}}
  - path: gvhd.csv
    format: csv
    separator: ";"
    date_format: "%d/%m/%Y"
    id_column: codice
    columns:
      tipo:
        to: events.event_type
        codes: {{{{ACUTA: agvhd, CRONICA: cgvhd, MORTE: death}}}}
      data:   {{{{to: events.event_date}}}}
      grado:  {{{{to: events.grade}}}}
      organi: {{{{to: events.gvhd_organs, split: "+", codes: {ORGANS}}}}}
"""
)


def _run(
    make_site: SiteFactory,
    key_file: Path,
    *,
    transplants: tuple[str, ...] = (),
    gvhd: tuple[str, ...] = (),
) -> tuple[Validated, dict[str, int]]:
    """Validate the site; also return rows in per table, counted from the files here."""
    spec_path = make_site(spec=SITE_SPEC, patients=PATIENTS)
    files = {
        "trapianti.csv": (TRANSPLANT_HEADER, *TRANSPLANTS, *transplants),
        "gvhd.csv": (GVHD_HEADER, *GVHD, *gvhd),
    }
    for name, rows in files.items():
        (spec_path.parent / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    spec = parse_spec(spec_path)
    result = validate(read_and_map(spec, load_key(key_file)), site=spec.site, load_id="test")
    rows_in = {
        "transplants": len(files["trapianti.csv"]) - 1,
        "gvhd": len(files["gvhd.csv"]) - 1,
    }
    return result, rows_in


def test_clean_site_loads_source_status_and_organs(make_site: SiteFactory, key_file: Path) -> None:
    result, _ = _run(make_site, key_file)
    assert result.quarantine.is_empty(), result.quarantine
    transplants = result.tables["transplants"].sort("transplant_date")
    assert transplants.select(
        "stem_cell_source", "disease_status", "in_first_remission"
    ).rows() == [
        ("bone_marrow", "CR2", False),
        ("peripheral_blood", "CR1", True),
        (None, None, None),  # not collected stays null, never "absent"
    ]
    gvhd = result.tables["events"].filter(pl.col("event_type").is_in(["agvhd", "cgvhd"]))
    assert gvhd.sort("event_date").select("event_type", "event_date", "gvhd_organs").rows() == [
        ("agvhd", date(2020, 3, 20), ["skin", "lower_gi"]),
        ("cgvhd", date(2020, 9, 1), ["mouth", "eye", "skin"]),
    ]
    others = result.tables["events"].filter(~pl.col("event_type").is_in(["agvhd", "cgvhd"]))
    assert others["gvhd_organs"].null_count() == others.height


def test_the_cr1_flag_is_derived_from_the_status_where_only_the_status_is_given(
    make_site: SiteFactory, key_file: Path
) -> None:
    result, _ = _run(make_site, key_file, transplants=("P3;ALLO;01/01/2021;PB;RP;",))
    assert result.quarantine.is_empty(), result.quarantine
    derived = result.tables["transplants"].filter(pl.col("transplant_date") == date(2021, 1, 1))
    assert derived.select("disease_status", "in_first_remission").rows() == [("PR", False)]


@pytest.mark.parametrize(
    ("transplant", "gvhd", "table", "check", "message"),
    [
        (
            "P3;ALLO;01/01/2021;MIDOLLO;RC2;No",
            None,
            "transplants",
            "unknown_code",
            "stem_cell_source 'MIDOLLO' (column fonte)",
        ),
        (
            "P3;ALLO;01/01/2021;PB;RC9;No",
            None,
            "transplants",
            "unknown_code",
            "disease_status 'RC9' (column stato)",
        ),
        (
            "P3;ALLO;01/01/2021;PB;RC2;Sì",
            None,
            "transplants",
            "remission_status_mismatch",
            "in_first_remission is true but disease_status is CR2",
        ),
        (
            "P3;ALLO;01/01/2021;PB;RC1;No",
            None,
            "transplants",
            "remission_status_mismatch",
            "in_first_remission is false but disease_status is CR1",
        ),
        (
            None,
            "P3;CRONICA;01/02/2020;mild;PELLE+CUORE",
            "events",
            "unknown_code",
            "gvhd_organs 'PELLE+CUORE' (column organi)",
        ),
        (
            None,
            "P3;ACUTA;01/02/2020;II;PELLE+POLMONE",
            "events",
            "gvhd_organ_mismatch",
            "gvhd_organs skin, lung on a agvhd event",
        ),
        (
            None,
            "P2;MORTE;01/01/2022;;PELLE",
            "events",
            "gvhd_organ_mismatch",
            "gvhd_organs skin on a death event",
        ),
    ],
)
def test_bad_rows_are_quarantined_with_the_reason_and_rows_are_conserved(  # noqa: PLR0917
    make_site: SiteFactory,
    key_file: Path,
    transplant: str | None,
    gvhd: str | None,
    table: str,
    check: str,
    message: str,
) -> None:
    clean, _ = _run(make_site, key_file)
    result, rows_in = _run(
        make_site,
        key_file,
        transplants=(transplant,) if transplant else (),
        gvhd=(gvhd,) if gvhd else (),
    )
    found = result.quarantine.filter(pl.col("check") == check)
    assert found.height == 1, result.quarantine
    assert message in found["message"][0], found["message"][0]
    assert found["table"][0] == table
    # rows in = accepted + quarantined, per file; only the added row is quarantined
    source = "trapianti.csv" if transplant else "gvhd.csv"
    quarantined = result.quarantine.filter(pl.col("source_file") == source)["row"].unique()
    assert quarantined.to_list() == [rows_in["transplants" if transplant else "gvhd"] + 1]
    if transplant:
        accepted = result.tables["transplants"].height
        assert accepted == clean.tables["transplants"].height
        assert rows_in["transplants"] == accepted + quarantined.len()
    else:
        accepted_gvhd = result.tables["events"].height - clean.tables["events"].height + 1
        assert rows_in["gvhd"] == accepted_gvhd + quarantined.len()
