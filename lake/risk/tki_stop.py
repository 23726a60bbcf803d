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
``NOT_ELIGIBLE``. Missing inputs (C1): the criteria are a lookup table (:mod:`lake.risk.lookup`)
over the encoded inputs (TKI years cut at 4 and 5, MR4 years at 2 and 3, MR4.5 years at 2, the
line at 2 and 3), evaluated under every completion: ``NOT_CLASSIFIABLE`` when an unknown input
could change the tier, naming only such inputs (``switched_for_intolerance_only`` is irrelevant
for a first-line TKI, the TKI years for a patient with a prior failure). No points.
"""

from __future__ import annotations

from functools import cache
from typing import Final

import polars as pl

from lake.risk.lookup import Cut, StateTable, build_table, condition_encoder, cut_encoder
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Categories, Input, ScoreParts, table_parts

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
#: The encoded inputs, in the argument order of :func:`tki_stop_tier`.
STATES: Final = (
    condition_encoder("tki_stop_chronic", PHASE.col == "chronic", (PHASE,)),
    condition_encoder(
        "tki_stop_typical_transcript",
        pl.when(TRANSCRIPT.col != "not_tested").then(TRANSCRIPT.col.is_in(TYPICAL_TRANSCRIPTS)),
        (TRANSCRIPT,),
    ),
    cut_encoder(TKI_LINE, (Cut(2), Cut(3))),
    condition_encoder("tki_stop_intolerance_only", INTOLERANCE_ONLY.col, (INTOLERANCE_ONLY,)),
    condition_encoder("tki_stop_second_generation", SECOND_GENERATION.col, (SECOND_GENERATION,)),
    cut_encoder(TKI_YEARS, (Cut(4, ">"), Cut(5, ">"))),
    cut_encoder(MR4_YEARS, (Cut(2, ">"), Cut(3, ">"))),
    cut_encoder(MR45_YEARS, (Cut(2, ">"),)),
    condition_encoder("tki_stop_prior_failure", PRIOR_FAILURE.col, (PRIOR_FAILURE,)),
)


def tki_stop_tier(  # noqa: PLR0917 - build_table passes one value per encoder
    chronic: bool,
    typical_transcript: bool,
    line: float,
    intolerance_only: bool,
    second_generation: bool,
    tki_years: float,
    mr4_years: float,
    mr45_years: float,
    prior_failure: bool,
) -> str:
    """The tier of known criteria (line numbers are integers >= 1, so ``line < 2`` is first)."""
    eligible_line = line < 2 or (line < 3 and intolerance_only)
    duration = tki_years > 5 or (second_generation and tki_years > 4)
    minimal = (
        chronic
        and eligible_line
        and typical_transcript
        and duration
        and mr4_years > 2
        and not prior_failure
    )
    if minimal and tki_years > 5 and (mr4_years > 3 or mr45_years > 2):
        return "OPTIMAL"
    return "MINIMAL" if minimal else "NOT_ELIGIBLE"


@cache
def tki_stop_table() -> StateTable:
    """The TKI-stop lookup table (46,656 states)."""
    return build_table(STATES, tki_stop_tier, categories=CATS, inputs=INPUTS)


def tki_stop() -> ScoreParts:
    """TKI-stop tier as parts: category and missing inputs."""
    return table_parts(tki_stop_table(), categories=CATS, inputs=INPUTS)


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
