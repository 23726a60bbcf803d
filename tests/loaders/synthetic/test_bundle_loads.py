"""The bundle through the real loader: accepted rows per table and quarantined source rows are
exactly what ``expected.json`` says (the generator's contract with ``loaders/``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loaders.load import read_and_map
from loaders.spec import parse_spec
from loaders.synthetic.sites import SITES
from loaders.validate import validate

BUNDLE = Path(__file__).resolve().parents[3] / "loaders" / "sites"
KEY = b"synthetic-test-key-32-bytes-long"


@pytest.mark.parametrize("code", [s.code for s in SITES])
def test_loader_accepts_and_quarantines_what_expected_json_says(code: str) -> None:
    expected = json.loads((BUNDLE / code / "expected.json").read_text(encoding="utf-8"))
    spec = parse_spec(BUNDLE / code / "mapping.yaml")
    validated = validate(read_and_map(spec, KEY), site=code, load_id="test")
    accepted = {name: frame.height for name, frame in validated.tables.items() if frame.height}
    assert accepted == expected["tables"]
    quarantined = {
        (Path(f).name, row)
        for f, row in validated.quarantine.select("source_file", "row").iter_rows()
    }
    bad = {(Path(f["path"]).name, b["source_row"]) for f in expected["files"] for b in f["bad"]}
    if expected["files"][0]["format"] != "omop":  # OMOP rows are pivoted: counts only
        assert quarantined == bad
