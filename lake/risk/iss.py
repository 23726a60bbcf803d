"""ISS, the International Staging System for multiple myeloma (rule id ``iss_greipp2005``).

Citation: Greipp PR, San Miguel J, Durie BGM, et al. International staging system for multiple
myeloma. *J Clin Oncol* 2005;23(15):3412-3420. doi:10.1200/JCO.2005.04.242

Inputs (canonical units, ``01-myeloma.md`` §1.0): ``baseline.beta2m_mg_l`` (serum
β2-microglobulin, mg/L) and ``baseline.albumin_g_dl`` (serum albumin, g/dL).

Rules, evaluated in order:

=====  ==========================================================
Stage  Condition
=====  ==========================================================
III    β2M >= 5.5 mg/L (albumin irrelevant)
I      β2M < 3.5 mg/L and albumin >= 3.5 g/dL
II     everything else
=====  ==========================================================

Boundaries: β2M = 3.5 is not stage I, β2M = 5.5 is stage III, albumin = 3.5 counts as >= 3.5.

Missing inputs: β2M unknown -> ``NOT_CLASSIFIABLE``. Albumin unknown: β2M >= 5.5 -> III,
3.5 <= β2M < 5.5 -> II, β2M < 3.5 -> ``NOT_CLASSIFIABLE`` (I or II). No points.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from lake.risk.spec import ScoreSpec
from lake.risk.tristate import (
    Categories,
    Input,
    ScoreParts,
    cascade,
    score_parts,
)

BETA2M: Final = Input("baseline.beta2m_mg_l")
ALBUMIN: Final = Input("baseline.albumin_g_dl")
INPUTS: Final = (BETA2M, ALBUMIN)
CATS: Final = Categories(("I", "II", "III"))


def iss_possible() -> dict[str, pl.Expr]:
    """Per row, which ISS stages the known inputs still allow (used by R-ISS and R2-ISS)."""
    stage_iii = BETA2M.col >= 5.5
    stage_i = (BETA2M.col < 3.5) & (ALBUMIN.col >= 3.5)
    return cascade([(stage_iii, "III"), (stage_i, "I")], default="II")


def iss() -> ScoreParts:
    """ISS stage as a struct ``{category, missing_inputs}``.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"beta2m_mg_l": [2.8, 6.1, 3.0], "albumin_g_dl": [4.0, None, None]})
    >>> df.select(iss().to_struct().struct.field("category")).to_series().to_list()
    ['I', 'III', 'NOT_CLASSIFIABLE']
    """
    return score_parts(code=CATS.decide(iss_possible()), categories=CATS, inputs=INPUTS)


SPEC: Final = ScoreSpec(
    name="iss",
    version="iss_greipp2005",
    citation=(
        "Greipp PR, et al. International staging system for multiple myeloma. J Clin "
        "Oncol 2005;23(15):3412-3420."
    ),
    doi="10.1200/JCO.2005.04.242",
    inputs=tuple(i.qualified for i in INPUTS),
    categories=CATS.codes,
    disease="MM",
    build=iss,
)
