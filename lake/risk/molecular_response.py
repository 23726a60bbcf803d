"""CML molecular response level of one BCR::ABL1 sample (rule id ``mr_level_cross2015``).

Citation: Cross NCP, White HE, Colomer D, et al. Laboratory recommendations for scoring deep
molecular responses following treatment for chronic myeloid leukemia. *Leukemia*
2015;29(5):999-1003. doi:10.1038/leu.2015.29

Inputs (one row per sample, table ``bcr_abl1``): ``detectable`` (bool), ``is_pct`` (BCR::ABL1 on
the International Scale, %) and ``abl1_copies`` (ABL1 control copies = assay sensitivity).

=============  ===================  =========================================
Level          Detectable: IS %     Undetectable: ABL1 copies
=============  ===================  =========================================
MR5            <= 0.001             >= 100,000
MR4.5          <= 0.0032            >= 32,000
MR4            <= 0.01              >= 10,000
MMR (MR3)      <= 0.1               --
NONE           > 0.1                --
INDETERMINATE  --                   < 10,000 (no deep response demonstrated)
=============  ===================  =========================================

GUSB-based equivalents are UNCONFIRMED and not implemented. ``points`` is the log reduction
``log10(100 / IS%)`` for a detectable sample (null otherwise). Missing inputs (C1): the level of
a sample whose ``detectable`` is unknown is returned only when both readings give the same level;
otherwise ``NOT_CLASSIFIABLE`` names ``detectable`` and the value each reading still needs (IS %
unless known undetectable, ABL1 copies unless known detectable) when it is unknown.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Band, Categories, Input, ScoreParts, score_parts

DETECTABLE: Final = Input("bcr_abl1.detectable")
IS_PCT: Final = Input("bcr_abl1.is_pct")
ABL1_COPIES: Final = Input("bcr_abl1.abl1_copies")
INPUTS: Final = (DETECTABLE, IS_PCT, ABL1_COPIES)
CATS: Final = Categories(("MR5", "MR4.5", "MR4", "MMR", "NONE", "INDETERMINATE"))
DETECTABLE_BANDS: Final = (
    Band(0.001, "MR5"),
    Band(0.0032, "MR4.5"),
    Band(0.01, "MR4"),
    Band(0.1, "MMR"),
    Band(float("inf"), "NONE"),
)
UNDETECTABLE_BANDS: Final = (
    Band(10_000, "INDETERMINATE", inclusive=False),
    Band(32_000, "MR4", inclusive=False),
    Band(100_000, "MR4.5", inclusive=False),
    Band(float("inf"), "MR5"),
)


def molecular_response() -> ScoreParts:
    """Molecular response level as parts: category, points (log reduction), missing inputs."""
    detected = CATS.band(IS_PCT.col, DETECTABLE_BANDS)
    undetected = CATS.band(ABL1_COPIES.col, UNDETECTABLE_BANDS)
    code = (
        pl.when(DETECTABLE.col)
        .then(detected)
        .when(~DETECTABLE.col)
        .then(undetected)
        .when(detected == undetected)  # both readings agree (both NOT_CLASSIFIABLE included)
        .then(detected)
        .otherwise(pl.lit(CATS.nc, dtype=pl.UInt32))
    )
    log_reduction = pl.when(DETECTABLE.col).then((100.0 / IS_PCT.col).log10())
    blocking = (
        DETECTABLE.unknown(),
        IS_PCT.unknown() & DETECTABLE.col.fill_null(value=True),
        ABL1_COPIES.unknown() & ~DETECTABLE.col.fill_null(value=False),
    )
    return score_parts(
        code=code, categories=CATS, inputs=INPUTS, points=log_reduction, blocking=blocking
    )


SPEC: Final = ScoreSpec(
    name="mr_level",
    version="mr_level_cross2015",
    citation=(
        "Cross NCP, et al. Laboratory recommendations for scoring deep molecular responses "
        "following treatment for chronic myeloid leukemia. Leukemia 2015;29(5):999-1003."
    ),
    doi="10.1038/leu.2015.29",
    inputs=tuple(i.qualified for i in INPUTS),
    categories=CATS.codes,
    unranked=("INDETERMINATE",),
    disease="CML",
    build=molecular_response,
)
