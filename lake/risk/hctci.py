"""HCT-CI, the haematopoietic cell transplantation comorbidity index (rule id ``hctci_sorror2005``).

Citation: Sorror ML, Maris MB, Storb R, et al. Hematopoietic cell transplantation (HCT)-specific
comorbidity index: a new tool for risk assessment before allogeneic HCT. *Blood*
2005;106(8):2912-2919. doi:10.1182/blood-2005-05-2004

Inputs: the tri-state items of ``comorbidities`` (definitions in :data:`lake.model.COMORBIDITIES`),
assessed before conditioning. Weights:

==========================================================  ======
Item (column)                                               Weight
==========================================================  ======
arrhythmia, cardiac, inflammatory_bowel_disease, diabetes,  1
cerebrovascular, psychiatric, hepatic_mild, obesity,
infection
rheumatologic, peptic_ulcer, renal_moderate_severe,         2
pulmonary_moderate
prior_solid_tumour, heart_valve_disease, pulmonary_severe,  3
hepatic_moderate_severe
==========================================================  ======

Hepatic (mild 1 / moderate-severe 3) and pulmonary (moderate 2 / severe 3) are scored once per
organ at the highest level present; cardiac and heart valve disease both score.
Risk groups: LOW = 0, INTERMEDIATE = 1-2, HIGH >= 3.

Missing inputs: an unknown item contributes ``[0, w]``; for a two-level organ the contribution is
``[highest level known present, highest level not known absent]``. The row is classified when
``[points_min, points_max]`` lies in one group (e.g. a known sum >= 3 is HIGH whatever is
unknown). ``points`` is the sum when the interval has collapsed.

Naming (C1): a ``NOT_CLASSIFIABLE`` row names an unknown item only if it could change the group
given the known ones. With ``K = points_min`` (the certain sum, 0, 1 or 2 on such a row) and items
taking their least values elsewhere, every unknown item moves the sum from ``K`` across a group
limit (0 | 1-2 | >= 3) -- except at ``K = 1`` an item worth only one more point (a weight-1 item,
or mild hepatic disease), which matters only if another unknown item can add exactly one point
(the sum must reach 2 first). The lower level of an organ is moot once its higher level is known
present.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from typing import Final

import polars as pl

from lake.risk.lookup import marker_encoder
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import (
    Band,
    Categories,
    Input,
    ScoreParts,
    add_intervals,
    exact,
    item_interval,
    marker,
    maybe,
    score_parts,
    surely,
)

SINGLE_ITEMS: Final = {
    "arrhythmia": 1,
    "cardiac": 1,
    "inflammatory_bowel_disease": 1,
    "diabetes": 1,
    "cerebrovascular": 1,
    "psychiatric": 1,
    "obesity": 1,
    "infection": 1,
    "rheumatologic": 2,
    "peptic_ulcer": 2,
    "renal_moderate_severe": 2,
    "prior_solid_tumour": 3,
    "heart_valve_disease": 3,
}
#: Organs with two severity levels: (lower item, weight), (higher item, weight).
ORGANS: Final = {
    "hepatic": (("hepatic_mild", 1), ("hepatic_moderate_severe", 3)),
    "pulmonary": (("pulmonary_moderate", 2), ("pulmonary_severe", 3)),
}
INPUTS: Final = tuple(
    Input(f"comorbidities.{name}")
    for name in (*SINGLE_ITEMS, *(item for levels in ORGANS.values() for item, _ in levels))
)
CATS: Final = Categories(("LOW", "INTERMEDIATE", "HIGH"))
BANDS: Final = (Band(0.0, "LOW"), Band(2.0, "INTERMEDIATE"), Band(float("inf"), "HIGH"))


def _organ_interval(lower: tuple[str, int], higher: tuple[str, int]) -> tuple[pl.Expr, pl.Expr]:
    """Highest level certainly present .. highest level possibly present."""
    (low_item, low_w), (high_item, high_w) = lower, higher
    low_present = marker(Input(f"comorbidities.{low_item}"))
    high_present = marker(Input(f"comorbidities.{high_item}"))
    minimum = (
        surely(high_present).cast(pl.Float64) * high_w
        + (~surely(high_present) & surely(low_present)).cast(pl.Float64) * low_w
    )
    maximum = (
        maybe(high_present).cast(pl.Float64) * high_w
        + (~maybe(high_present) & maybe(low_present)).cast(pl.Float64) * low_w
    )
    return minimum, maximum


def _adds_exactly_one(lower: tuple[str, int], higher: tuple[str, int]) -> pl.Expr:
    """Whether a two-level organ can score exactly one point above its least possible score."""
    (low_item, low_w), (high_item, high_w) = lower, higher
    codes = []
    for low_state, high_state in product(_TRISTATE, repeat=2):
        scores = {high_w if h else low_w if lo else 0 for lo in low_state for h in high_state}
        codes.append(min(scores) + 1 in scores)
    index = _state(low_item) * len(_TRISTATE) + _state(high_item)
    return pl.lit(pl.Series(codes, dtype=pl.Boolean)).gather(index)


_TRISTATE: Final = ((True,), (False,), (True, False))  # present, absent, unknown


def _state(item: str) -> pl.Expr:
    """0 present, 1 absent, 2 unknown (as :data:`_TRISTATE`)."""
    return marker_encoder(Input(f"comorbidities.{item}")).expr.cast(pl.UInt32)


def _blocking(value: Callable[[str], pl.Expr]) -> tuple[pl.Expr, ...]:
    """Per input of :data:`INPUTS`, whether it can change the group on an open row."""
    low = value("points_min")
    unknown = {i.column: i.unknown() for i in INPUTS}
    one_point = [unknown[n] for n, w in SINGLE_ITEMS.items() if w == 1]
    one_point += [_adds_exactly_one(*levels) for levels in ORGANS.values()]
    another_adds_one = pl.sum_horizontal([c.cast(pl.UInt32) for c in one_point]) >= 2
    subtle = (low == 1.0) & ~another_adds_one  # K = 1: a one-point item needs another one
    blocking = {
        n: unknown[n] & ~(subtle if w == 1 else pl.lit(value=False))
        for n, w in SINGLE_ITEMS.items()
    }
    for (low_item, low_w), (high_item, _) in ORGANS.values():
        moot = surely(marker(Input(f"comorbidities.{high_item}")))
        low_blocks = unknown[low_item] & ~moot
        blocking[low_item] = low_blocks & ~subtle if low_w == 1 else low_blocks
        blocking[high_item] = unknown[high_item]
    return tuple(blocking[i.column] for i in INPUTS)


def hctci() -> ScoreParts:
    """HCT-CI as parts: category, points, points interval, missing inputs."""
    items = [
        item_interval(marker(Input(f"comorbidities.{name}")), float(weight))
        for name, weight in SINGLE_ITEMS.items()
    ]
    items += [_organ_interval(*levels) for levels in ORGANS.values()]
    low, high = add_intervals(items)
    return score_parts(
        code=CATS.interval(low, high, BANDS),
        categories=CATS,
        inputs=INPUTS,
        points=exact(low, high),
        points_min=low,
        points_max=high,
        blocking=_blocking,
    )


SPEC: Final = ScoreSpec(
    name="hctci",
    version="hctci_sorror2005",
    citation=(
        "Sorror ML, et al. Hematopoietic cell transplantation (HCT)-specific comorbidity index: "
        "a new tool for risk assessment before allogeneic HCT. Blood 2005;106(8):2912-2919."
    ),
    doi="10.1182/blood-2005-05-2004",
    inputs=tuple(i.qualified for i in INPUTS),
    categories=CATS.codes,
    disease="ANY",
    build=hctci,
)
