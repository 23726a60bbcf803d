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
"""

from __future__ import annotations

from typing import Final

import polars as pl

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
