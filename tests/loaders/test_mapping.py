"""How a file's code maps are applied (``loaders.mapping.map_file``), as properties."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.model import MARKER_CODES
from loaders.checks import run_row_checks
from loaders.mapping import PKEY, RID, RowIds, map_file, raw_name
from loaders.readers import ROW
from loaders.spec_types import DEFAULT_MISSING, ColumnMapping, FileSpec

SPELLING = st.text(alphabet="abcdefgHIJ0123+-é", min_size=1, max_size=6).filter(
    lambda s: s not in DEFAULT_MISSING
)


@st.composite
def code_maps_and_cells(draw: st.DrawFn) -> tuple[dict[str, str], list[str]]:
    """A site's code map onto ``del17p`` codes, and cells drawn from its spellings and from
    spellings it does not map, some padded with spaces (trimmed before mapping)."""
    codes = draw(st.dictionaries(SPELLING, st.sampled_from(MARKER_CODES), min_size=1, max_size=5))
    unmapped = st.builds(lambda s: f"X{s}", SPELLING).filter(lambda s: s not in codes)
    spelling = st.one_of(st.sampled_from(sorted(codes)), unmapped)
    padded = st.tuples(st.sampled_from(["", " ", "  "]), spelling, st.sampled_from(["", " "]))
    cells = draw(st.lists(padded.map("".join), max_size=40))
    return codes, cells


@settings(max_examples=60, deadline=None)
@given(code_maps_and_cells())
def test_mapped_codes_land_on_their_target_and_the_rest_are_unknown(
    drawn: tuple[dict[str, str], list[str]],
) -> None:
    codes, cells = drawn
    spec = FileSpec(
        name="genetica.csv",
        path=Path("genetica.csv"),
        line=1,
        format="csv",
        id_column="codice",
        columns=(
            ColumnMapping(source="del17", line=2, table="genetics", column="del17p", codes=codes),
        ),
    )
    n = len(cells)
    raw = pl.DataFrame(
        {
            ROW: pl.int_range(2, n + 2, eager=True, dtype=pl.Int64),
            "patient_id": [f"p{i}" for i in range(n)],
            PKEY: pl.int_range(n, eager=True, dtype=pl.UInt32),
            "del17": cells,
        },
        schema_overrides={"del17": pl.String},
    )
    (part,) = map_file(spec, raw, ids=RowIds())
    assert part.table == "genetics"
    assert part.frame.height == n  # one genetics row per source row
    issues = run_row_checks(part)
    unknown = issues.filter(pl.col("check") == "unknown_code")
    assert issues.height == unknown.height  # no other check fires on these rows
    by_rid = dict(zip(unknown[RID], unknown["message"], strict=True))
    assert unknown[RID].n_unique() == unknown.height
    cells_by_row = part.frame.with_columns(pl.Series("cell", cells, dtype=pl.String))
    for rid, cell, value, text in cells_by_row.select(
        RID, "cell", "del17p", raw_name("del17p")
    ).rows():
        spelling = cell.strip()
        assert text == spelling
        if spelling in codes:
            assert value == codes[spelling]
            assert rid not in by_rid
        else:
            assert value is None
            assert f"del17p '{spelling}' (column del17)" in by_rid[rid]
    # rows conserved: every row is either mapped to its code or quarantined as unknown
    mapped = part.frame.filter(pl.col("del17p").is_not_null()).height
    assert mapped + len(by_rid) == n
