"""The data manager's loop through real ``hemalake`` processes and real files: a data query is
found by a check, exported as a form, resolved at the site with its own ids, answered and
closed by a corrected load; waivers, history, onboarding states and expected case counts."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from lake.storage import read_latest
from tests.loaders.conftest import PATIENTS_CSV, SiteFactory

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

#: P3 without beta-2 microglobulin, P1 without a last follow-up date: two open queries.
INCOMPLETE = PATIENTS_CSV.replace(";600;38;", ";;38;").replace(";;;01/06/2023", ";;;")


def _hemalake(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [sys.executable, "-m", "service.cli", *map(str, args)],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "400"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in run.stdout + run.stderr
    return run


def _ok(*args: str | Path, cwd: Path = REPO) -> str:
    run = _hemalake(*args, cwd=cwd)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def _refused(*args: str | Path) -> str:
    run = _hemalake(*args)
    assert run.returncode == 2, run.stdout + run.stderr
    return " ".join((run.stdout + run.stderr).split())


def _load(spec: Path, lake: Path, key_file: Path) -> None:
    _ok("load", spec, "--lake", lake, "--key-file", key_file, "--quiet")


def _states(lake: Path) -> dict[str, tuple[str, str]]:
    """query_id -> (state, reason) of the newest transition."""
    events = read_latest(lake, "_query_events")
    assert events is not None
    newest = events.sort("at").group_by("query_id").last()
    return {r["query_id"]: (r["state"], r["reason"]) for r in newest.iter_rows(named=True)}


def _list_stays_at_the_site(spec: Path, lake: Path) -> None:
    """The re-identification list: beside the spec, 0600, never in the lake; no site id in
    any lake table."""
    listed = spec.parent / "reidentification-IT-TST.csv"
    assert stat.S_IMODE(listed.stat().st_mode) == 0o600
    assert not [p for p in lake.rglob("*") if "reidentification" in p.name]
    for table in (p for p in lake.iterdir() if p.is_dir()):
        frame = read_latest(lake, table.name)
        if frame is not None and "patient_id" in frame.columns:
            assert not set(frame["patient_id"]) & {"P1", "P2", "P3"}, table.name


def test_one_query_walks_its_whole_life(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    spec = make_site(patients=INCOMPLETE)
    _load(spec, lake, key_file)

    # found by a check, exported as XLSX and CSV in the site's own column names
    forms = {suffix: tmp_path / f"form{suffix}" for suffix in (".xlsx", ".csv")}
    for path in forms.values():
        _ok("queries", "form", "--site", "IT-TST", "--lake", lake, "--out", path)
    xlsx = pl.read_excel(forms[".xlsx"], infer_schema_length=0)
    csv = pl.read_csv(forms[".csv"], infer_schema=False)
    assert xlsx.equals(csv)
    assert xlsx.height == 2
    by_column = {r["column"]: r for r in xlsx.iter_rows(named=True)}
    assert set(by_column) == {"b2m", "data_ufu"}  # the site's columns, not the model's fields
    b2m = by_column["b2m"]
    assert (b2m["file"], b2m["table"], b2m["field"]) == ("pazienti.csv", "baseline", "beta2m_mg_l")
    assert b2m["check"] == "mm_missing_iss_inputs"
    assert "beta-2 microglobulin" in b2m["expected"]
    assert b2m["state"] == "open"
    assert b2m["reply"] is None
    query = b2m["query_id"]

    _list_stays_at_the_site(spec, lake)

    # resolved at the site (its cwd, no lake), with its own patient ids
    site_form = tmp_path / "form-site.xlsx"  # beside the form
    _ok("queries", "reidentify", forms[".xlsx"], "--spec", "mapping.yaml", cwd=spec.parent)
    local = pl.read_excel(site_form, infer_schema_length=0)
    assert dict(zip(local["column"], local["codice"], strict=True)) == {
        "b2m": "P3",
        "data_ufu": "P1",
    }
    assert local.columns.index("codice") == local.columns.index("pseudonym") + 1

    # answered: the form with site ids is refused, the form without them is recorded
    replied = local.with_columns(
        pl.when(pl.col("column") == "b2m")
        .then(pl.lit("b2m 3.1 mg/L, corrected in the export"))
        .alias("reply")
    )
    replied.write_excel(site_form, worksheet="data queries")
    assert "'codice' are not part of the query form" in _refused(
        "queries", "answer", "--lake", lake, "--form", site_form
    )
    back = tmp_path / "back.xlsx"
    _ok("queries", "reidentify", site_form, "--spec", spec, "--remove", "--out", back)
    assert "codice" not in pl.read_excel(back, infer_schema_length=0).columns
    _ok("queries", "answer", "--lake", lake, "--form", back, "--by", "site DM")
    assert _states(lake)[query] == ("answered", "reply")

    # a reload that changes something else keeps the query's id and its answer
    _load(make_site(patients=INCOMPLETE.replace(";61;", ";62;")), lake, key_file)
    assert _states(lake)[query] == ("answered", "reply")

    # closed by a corrected load; the other query stays open
    _load(make_site(patients=INCOMPLETE.replace(";;38;", ";600;38;")), lake, key_file)
    states = _states(lake)
    assert states[query] == ("closed", "resolved")
    assert sorted(states.values()) == [("closed", "resolved"), ("open", "found")]
    assert "b2m" not in _ok("queries", "--lake", lake, "--site", "IT-TST")

    history = read_latest(lake, "_query_events")
    assert history is not None
    walk = history.filter(pl.col("query_id") == query).sort("at")
    assert walk["state"].to_list() == ["open", "answered", "closed"]
    assert walk["by"][1] == "site DM"
    assert walk["note"][1] == "b2m 3.1 mg/L, corrected in the export"
    assert walk["by"][2].startswith("load ")
    assert query in _ok("queries", "history", "--lake", lake, "--query-id", query)


def test_a_waived_query_stays_closed_and_cannot_be_answered(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    spec = make_site(patients=INCOMPLETE)
    _load(spec, lake, key_file)
    form = tmp_path / "form.csv"
    _ok("queries", "form", "--site", "IT-TST", "--lake", lake, "--out", form)
    rows = pl.read_csv(form, infer_schema=False)
    follow_up = rows.filter(pl.col("column") == "data_ufu").item(0, "query_id")

    assert "needs a reason" in _refused(
        "queries", "waive", "--lake", lake, follow_up, "--reason", " "
    )
    assert "unknown query id" in _refused(
        "queries", "waive", "--lake", lake, "0000000000000000", "--reason", "x"
    )
    _ok(
        "queries", "waive", "--lake", lake, follow_up, "--reason", "lost to follow-up", "--by", "DC"
    )
    assert _states(lake)[follow_up] == ("closed", "waived")
    assert "already closed" in _refused(
        "queries", "answer", "--lake", lake, follow_up, "--reply", "late"
    )

    # a later load that still finds it does not reopen it, nor list it in the form
    _load(make_site(patients=INCOMPLETE.replace(";61;", ";62;")), lake, key_file)
    assert _states(lake)[follow_up] == ("closed", "waived")
    _ok("queries", "form", "--site", "IT-TST", "--lake", lake, "--out", form)
    assert follow_up not in pl.read_csv(form, infer_schema=False)["query_id"].to_list()
    history = _ok("queries", "history", "--lake", lake, "--site", "IT-TST")
    assert "lost to follow-up" in history


def test_onboarding_states_notes_and_expected_cases_show_in_status(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"

    def status_row(site: str) -> str:
        return next(line for line in _ok("status", "--lake", lake).splitlines() if site in line)

    _ok("onboarding", "--lake", lake, "--site", "IT-TST", "--state", "waiting",
        "--note", "ethics approval pending", "--expected-cases", "5")  # fmt: skip
    row = status_row("IT-TST")
    assert "waiting" in row
    assert "ethics approval pending" in row
    assert "0 / 5" in row

    _load(make_site(), lake, key_file)
    _ok("onboarding", "--lake", lake, "--site", "IT-TST", "--state", "on_hold")
    row = status_row("IT-TST")
    assert "on_hold" in row
    assert "3 / 5" in row  # three patients received of five expected
    assert "finalised" in row
    assert "ethics approval pending" in row  # the newest note stays until replaced

    _ok("onboarding", "--lake", lake, "--site", "IT-TST", "--state", "active",
        "--expected-cases", "3", "--note", "all cases received")  # fmt: skip
    row = status_row("IT-TST")
    assert "on_hold" not in row
    assert "3 / 3" in row
    assert "all cases received" in row
    assert "give --state, --note or --expected-cases" in _refused(
        "onboarding", "--lake", lake, "--site", "IT-TST"
    )
    recorded = read_latest(lake, "_site_onboarding")
    assert recorded is not None
    assert recorded.height == 3
