"""IMWG 2016 best-response rank (rule id ``imwg_response_2016``).

Citation: Kumar S, Paiva B, Anderson KC, et al. International Myeloma Working Group consensus
criteria for response and minimal residual disease assessment in multiple myeloma. *Lancet Oncol*
2016;17(8):e328-e346. doi:10.1016/S1470-2045(16)30206-6

Input: ``treatment_lines.best_response``, a code of :data:`lake.model.RESPONSE_CODES` already
assessed by the site (this module ranks responses, it does not derive them from M-protein).

====  ======  ====  ======
Rank  Code    Rank  Code
====  ======  ====  ======
1     PD      5     VGPR
2     SD      6     CR
3     MR      7     sCR
4     PR      --    NE (outside the order)
====  ======  ====  ======

The order is :data:`lake.model.IMWG_RESPONSES` (worst first). ``points`` is the rank.

Missing inputs: ``NE`` or null -> ``NOT_CLASSIFIABLE``. Over several lines
(:func:`best_response_over_lines`) the best is the highest known rank, unless a line is unknown and
could still be better (i.e. the best known rank is below sCR) -> ``NOT_CLASSIFIABLE``.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from lake.model import IMWG_RESPONSES
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import (
    Categories,
    Input,
    ScoreParts,
    banded_parts,
)

BEST_RESPONSE: Final = Input("treatment_lines.best_response")
INPUTS: Final = (BEST_RESPONSE,)
CATS: Final = Categories(IMWG_RESPONSES)
RANKS: Final = {code: rank for rank, code in enumerate(IMWG_RESPONSES, start=1)}


def response_rank(response: pl.Expr) -> pl.Expr:
    """Rank 1 (PD) .. 7 (sCR) of a response code; ``NE``/null/unknown codes -> null.

    Nested ``when`` of one equality test per code (vectorised string comparisons, several times
    cheaper than a per-row hash lookup, and cheaper than summing the casted tests); a code outside
    the order matches no branch and is null.
    """
    rank = pl.lit(None, dtype=pl.Int8)
    for code, r in reversed(RANKS.items()):
        rank = pl.when(response == code).then(pl.lit(r, dtype=pl.Int8)).otherwise(rank)
    return rank


def imwg_response() -> ScoreParts:
    """Ranked response as a struct ``{category, points (rank), missing_inputs}``, one row a line."""
    return banded_parts(
        points=response_rank(BEST_RESPONSE.col),
        code_of_points=lambda rank: rank - 1,
        categories=CATS,
        inputs=INPUTS,
    )


def best_response_over_lines(lines: pl.LazyFrame) -> pl.LazyFrame:
    """Best response per patient over all their lines (``patient_id``, ``best_response``, ``rank``).

    A line with ``NE`` or a null response makes the best unknown unless a known line reached sCR.
    """
    top = len(IMWG_RESPONSES)
    rank = response_rank(BEST_RESPONSE.col)
    return (
        lines.group_by("patient_id")
        .agg(best_known=rank.max(), any_unknown=rank.is_null().any())
        .select(
            "patient_id",
            rank=pl.when(~pl.col("any_unknown") | (pl.col("best_known") == top)).then(
                pl.col("best_known")
            ),
        )
        .with_columns(best_response=CATS.label((pl.col("rank") - 1).cast(pl.UInt32)))
    )


#: The IMWG 2016 consensus, shared by the response rank and the response assessment.
IMWG_2016_CITATION: Final = (
    "Kumar S, et al. IMWG consensus criteria for response and minimal residual "
    "disease assessment in multiple myeloma. Lancet Oncol 2016;17(8):e328-e346."
)
IMWG_2016_DOI: Final = "10.1016/S1470-2045(16)30206-6"

SPEC: Final = ScoreSpec(
    name="imwg_response",
    version="imwg_response_2016",
    citation=IMWG_2016_CITATION,
    doi=IMWG_2016_DOI,
    inputs=tuple(i.qualified for i in INPUTS),
    categories=CATS.codes,
    lowest_risk="last",
    disease="MM",
    build=imwg_response,
)
