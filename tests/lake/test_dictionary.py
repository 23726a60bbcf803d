"""The data dictionary is generated from the model and the committed copy is current."""

from __future__ import annotations

from pathlib import Path

from lake.dictionary import entries, render_markdown
from lake.model import CLINICAL_TABLES

DICTIONARY = Path(__file__).parents[2] / "docs" / "data-dictionary.md"


def test_committed_dictionary_matches_the_model() -> None:
    assert DICTIONARY.read_text(encoding="utf-8") == render_markdown() + "\n", (
        "docs/data-dictionary.md is stale: run `hemalake dictionary > docs/data-dictionary.md`"
    )


def test_every_column_of_every_table_is_listed_once() -> None:
    listed = [(e.table, e.column) for e in entries()]
    expected = [(t.name, c.name) for t in CLINICAL_TABLES for c in t.columns]
    assert listed == expected
    assert len(set(listed)) == len(listed)


def test_every_table_is_keyed_by_patient_and_partitioned_by_site() -> None:
    for tbl in CLINICAL_TABLES:
        names = [c.name for c in tbl.columns]
        assert names[:2] == ["patient_id", "site"], tbl.name
        assert set(tbl.key) <= set(names), tbl.name


def test_markdown_escapes_pipes_so_tables_keep_their_shape() -> None:
    for line in render_markdown().splitlines():
        if line.startswith("| `"):
            unescaped = line.replace("\\|", "")
            assert unescaped.count("|") == 10, line
