"""The lookup-table engine: boundary encoding, exact enumeration and the mismatch guard."""

from __future__ import annotations

import polars as pl
import pytest

from lake.risk.lookup import Cut, build_table, cut_encoder, marker_encoder
from lake.risk.tristate import Categories, Input

B2M = Input("baseline.beta2m_mg_l")
FISH = Input("genetics.del17p")
CATS = Categories(("LOW", "HIGH"))


def test_cut_encoder_places_threshold_values_by_the_comparison() -> None:
    # >= 3.5 and > 5.5: 3.5 is in bin 1, 5.5 stays in bin 1, 5.6 in bin 2, null is state 3.
    encoder = cut_encoder(B2M, (Cut(3.5), Cut(5.5, ">")))
    frame = pl.DataFrame({"beta2m_mg_l": [3.4, 3.5, 5.5, 5.6, None]})
    assert frame.select(encoder.expr).to_series().to_list() == [0, 1, 1, 2, 3]


def test_rule_disagreeing_with_the_encoder_at_a_threshold_is_refused() -> None:
    encoder = cut_encoder(B2M, (Cut(3.5),))  # encoder: >= 3.5
    with pytest.raises(ValueError, match="not constant within one known state"):
        build_table(
            (encoder,), lambda b: "HIGH" if b > 3.5 else "LOW", categories=CATS, inputs=(B2M,)
        )


def test_unknown_states_resolve_only_when_every_completion_agrees() -> None:
    # HIGH if beta2m >= 3.5 or del17p present: a present call decides whatever beta2m is.
    encoders = (cut_encoder(B2M, (Cut(3.5),)), marker_encoder(FISH))
    table = build_table(
        encoders,
        lambda b, lesion: "HIGH" if b >= 3.5 or lesion else "LOW",
        categories=CATS,
        inputs=(B2M, FISH),
    )
    frame = pl.DataFrame(
        {
            "beta2m_mg_l": [None, None, 2.0, None],
            "del17p": ["present", "absent", "not_tested", "not_tested"],
        }
    )
    out = frame.select(pl.struct(table.fields(table.index(lambda e: e.expr))).alias("s"))
    rows = out.unnest("s").rows(named=True)
    nc = "NOT_CLASSIFIABLE"
    assert [r["category"] for r in rows] == ["HIGH", nc, nc, nc]
    assert [r["missing_inputs"] for r in rows] == [
        [],
        ["baseline.beta2m_mg_l"],
        ["genetics.del17p"],
        ["baseline.beta2m_mg_l", "genetics.del17p"],
    ]
