"""The lookup-table engine: boundary encoding, exact enumeration and the mismatch guard."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.risk.lookup import Cut, build_table, cut_encoder, marker_encoder
from lake.risk.tristate import NOT_CLASSIFIABLE, Band, Categories, Input

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


def test_marker_encoder_states_of_every_kind_of_string() -> None:
    # 0 present, 1 absent, 2 for not_tested, null and anything else (never absent).
    frame = pl.DataFrame({"del17p": ["present", "absent", "not_tested", None, "PRESENT", ""]})
    got = frame.select(marker_encoder(FISH).expr).to_series()
    assert got.dtype == pl.UInt8
    assert got.to_list() == [0, 1, 2, 2, 2, 2]


_LIMITS = st.lists(st.integers(-50, 50), min_size=1, max_size=5, unique=True).map(sorted)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(limits=_LIMITS, inclusive=st.lists(st.booleans(), min_size=5, max_size=5), data=st.data())
def test_band_is_the_number_of_limits_the_value_lies_beyond(
    limits: list[int], inclusive: list[bool], data: st.DataObject
) -> None:
    # Categories.band's definition: a value lies beyond an inclusive limit u when > u, beyond an
    # exclusive one when >= u; its band is the count of limits it lies beyond; null/NaN -> NC.
    codes = tuple(f"B{i}" for i in range(len(limits) + 1))
    cats = Categories(codes)
    bands = [
        Band(float(u), codes[i], inclusive=inc)
        for i, (u, inc) in enumerate(zip(limits, inclusive, strict=False))
    ]
    bands.append(Band(math.inf, codes[-1]))
    near = [float(u) + d for u in limits for d in (-0.5, 0.0, 0.5)]
    values = data.draw(
        st.lists(st.one_of(st.sampled_from(near), st.floats(-60, 60), st.none(), st.just(math.nan)))
    )

    def beyond(value: float, band: Band) -> bool:
        return value > band.upper if band.inclusive else value >= band.upper

    expected = [
        NOT_CLASSIFIABLE
        if v is None or math.isnan(v)
        else codes[sum(beyond(v, b) for b in bands[:-1])]
        for v in values
    ]
    frame = pl.DataFrame({"v": values}, schema={"v": pl.Float64})
    got = frame.select(cats.label(cats.band(pl.col("v"), bands))).to_series().cast(pl.String)
    assert got.to_list() == expected
