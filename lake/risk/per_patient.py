"""One row per patient for the scores whose inputs are per measurement (cohort use of a score).

A cohort is one row per patient, but three registered scores classify something a patient has
many of: a BCR::ABL1 sample (``mr_level``), the state of a TKI history at a date (``tki_stop``),
a myeloma response assessment (``imwg_assessment``). :data:`PER_PATIENT` says, per score version,
which measurement a patient contributes on a cohort (:class:`PatientInputs`, a pure function of
the lake tables) or why none can be chosen (:class:`NoPatientInputs`); the cohort layer
(:mod:`lake.cohort.risk`) joins the frame and ``lake { scores }`` lists the rule. Scores that are
not listed read one-per-patient attributes only.

The CML scores share one *evaluation date* per patient (:func:`lake.risk.tki_stop_inputs.
evaluation_dates`): the first ``tki_stop`` event, else the ``last_follow_up``. ELN 2020 judges
stopping on the molecular history up to the stop (Hochhaus A, et al. *Leukemia*
2020;34(4):966-984, doi:10.1038/s41375-020-0776-2; ``03-cml.md`` §3.7), so for a patient who
stopped both scores describe the patient *at the stop*, the origin of the TFR endpoints (MRFS,
MRecTFS): grouping a survival from ``TKI_STOP`` by them uses nothing observed after its origin.
From any other origin they are measured later than the origin (a patient's current response),
which makes them descriptive, not baseline covariates.

- ``mr_level_cross2015``: the level (Cross 2015, :mod:`lake.risk.molecular_response`) of the
  patient's last BCR::ABL1 sample on or before the evaluation date (:func:`sample_at_evaluation`):
  the depth at stop, else the latest response. No such sample: every input unknown, so
  ``NOT_CLASSIFIABLE`` naming all three.
- ``tki_stop_eln2020``: the inputs at the evaluation date (:func:`lake.risk.tki_stop_inputs.
  tki_stop_inputs`). ``switched_for_intolerance_only`` and ``prior_treatment_failure`` are not
  in the harmonised model, so on the lake no patient can be certainly ``MINIMAL`` or
  ``OPTIMAL``: a patient is ``NOT_ELIGIBLE`` when a known criterion fails, otherwise
  ``NOT_CLASSIFIABLE`` naming the unknown inputs.
- ``imwg_2016`` (``imwg_assessment``): not per patient. The lake stores each line's site-assessed
  best response (``treatment_lines.best_response``, ranked per patient by ``imwg_response``),
  not the serial M-protein, FLC and marrow values this score classifies an assessment from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import polars as pl

from lake.risk import imwg_assessment, molecular_response, tki_stop
from lake.risk.tki_stop_inputs import evaluation_dates, tki_stop_inputs

Tables = Mapping[str, pl.LazyFrame]


@dataclass(frozen=True, slots=True)
class PatientInputs:
    """How a score's per-measurement inputs become one row per patient.

    ``frame`` is the table part of the score's inputs (``bcr_abl1`` in ``bcr_abl1.is_pct``);
    ``build`` maps the lake ``tables`` (each as a LazyFrame) to ``patient_id`` plus those input
    columns, at most one row per patient; ``rule`` says in words which measurement is used.
    """

    frame: str
    tables: tuple[str, ...]
    build: Callable[[Tables], pl.LazyFrame]
    rule: str


@dataclass(frozen=True, slots=True)
class NoPatientInputs:
    """A score that cannot be computed per patient from the lake, and why."""

    reason: str


def sample_at_evaluation(bcr_abl1: pl.LazyFrame, events: pl.LazyFrame) -> pl.LazyFrame:
    """Each patient's last BCR::ABL1 sample on or before their evaluation date.

    Columns: ``patient_id``, ``evaluation_date``, ``sample_date``, ``detectable``, ``is_pct``,
    ``abl1_copies``; one row per patient with such a sample (``sample_date`` is unique per
    patient, the table's key).
    """
    samples = bcr_abl1.join(evaluation_dates(events), on="patient_id").filter(
        pl.col("sample_date") <= pl.col("evaluation_date")
    )
    return samples.filter(
        pl.col("sample_date") == pl.col("sample_date").max().over("patient_id")
    ).select("patient_id", "evaluation_date", "sample_date", "detectable", "is_pct", "abl1_copies")


#: The per-patient rule of each score version whose inputs are per measurement.
PER_PATIENT: Final[Mapping[str, PatientInputs | NoPatientInputs]] = MappingProxyType(
    {
        molecular_response.SPEC.version: PatientInputs(
            frame="bcr_abl1",
            tables=("bcr_abl1", "events"),
            build=lambda t: sample_at_evaluation(t["bcr_abl1"], t["events"]),
            rule=(
                "the level of the patient's last BCR::ABL1 sample on or before the first TKI stop "
                "(the depth at stop), else on or before the last follow-up (the latest response); "
                "no such sample: NOT_CLASSIFIABLE"
            ),
        ),
        tki_stop.SPEC.version: PatientInputs(
            frame=tki_stop.FRAME,
            tables=("patients", "genetics", "treatment_lines", "bcr_abl1", "events"),
            build=lambda t: tki_stop_inputs(
                patients=t["patients"],
                genetics=t["genetics"],
                treatment_lines=t["treatment_lines"],
                bcr_abl1=t["bcr_abl1"],
                events=t["events"],
            ),
            rule=(
                "eligibility at the first TKI stop, else at the last follow-up: TKI lines started "
                "by then, deep-response durations from the BCR::ABL1 samples up to then; a switch "
                "for intolerance only and a prior treatment failure are not in the lake, so a "
                "patient is NOT_ELIGIBLE when a known criterion fails, else NOT_CLASSIFIABLE"
            ),
        ),
        imwg_assessment.SPEC.version: NoPatientInputs(
            "it classifies one response assessment from serial M-protein, FLC and marrow values, "
            "which the lake does not store (it stores each line's assessed best response, which "
            "imwg_response ranks per patient)"
        ),
    }
)
