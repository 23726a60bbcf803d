"""Every bundled site (``loaders/sites/*/mapping.yaml``) loaded into one real Delta lake.

The generator (``loaders/synthetic``) records in each site's ``expected.json`` the rows it
planted as bad (``files[].bad``: source row, kind, and for a cell spoiled in place the one
harmonised table that loses its row, ``lost_table``) and the accepted rows per harmonised table
(``tables``). Expected values come from that record, never from the loader's own output.

Why quarantined *rows* and not issue counts: one bad value may raise several issues (an
impossible OMOP start date is also an unparseable line rank; a spoiled patients row makes its
baseline, genetics and event rows orphans), so the exact relation is stated on the set of
quarantined source rows:

- CSV / XLSX / Parquet sites: the quarantined (file, row) pairs are exactly the planted bad
  rows, and a cell spoiled in place costs exactly its ``lost_table`` row (a death before
  diagnosis exactly its death event);
- OMOP (EU-CMLSTOP): baseline values are collapsed per person and point at ``person.csv``, so a
  spoiled baseline measurement quarantines its person's baseline row (one per person, however
  many of their measurements are spoiled); an unknown ``drug_source_value`` is by the spec's
  rule not a treatment line at all (supportive care), so it is neither in nor quarantined;
  every other planted row is quarantined at its own source row.

Row conservation is counted three ways that share nothing with the loader's own counts: rows
in from the source files (read with polars, not the loader's reader), accepted rows in the
lake, quarantined rows in ``_quarantine``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from lake.storage import open_lake
from loaders.load import load_site
from loaders.result import LoadResult
from loaders.spec import parse_spec
from loaders.spec_types import FileSpec

SITES_DIR = Path(__file__).resolve().parents[2] / "loaders" / "sites"
SPECS = sorted(SITES_DIR.glob("*/mapping.yaml"))
SITE_NAMES = [spec.parent.name for spec in SPECS]


@dataclass(frozen=True)
class LoadedSites:
    lake: Path
    results: dict[str, LoadResult]
    expected: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> LoadedSites:
    """Load every bundled site once into one lake."""
    root = tmp_path_factory.mktemp("bundled")
    key_file = root / "pseudonym.key"
    key_file.write_text("k" * 64)
    results = {
        spec.parent.name: load_site(spec, lake_root=root / "lake", key_file=key_file)
        for spec in SPECS
    }
    expected = {
        spec.parent.name: json.loads((spec.parent / "expected.json").read_text()) for spec in SPECS
    }
    return LoadedSites(root / "lake", results, expected)


def _quarantine(loaded: LoadedSites, site: str) -> pl.DataFrame:
    return open_lake(loaded.lake).scan("_quarantine").filter(pl.col("site") == site).collect()


def _bad(expected: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f["path"], bad) for f in expected["files"] for bad in f["bad"]]


def test_there_are_at_least_six_bundled_sites() -> None:
    assert len(SPECS) >= 6


def _source(file: FileSpec) -> pl.DataFrame:
    """The export as its own reader library sees it (not the loader's reader), with the
    source row number the quarantine names (header = row 1; Parquet 1-based)."""
    if file.format == "csv":
        frame = pl.read_csv(
            file.path, separator=file.separator, infer_schema=False, encoding="utf8-lossy"
        )
    elif file.format == "xlsx":
        frame = pl.read_excel(file.path, sheet_name=file.sheet, infer_schema_length=0)
    else:
        frame = pl.read_parquet(file.path)
    offset = 1 if file.format == "parquet" else 2
    return frame.with_row_index("source_row", offset=offset).cast({"source_row": pl.Int64})


def _fed_rows(file: FileSpec, frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """Harmonised rows of ``table`` per source row, by the spec's rules (SPEC.md): one per row,
    except wide-layout events: one per declared event with any non-missing cell."""
    events: dict[str, list[str]] = {}
    for mapping in file.columns:
        if mapping.event is not None:
            events.setdefault(mapping.event, []).append(mapping.source)
    if table != "events" or not events:
        return frame.select("source_row", pl.lit(1).alias("rows"))

    def present(column: str) -> pl.Expr:
        text = pl.col(column).cast(pl.String).str.strip_chars()
        return text.is_not_null() & ~text.is_in(list(file.missing))

    per_event = [pl.any_horizontal(present(c) for c in cols) for cols in events.values()]
    return frame.select("source_row", pl.sum_horizontal(per_event).alias("rows"))


def _conservation(loaded: LoadedSites, site: str) -> pl.DataFrame:
    """Per harmonised table: rows in counted from the source files, accepted rows counted in
    the lake, quarantined rows counted from ``_quarantine`` (a source row named there loses
    every row it feeds to that table, except a cell the generator spoiled in place, which
    costs its one row: the generator's stated convention)."""
    spec = parse_spec(SITES_DIR / site / "mapping.yaml")
    in_place = {
        (f["path"], b["source_row"])
        for f in loaded.expected[site]["files"]
        for b in f["bad"]
        if b["in_place"]
    }
    quarantine = _quarantine(loaded, site).select("source_file", "row", "table").unique()
    snapshot = open_lake(loaded.lake)
    rows_in: dict[str, int] = {}
    quarantined: dict[str, int] = {}
    for file in spec.files:
        frame = _source(file)
        for table in file.tables:
            fed = _fed_rows(file, frame, table)
            rows_in[table] = rows_in.get(table, 0) + int(fed["rows"].sum())
            named = fed.join(
                quarantine.filter(
                    (pl.col("source_file") == file.name) & (pl.col("table") == table)
                ),
                left_on="source_row",
                right_on="row",
            )
            lost = sum(
                1 if (file.name, row) in in_place else rows
                for row, rows in named.select("source_row", "rows").rows()
            )
            quarantined[table] = quarantined.get(table, 0) + lost
    return pl.DataFrame(
        [
            (
                table,
                rows_in[table],
                snapshot.scan(table)
                .filter(pl.col("site") == site)
                .select(pl.len())
                .collect()
                .item(),
                quarantined[table],
            )
            for table in sorted(rows_in)
        ],
        schema=["table", "rows_in", "accepted", "quarantined"],
        orient="row",
    )


@pytest.mark.parametrize("site", [s for s in SITE_NAMES if s != "EU-CMLSTOP"])
def test_rows_are_conserved_per_table(loaded: LoadedSites, site: str) -> None:
    conservation = _conservation(loaded, site)
    assert set(conservation["table"]) >= {"patients", "events"}
    assert (conservation["quarantined"] > 0).any()
    for table, rows_in, accepted, quarantined in conservation.rows():
        assert rows_in == accepted + quarantined, table


def test_omop_rows_are_conserved_per_table(loaded: LoadedSites) -> None:
    """OMOP rows are derived (one baseline per person, lines from mapped drugs only, TKI
    events from exposure pairs), so rows in per table are the mapper's part sizes; patients
    and baseline (one each per person) are also counted from ``person.csv``. Accepted rows come
    from the lake, quarantined ones from ``_quarantine`` (one source row per harmonised row
    in every OMOP part)."""
    site = "EU-CMLSTOP"
    persons = pl.read_csv(SITES_DIR / site / "omop" / "person.csv", infer_schema=False).height
    rows_in = dict(
        loaded.results[site].counts.group_by("table").agg(pl.col("rows_in").sum()).rows()
    )
    assert rows_in["patients"] == rows_in["baseline"] == persons
    quarantine = _quarantine(loaded, site).select("source_file", "row", "table").unique()
    snapshot = open_lake(loaded.lake)
    for table, expected in rows_in.items():
        accepted = snapshot.scan(table).filter(pl.col("site") == site).select(pl.len()).collect()
        quarantined = quarantine.filter(pl.col("table") == table).height
        assert accepted.item() + quarantined == expected, table


@pytest.mark.parametrize("site", SITE_NAMES)
def test_accepted_rows_per_table_match_the_generator(loaded: LoadedSites, site: str) -> None:
    snapshot = open_lake(loaded.lake)
    for table, expected_rows in loaded.expected[site]["tables"].items():
        accepted = snapshot.scan(table).filter(pl.col("site") == site).select(pl.len()).collect()
        assert accepted.item() == expected_rows, table


@pytest.mark.parametrize("site", [s for s in SITE_NAMES if s != "EU-CMLSTOP"])
def test_quarantined_rows_are_exactly_the_planted_bad_rows(loaded: LoadedSites, site: str) -> None:
    quarantine = _quarantine(loaded, site)
    planted = {(path, bad["source_row"]) for path, bad in _bad(loaded.expected[site])}
    assert planted
    assert set(quarantine.select("source_file", "row").unique().rows()) == planted


@pytest.mark.parametrize("site", SITE_NAMES)
def test_a_cell_spoiled_in_place_costs_only_its_own_row(loaded: LoadedSites, site: str) -> None:
    quarantine = _quarantine(loaded, site)
    for path, bad in _bad(loaded.expected[site]):
        if not bad["in_place"] or path.startswith("omop/"):
            continue
        tables = set(
            quarantine.filter(
                (pl.col("source_file") == path) & (pl.col("row") == bad["source_row"])
            )["table"]
        )
        assert tables == {bad["lost_table"] or "events"}, (path, bad)


def test_omop_site_quarantine_follows_the_omop_rules(loaded: LoadedSites) -> None:
    site = "EU-CMLSTOP"
    expected = loaded.expected[site]
    quarantine = _quarantine(loaded, site)
    rows = set(quarantine.select("source_file", "row").unique().rows())
    bad = _bad(expected)
    unknown_drugs = [
        b for p, b in bad if p.endswith("drug_exposure.csv") and b["kind"] == "unknown_code"
    ]
    assert unknown_drugs
    assert not any(("omop/drug_exposure.csv", b["source_row"]) in rows for b in unknown_drugs)
    own_row = [
        (p, b)
        for p, b in bad
        if b not in unknown_drugs
        and not (p.endswith("measurement.csv") and b["lost_table"] == "baseline")
    ]
    assert {(p, b["source_row"]) for p, b in own_row} <= rows
    # spoiled baseline measurements: one baseline row per affected person, at person.csv
    measurements = pl.read_csv(
        SITES_DIR / site / "omop" / "measurement.csv", infer_schema=False
    ).with_row_index("row", offset=2)
    spoiled_rows = [
        b["source_row"]
        for p, b in bad
        if p.endswith("measurement.csv") and b["lost_table"] == "baseline"
    ]
    persons = measurements.filter(pl.col("row").is_in(spoiled_rows))["person_id"].n_unique()
    person_bad_rows = {b["source_row"] for p, b in bad if p.endswith("person.csv")}
    baseline_only = quarantine.filter(
        (pl.col("source_file") == "omop/person.csv")
        & (pl.col("table") == "baseline")
        & ~pl.col("row").is_in(list(person_bad_rows))
    )
    assert baseline_only["row"].n_unique() == persons
    # nothing outside the planted rows and those baseline rows is quarantined
    allowed = {(p, b["source_row"]) for p, b in own_row} | {
        ("omop/person.csv", r) for r in baseline_only["row"]
    }
    assert rows == allowed
