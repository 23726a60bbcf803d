"""Every named check, through the real reader, mapper and validator on small inline sites."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from loaders.prepare import read_and_map
from loaders.pseudonym import load_key
from loaders.spec import parse_spec
from loaders.validate import Validated, validate
from tests.loaders.conftest import LINES_CSV, PATIENTS_CSV, SiteFactory

HEADER, P1, P2, P3 = PATIENTS_CSV.splitlines()
LINES_HEADER = LINES_CSV.splitlines()[0]


def _run(spec_path: Path, key_file: Path) -> Validated:
    spec = parse_spec(spec_path)
    return validate(read_and_map(spec, load_key(key_file)), site=spec.site, load_id="test")


def _csv(header: str, *rows: str) -> str:
    return "\n".join([header, *rows]) + "\n"


def _only(result: Validated, check: str) -> pl.DataFrame:
    found = result.quarantine.filter(pl.col("check") == check)
    assert not found.is_empty(), result.quarantine
    return found


def _assert_conserved(result: Validated) -> None:
    """Rows in (the mapper's part sizes) = accepted rows (the tables' heights) + quarantined
    rows counted in the quarantine: one per source row named there, except in ``events``, where
    one row of a wide file feeds an event per type (between one per source row named and one
    per issue)."""
    counts = result.counts
    quarantine = result.quarantine
    for table, frame in result.tables.items():
        table_counts = counts.filter(pl.col("table") == table)
        assert frame.height == table_counts["rows_accepted"].sum()
        lost = int(table_counts["rows_in"].sum()) - frame.height
        named = quarantine.filter(pl.col("table") == table)
        rows = named.select("source_file", "row").n_unique()
        if table == "events":
            assert rows <= lost <= named.height
        else:
            assert lost == rows, table


def test_clean_site_has_no_quarantine_and_converts_units(
    make_site: SiteFactory, key_file: Path
) -> None:
    result = _run(make_site(), key_file)
    assert result.quarantine.is_empty(), result.quarantine
    baseline = result.tables["baseline"]
    # b2m in nmol/L (÷84.7, 01-myeloma.md §1.0), P2 written with a decimal comma: 296,5
    assert sorted(baseline["beta2m_mg_l"].to_list()) == pytest.approx(
        [254 / 84.7, 296.5 / 84.7, 600 / 84.7]
    )
    assert sorted(baseline["albumin_g_dl"].to_list()) == pytest.approx([3.6, 3.8, 4.0])
    assert baseline["ldh_uln_u_l"].to_list() == [248.0] * 3  # the spec's site-wide ULN
    genetics = result.tables["genetics"]["del17p"].sort().to_list()
    assert genetics == ["absent", "not_tested", "present"]
    events = result.tables["events"].sort("event_type", "event_date")
    assert events["event_type"].to_list() == ["death", *["last_follow_up"] * 3]
    assert events["death_cause"].to_list()[0] == "disease"
    lines = result.tables["treatment_lines"].sort("start_date")
    assert lines["agents"].to_list() == [
        ["thalidomide"],
        ["bortezomib", "thalidomide"],
        ["bortezomib"],
    ]
    assert set(result.tables["patients"]["site"]) == {"IT-TST"}
    _assert_conserved(result)


@pytest.mark.parametrize(
    ("bad_row", "check", "message"),
    [
        (
            "P4;M;31/02/2019;61;254;36;No;;;01/06/2023",
            "unparseable_date",
            "row 5 of pazienti.csv: diagnosis_date '31/02/2019' (column data_diagn) is not a date "
            "in format %d/%m/%Y",
        ),
        (
            "P4;M;01/03/1850;61;254;36;No;;;01/06/2023",
            "implausible_date",
            "row 5 of pazienti.csv: diagnosis_date '01/03/1850' (column data_diagn) is before 1900",
        ),
        (
            "P4;M;01/03/2019;sixty;254;36;No;;;01/06/2023",
            "unparseable_number",
            "row 5 of pazienti.csv: age_at_diagnosis 'sixty' (column eta) is not a number",
        ),
        (
            "P4;X;01/03/2019;61;254;36;No;;;01/06/2023",
            "unknown_code",
            "row 5 of pazienti.csv: sex 'X' (column sesso) holds a value that is not a known sex",
        ),
        (
            "P4;M;01/03/2019;61;254;36;Forse;;;01/06/2023",
            "unknown_code",
            "del17p 'Forse' (column del17p) holds a value that is not a known del17p code",
        ),
        (
            "P4;M;01/03/2019;61;254;36;No;;REC;01/06/2020",
            "required_missing",
            "required events.event_date is missing (column data_morte)",
        ),
        (
            "P4;M;01/03/2019;61;254;36;No;02/03/2020;CAD;01/06/2020",
            "unknown_code",
            "death_cause 'CAD' (column causa_morte)",
        ),
        (
            "P4;M;01/03/2019;161;254;36;No;;;01/06/2023",
            "out_of_range",
            "age_at_diagnosis '161' (column eta) = 161.0 years is outside the plausible range",
        ),
        (
            "P4;;01/03/2019;61;254;36;No;;;01/06/2023",
            "required_missing",
            "row 5 of pazienti.csv: required patients.sex is missing (column sesso)",
        ),
        (
            ";M;01/03/2019;61;254;36;No;;;01/06/2023",
            "missing_patient_id",
            "row 5 of pazienti.csv: the patient id is missing",
        ),
    ],
)
def test_row_checks_quarantine_with_an_actionable_message(
    make_site: SiteFactory, key_file: Path, bad_row: str, check: str, message: str
) -> None:
    result = _run(make_site(patients=_csv(HEADER, P1, P2, P3, bad_row)), key_file)
    found = _only(result, check)
    assert found["message"].str.contains(message, literal=True).any(), found["message"]
    assert set(found["source_file"]) == {"pazienti.csv"}
    _assert_conserved(result)


def test_quarantine_never_holds_the_raw_patient_id(make_site: SiteFactory, key_file: Path) -> None:
    bad = "SECRET-77;X;31/02/2019;abc;254;36;No;;;01/06/2023"
    result = _run(make_site(patients=_csv(HEADER, P1, P2, P3, bad)), key_file)
    text = str(result.quarantine.rows())
    assert "SECRET-77" not in text
    assert result.quarantine["patient_id"].str.len_chars().unique().to_list() == [32]


def test_albumin_above_7_g_dl_is_reported_as_a_likely_g_per_litre_mislabel(
    make_site: SiteFactory, key_file: Path
) -> None:
    from tests.loaders.conftest import SPEC

    spec = SPEC.replace("{{to: baseline.albumin_g_dl, unit: g/L}}", "{{to: baseline.albumin_g_dl}}")
    patients = _csv(
        HEADER, P1.replace(";36;", ";3,6;"), P2.replace(";40;", ";4;"), P3
    )  # 38 "g/dL" for P3
    result = _run(make_site(spec=spec, patients=patients), key_file)
    found = _only(result, "albumin_unit_suspect")
    assert found["row"].to_list() == [4]
    assert "likely in g/L mislabelled as g/dL" in found["message"][0]
    assert result.quarantine.filter(pl.col("check") == "out_of_range").is_empty()


def test_duplicate_patient_quarantines_every_copy_in_every_table(
    make_site: SiteFactory, key_file: Path
) -> None:
    result = _run(make_site(patients=_csv(HEADER, P1, P2, P3, P1)), key_file)
    found = _only(result, "duplicate_key")
    assert sorted(set(found["row"])) == [2, 5]
    assert set(found["table"]) == {"patients", "baseline", "genetics", "events"}
    patients = found.filter(pl.col("table") == "patients")
    assert (
        "row 2 of pazienti.csv: this codice appears 2 times in patients (row 2 of pazienti.csv, "
        "row 5 of pazienti.csv)" in patients["message"][0]
    )
    # the site's own id column is named, never the load's internal key; no id value is quoted
    assert set(patients["column"]) == {"codice"}
    assert not found["message"].str.contains("_pkey|P1").any()
    assert set(found.filter(pl.col("table") == "events")["column"]) == {
        "codice,event_type,event_date"
    }
    assert result.tables["patients"].height == 2
    # P1's treatment line now has no accepted patient: an orphan
    orphans = _only(result, "orphan_row")
    assert orphans["source_file"].to_list() == ["linee.csv"]
    _assert_conserved(result)


def test_duplicate_multi_row_key(make_site: SiteFactory, key_file: Path) -> None:
    lines = LINES_CSV + "P1;1;01/01/2020;;VEL\n"
    found = _only(_run(make_site(lines=lines), key_file), "duplicate_key")
    assert found["row"].to_list() == [2, 5]
    assert "this codice with line_number 1 appears 2 times" in found["message"][0]
    assert found["column"].to_list() == ["codice,line_number"] * 2


def test_orphan_line_for_unknown_patient(make_site: SiteFactory, key_file: Path) -> None:
    result = _run(make_site(lines=LINES_CSV + "P9;1;01/01/2020;;VEL\n"), key_file)
    found = _only(result, "orphan_row")
    assert found["row"].to_list() == [5]
    assert "has no accepted patients row" in found["message"][0]


@pytest.mark.parametrize(
    ("patients", "lines", "check", "file", "row"),
    [
        # treatment start before diagnosis (P1 diagnosed 01/03/2019)
        (None, "P1;2;01/01/2019;;VEL", "date_before_diagnosis", "linee.csv", 5),
        # death before diagnosis
        (
            "P4;M;01/03/2019;61;254;36;No;01/01/2019;REC;01/01/2019",
            None,
            "death_before_diagnosis",
            "pazienti.csv",
            5,
        ),
        # follow-up after death (P2 died 02/02/2022)
        (
            "P4;M;01/03/2019;61;254;36;No;02/02/2021;REC;02/02/2022",
            None,
            "date_after_death",
            "pazienti.csv",
            5,
        ),
        # a line started after death
        (None, "P2;2;01/03/2022;;VEL", "date_after_death", "linee.csv", 5),
        # line ends before it starts
        (None, "P1;2;01/03/2021;01/01/2021;VEL", "end_before_start", "linee.csv", 5),
    ],
)
def test_date_order(  # noqa: PLR0917  (pytest parameters are positional)
    make_site: SiteFactory,
    key_file: Path,
    patients: str | None,
    lines: str | None,
    check: str,
    file: str,
    row: int,
) -> None:
    result = _run(
        make_site(
            patients=_csv(HEADER, P1, P2, P3, *([patients] if patients else [])),
            lines=LINES_CSV + (f"{lines}\n" if lines else ""),
        ),
        key_file,
    )
    found = _only(result, check)
    assert found.select("source_file", "row").rows() == [(file, row)]
    _assert_conserved(result)


def test_progression_before_first_treatment(make_site: SiteFactory, key_file: Path) -> None:
    from tests.loaders.conftest import SPEC

    spec = SPEC.replace(
        "      data_ufu:", "      data_prog:   {{event: progression}}\n      data_ufu:"
    )
    header = HEADER + ";data_prog"
    rows = [P1 + ";05/03/2019", P2 + ";", P3 + ";01/01/2020"]  # P1 starts line 10/03/2019
    result = _run(make_site(spec=spec, patients=_csv(header, *rows)), key_file)
    found = _only(result, "progression_before_treatment")
    assert found.select("table", "row").rows() == [("events", 2)]
    assert "is before the first treatment line started on 2019-03-10" in found["message"][0]


def test_death_before_diagnosis_does_not_void_the_patients_other_rows(
    make_site: SiteFactory, key_file: Path
) -> None:
    # P4 diagnosed 01/03/2019, "died" 01/01/2019, seen 01/06/2023, line from 01/04/2019:
    # only the impossible death is quarantined, not the later follow-up or the line
    p4 = "P4;M;01/03/2019;61;254;36;No;01/01/2019;REC;01/06/2023"
    result = _run(
        make_site(
            patients=_csv(HEADER, P1, P2, P3, p4), lines=LINES_CSV + "P4;1;01/04/2019;;VEL\n"
        ),
        key_file,
    )
    assert result.quarantine.select("source_file", "row", "table", "check").rows() == [
        ("pazienti.csv", 5, "events", "death_before_diagnosis")
    ]
    assert result.tables["treatment_lines"].height == 4
    _assert_conserved(result)


def test_two_deaths_on_different_dates_quarantine_both(
    make_site: SiteFactory, key_file: Path
) -> None:
    from tests.loaders.conftest import SPEC

    spec = SPEC + (
        "  - path: eventi.csv\n"
        "    format: csv\n"
        '    date_format: "%d/%m/%Y"\n'
        "    id_column: codice\n"
        "    columns:\n"
        "      tipo: {{to: events.event_type}}\n"
        "      data: {{to: events.event_date}}\n"
    )
    spec_path = make_site(spec=spec)
    # P2 died 02/02/2022 in pazienti.csv; the event file says 05/05/2022
    (spec_path.parent / "eventi.csv").write_text("codice,tipo,data\nP2,death,05/05/2022\n")
    result = _run(spec_path, key_file)
    found = _only(result, "conflicting_death")
    assert sorted(found.select("source_file", "row").rows()) == [
        ("eventi.csv", 2),
        ("pazienti.csv", 3),
    ]
    assert set(result.quarantine["check"]) == {"conflicting_death"}
    assert "deaths on 2 different dates (2022-02-02, 2022-05-05)" in found["message"][0]
    # P2's follow-up (02/02/2022) is kept: no death is trusted, so nothing is "after death"
    assert result.tables["events"].filter(pl.col("event_type") == "death").is_empty()
    _assert_conserved(result)


def test_unparseable_ldh_uln_is_reported_not_replaced_by_the_site_default(
    make_site: SiteFactory, key_file: Path
) -> None:
    from tests.loaders.conftest import SPEC

    spec = SPEC.replace(
        "      data_morte:", "      lsn:         {{to: baseline.ldh_uln_u_l}}\n      data_morte:"
    )
    header = HEADER + ";lsn"
    rows = [P1 + ";12,3,4", P2 + ";", P3 + ";250"]
    result = _run(make_site(spec=spec, patients=_csv(header, *rows)), key_file)
    found = _only(result, "unparseable_number")
    assert found.select("row", "column").rows() == [(2, "ldh_uln_u_l")]
    # P2 has no ULN: the spec's site-wide 248 applies; P3 keeps its own 250
    assert sorted(result.tables["baseline"]["ldh_uln_u_l"].to_list()) == [248.0, 250.0]
    _assert_conserved(result)
