"""R2-ISS, the second revision of the ISS (rule id ``r2iss_dagostino2022``).

Citation: D'Agostino M, Cairns DA, Lahuerta JJ, et al. Second Revision of the International
Staging System (R2-ISS) for overall survival in multiple myeloma: a European Myeloma Network (EMN)
report within the HARMONY project. *J Clin Oncol* 2022;40(29):3406-3418. doi:10.1200/JCO.21.02614

Inputs and additive points (units as in :mod:`lake.risk.iss` and :mod:`lake.risk.ldh`):

=======================================================  ======
Risk factor                                              Points
=======================================================  ======
ISS II / ISS III (``beta2m_mg_l``, ``albumin_g_dl``)     1 / 1.5
del(17p) (``genetics.del17p``)                           1
high LDH, > lab ULN (``ldh_u_l``, ``ldh_uln_u_l``)       1
t(4;14) (``genetics.t4_14``)                             1
1q gain or amplification (``genetics.gain1q``)           0.5
=======================================================  ======

t(14;16) is not part of R2-ISS. Groups: I = 0, II = 0.5-1, III = 1.5-2.5, IV = 3-5.

Missing inputs (engineering convention, ``01-myeloma.md`` §1.3): each unknown item contributes
``[0, w]`` and an unknown ISS ranges over the stages still possible; the row is classified when
``[points_min, points_max]`` lies in one group. ``points`` is the total when the interval has
collapsed, else null.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from lake.risk import iss, ldh, mm_cytogenetics
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
    score_parts,
)

GAIN1Q: Final = Input("genetics.gain1q")
INPUTS: Final = (
    *iss.INPUTS,
    mm_cytogenetics.DEL17P,
    mm_cytogenetics.T4_14,
    GAIN1Q,
    *ldh.INPUTS,
)
CATS: Final = Categories(("I", "II", "III", "IV"))
BANDS: Final = (Band(0.0, "I"), Band(1.0, "II"), Band(2.5, "III"), Band(5.0, "IV"))
ISS_POINTS: Final = {"I": 0.0, "II": 1.0, "III": 1.5}


def r2iss() -> ScoreParts:
    """R2-ISS as a struct ``{category, points, points_min, points_max, missing_inputs}``."""
    stage = {k: v.cast(pl.Float64) for k, v in iss.iss_possible().items()}
    # Arithmetic on the 0/1 "stage possible" flags (no when/then, so Polars shares them):
    # min = 0 if I possible, else 1 if II possible, else 1.5; max symmetrically from III down.
    iss_min = (1.0 - stage["I"]) * (ISS_POINTS["III"] - 0.5 * stage["II"])
    iss_max = (
        stage["III"] * ISS_POINTS["III"] + (1.0 - stage["III"]) * stage["II"] * ISS_POINTS["II"]
    )
    low, high = add_intervals(
        [
            (iss_min, iss_max),
            item_interval(marker(mm_cytogenetics.DEL17P), 1.0),
            item_interval(ldh.ldh_high(), 1.0),
            item_interval(marker(mm_cytogenetics.T4_14), 1.0),
            item_interval(marker(GAIN1Q), 0.5),
        ]
    )
    return score_parts(
        code=CATS.interval(low, high, BANDS),
        categories=CATS,
        inputs=INPUTS,
        points=exact(low, high),
        points_min=low,
        points_max=high,
    )


SPEC: Final = ScoreSpec(
    name="r2iss",
    version="r2iss_dagostino2022",
    citation=(
        "D'Agostino M, et al. Second Revision of the International Staging System "
        "(R2-ISS). J Clin Oncol 2022;40(29):3406-3418."
    ),
    doi="10.1200/JCO.21.02614",
    inputs=tuple(i.qualified for i in INPUTS),
    categories=CATS.codes,
    disease="MM",
    build=r2iss,
)
