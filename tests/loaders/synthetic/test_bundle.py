"""The committed bundle: reproducible from its seed, files readable as declared, spec valid,
bad rows where expected.json says they are, at 1-5% per site."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from lake.model import EVENT_TYPES, EVENTS, TABLES_BY_NAME
from loaders.spec import parse_spec
from loaders.synthetic.bundle import write_site
from loaders.synthetic.cli import DEFAULT_SEED
from loaders.synthetic.profile import FileProfile, SiteProfile
from loaders.synthetic.sites import SITES

BUNDLE = Path(__file__).resolve().parents[3] / "loaders" / "sites"
SITE_IDS = [s.code for s in SITES]


def expected_of(site: SiteProfile) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (BUNDLE / site.code / "expected.json").read_text(encoding="utf-8")
    )
    return document


def read_export(site: SiteProfile, file: FileProfile) -> pl.DataFrame:
    """Read a file with nothing but its declared format, as text."""
    path = BUNDLE / site.code / file.path
    if file.format == "csv":
        text = path.read_bytes().decode(file.encoding)
        return pl.read_csv(text.encode(), separator=file.separator, infer_schema=False)
    if file.format == "xlsx":
        return pl.read_excel(path, sheet_name=file.sheet, infer_schema_length=0)
    return pl.read_parquet(path)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    for site in SITES:
        write_site(site, out, seed=DEFAULT_SEED)
    return out


@pytest.mark.parametrize("site", SITES, ids=SITE_IDS)
def test_same_seed_gives_byte_identical_bundle(site: SiteProfile, regenerated: Path) -> None:
    # a load of the bundled site (the demo, the demo-lake fixture) writes the site's
    # re-identification list beside its spec (loaders/reidentification.py): not bundle data
    committed = sorted(
        p.relative_to(BUNDLE)
        for p in (BUNDLE / site.code).rglob("*")
        if p.is_file() and not p.name.startswith("reidentification-")
    )
    fresh = sorted(
        p.relative_to(regenerated) for p in (regenerated / site.code).rglob("*") if p.is_file()
    )
    assert fresh == committed
    for relative in committed:
        assert (regenerated / relative).read_bytes() == (BUNDLE / relative).read_bytes(), relative


def test_another_seed_changes_the_data(tmp_path: Path) -> None:
    site = SITES[0]
    write_site(site, tmp_path / "a", seed=1, n_patients=200)
    write_site(site, tmp_path / "b", seed=2, n_patients=200)
    first = site.files[0].path
    assert (tmp_path / "a" / site.code / first).read_bytes() != (
        tmp_path / "b" / site.code / first
    ).read_bytes()


@pytest.mark.parametrize("site", [s for s in SITES if s.files], ids=lambda s: s.code)
def test_files_parse_with_declared_format(site: SiteProfile) -> None:
    expected = {(f["path"], f["sheet"]): f for f in expected_of(site)["files"]}
    for file in site.files:
        frame = read_export(site, file)
        assert frame.columns == [file.id_column, *(c.source for c in file.columns)]
        assert frame.height == expected[(file.path, file.sheet)]["rows"]


def test_omop_extract_has_cdm_tables() -> None:
    site = next(s for s in SITES if s.omop is not None)
    folder = BUNDLE / site.code / "omop"
    person = pl.read_csv(folder / "person.csv", infer_schema=False)
    measurement = pl.read_csv(folder / "measurement.csv", infer_schema=False)
    assert {"person_id", "gender_concept_id", "year_of_birth"} <= set(person.columns)
    assert "69380-4" in measurement["measurement_source_value"].to_list()
    for name in ("condition_occurrence", "drug_exposure", "observation_period", "death"):
        assert (folder / f"{name}.csv").exists()


@pytest.mark.parametrize("site", SITES, ids=SITE_IDS)
def test_mapping_yaml_is_a_valid_spec_on_real_model_columns(site: SiteProfile) -> None:
    spec = parse_spec(BUNDLE / site.code / "mapping.yaml")
    assert spec.site == site.code
    for file in spec.files:
        for mapping in file.columns:
            table = TABLES_BY_NAME[mapping.table]
            assert mapping.column in table.schema
            if mapping.event is not None:
                assert mapping.event in EVENT_TYPES
                assert mapping.column in EVENTS.schema
        for target in file.constants:
            table_name, column = target.split(".")
            assert column in TABLES_BY_NAME[table_name].schema


@pytest.mark.parametrize("site", SITES, ids=SITE_IDS)
def test_bad_rows_are_one_to_five_percent_and_counted(site: SiteProfile) -> None:
    expected = expected_of(site)
    listed = [b for f in expected["files"] for b in f["bad"]]
    assert len(listed) == expected["bad_rows_total"]
    assert 0.01 <= expected["bad_rows_total"] / expected["rows_total"] <= 0.05
    for record in expected["files"]:
        assert sum(record["bad_rows"].values()) == len(record["bad"])
        extra = sum(1 for b in record["bad"] if not b["in_place"])
        assert record["rows"] == record["truth_rows"] + extra
        assert all(b["lost_table"] is None for b in record["bad"] if not b["in_place"])


@pytest.mark.parametrize("site", [s for s in SITES if s.files], ids=lambda s: s.code)
def test_bad_cells_are_where_expected_json_says(site: SiteProfile) -> None:
    expected = {(f["path"], f["sheet"]): f for f in expected_of(site)["files"]}
    for file in site.files:
        frame = read_export(site, file)
        codes = {c.source: set(c.codes or {}) for c in file.columns}
        for bad in expected[(file.path, file.sheet)]["bad"]:
            cell = frame[bad["column"]][bad["index"]]
            assert str(cell) == bad["value"] or float(str(cell)) == float(bad["value"])
            if bad["kind"] == "unknown_code":
                assert cell not in codes[bad["column"]]
            if bad["kind"] == "impossible_date":
                with pytest.raises(ValueError, match=r"day is out of range|unconverted|does not"):
                    dt.datetime.strptime(str(cell), file.date_format)
