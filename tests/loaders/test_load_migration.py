"""A lake built under the previous model (1.1.0: no stem-cell source, disease status or GVHD
organs) takes a load under the current model: the load migrates the tables it writes."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from lake.model import CLINICAL_TABLES
from lake.storage import commit_site_load, lake_lock, open_lake
from loaders.cli import main
from loaders.load import load_site

SPEC = Path(__file__).resolve().parents[2] / "loaders" / "sites" / "EU-ALLOMM" / "mapping.yaml"
#: The columns model 1.2.0 added, per table.
ADDED = {"transplants": ("stem_cell_source", "disease_status"), "events": ("gvhd_organs",)}


def test_a_previous_model_lake_takes_a_current_load_and_keeps_its_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text("k" * 64)
    current = load_site(SPEC, lake_root=tmp_path / "scratch", key_file=key_file)
    assert current.status == "committed"
    scratch = open_lake(tmp_path / "scratch")
    # the lake as model 1.1.0 wrote it: the same rows without the columns 1.2.0 added
    old = tmp_path / "lake"
    tables = {
        t.name: scratch.scan(t.name).collect().drop(ADDED.get(t.name, ())) for t in CLINICAL_TABLES
    }
    with lake_lock(old):
        commit_site_load(old, site="EU-ALLOMM", load_id="v110", tables=tables, metadata={})

    result = load_site(SPEC, lake_root=old, key_file=key_file)

    assert result.status == "committed"
    assert result.lake_version == 2
    newest, first = open_lake(old), open_lake(old, 1)
    for table, columns in ADDED.items():
        migrated = newest.scan(table).collect()
        assert migrated.select(pl.col(columns).null_count()).row(0) != (migrated.height,) * len(
            columns
        )
        before = first.scan(table).collect()
        assert before.height == tables[table].height  # version 1 still time-travels
        assert before.select(pl.col(columns).null_count()).row(0) == (before.height,) * len(columns)
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["status", "--lake", str(old)]) == 0
    assert main(["status", "--lake", str(old), "--lake-version", "1"]) == 0
    assert "EU-ALLOMM" in capsys.readouterr().out
