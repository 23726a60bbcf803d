"""TKI discontinuation eligibility in CML, ELN 2020 (rule id ``tki_stop_eln2020``).

Citation: Hochhaus A, Baccarani M, Silver RT, et al. European LeukemiaNet 2020 recommendations
for treating chronic myeloid leukemia. *Leukemia* 2020;34(4):966-984. doi:10.1038/s41375-020-0776-2

Input frame ``tki_stop_inputs`` (one row per patient at the evaluation date; the caller derives it
from ``patients``, ``genetics``, ``treatment_lines`` and ``bcr_abl1``; nulls are unknown):

=================================  =======  ==================================================
Column                             Type     Meaning
=================================  =======  ==================================================
``cml_phase``                      str      ``patients.cml_phase``; must be ``chronic``
``bcr_abl1_transcript``            str      ``genetics.bcr_abl1_transcript``
``tki_line``                       int      line number of the current TKI (1 = first line)
``switched_for_intolerance_only``  bool     line 2 only: the switch was for intolerance only
``second_generation_tki``          bool     current TKI is dasatinib, nilotinib or bosutinib
``tki_years``                      float    total TKI duration, years
``mr4_years``                      float    duration of continuous MR4 or deeper, years
``mr45_years``                     float    duration of continuous MR4.5 or deeper, years
``prior_treatment_failure``        bool     any earlier ELN treatment failure
=================================  =======  ==================================================

Criteria (the "mandatory" tier -- motivation, adherence, qPCR access, monitoring agreement -- is
not data and stays with the clinician):

========  ===============================================================================
Tier      Criteria (all must hold)
========  ===============================================================================
MINIMAL   chronic phase; first-line TKI, or second line switched for intolerance only;
          typical transcript (e13a2, e14a2 or both); TKI > 5 years (> 4 years for a 2nd
          generation TKI); MR4 or deeper > 2 years; no prior treatment failure
OPTIMAL   MINIMAL and TKI > 5 years and (MR4 > 3 years or MR4.5 > 2 years)
========  ===============================================================================

Categories: ``OPTIMAL`` (stop recommended for consideration), ``MINIMAL`` (stop allowed),
``NOT_ELIGIBLE``. Missing inputs: Kleene logic over the criteria; ``NOT_CLASSIFIABLE`` when an
unknown input could change the tier. No points.
"""

from __future__ import annotations

from functools import reduce
from typing import Final

import polars as pl

from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Categories, Input, ScoreParts, cascade, score_parts

FRAME: Final = "tki_stop_inputs"
PHASE: Final = Input("patients.cml_phase")
TRANSCRIPT: Final = Input("genetics.bcr_abl1_transcript")
TKI_LINE: Final = Input(f"{FRAME}.tki_line")
INTOLERANCE_ONLY: Final = Input(f"{FRAME}.switched_for_intolerance_only")
SECOND_GENERATION: Final = Input(f"{FRAME}.second_generation_tki")
TKI_YEARS: Final = Input(f"{FRAME}.tki_years")
MR4_YEARS: Final = Input(f"{FRAME}.mr4_years")
MR45_YEARS: Final = Input(f"{FRAME}.mr45_years")
PRIOR_FAILURE: Final = Input(f"{FRAME}.prior_treatment_failure")
INPUTS: Final = (
    PHASE,
    TRANSCRIPT,
    TKI_LINE,
    INTOLERANCE_ONLY,
    SECOND_GENERATION,
    TKI_YEARS,
    MR4_YEARS,
    MR45_YEARS,
    PRIOR_FAILURE,
)
TYPICAL_TRANSCRIPTS: Final = ("e13a2", "e14a2", "e13a2_e14a2")
CATS: Final = Categories(("OPTIMAL", "MINIMAL", "NOT_ELIGIBLE"))


def _all(conditions: list[pl.Expr]) -> pl.Expr:
    return reduce(lambda a, b: a & b, conditions)


def tki_stop() -> ScoreParts:
    """TKI-stop tier as parts: category and missing inputs."""
    transcript = pl.when(TRANSCRIPT.col != "not_tested").then(
        TRANSCRIPT.col.is_in(TYPICAL_TRANSCRIPTS)
    )
    eligible_line = (TKI_LINE.col == 1) | ((TKI_LINE.col == 2) & INTOLERANCE_ONLY.col)
    duration = (TKI_YEARS.col > 5) | (SECOND_GENERATION.col & (TKI_YEARS.col > 4))
    minimal = _all(
        [
            PHASE.col == "chronic",
            eligible_line,
            transcript,
            duration,
            MR4_YEARS.col > 2,
            ~PRIOR_FAILURE.col,
        ]
    )
    optimal = minimal & (TKI_YEARS.col > 5) & ((MR4_YEARS.col > 3) | (MR45_YEARS.col > 2))
    possible = cascade([(optimal, "OPTIMAL"), (minimal, "MINIMAL")], default="NOT_ELIGIBLE")
    return score_parts(code=CATS.decide(possible), categories=CATS, inputs=INPUTS)


SPEC: Final = ScoreSpec(
    name="tki_stop",
    version="tki_stop_eln2020",
    citation=(
        "Hochhaus A, et al. European LeukemiaNet 2020 recommendations for treating chronic "
        "myeloid leukemia. Leukemia 2020;34(4):966-984."
    ),
    doi="10.1038/s41375-020-0776-2",
    inputs=tuple(i.qualified for i in INPUTS),
    categories=CATS.codes,
    disease="CML",
    build=tki_stop,
)
