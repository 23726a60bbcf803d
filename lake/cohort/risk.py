"""Risk scores over a cohort: distributions with their non-results, and reclassification.

Glue between the attribute frame (:mod:`lake.cohort.frame`) and the risk engine
(:mod:`lake.risk.registry`): the registry computes one struct column per score version
(``category``, ``missing_inputs``); this module counts them. Rules live in the score modules.
A score reads cohort attributes, plus, where its inputs are per measurement, one row per patient
chosen by its rule in :data:`lake.risk.per_patient.PER_PATIENT` (:func:`cohort_use`).

A distribution counts every patient of the cohort once: in a category of the score, in
``NOT_CLASSIFIABLE`` (an input needed for the decision is unknown; the missing inputs are counted
per input, a patient once per input it lacks) or in ``NOT_APPLICABLE`` (another disease).
Reclassification cross-tabs use :func:`lake.risk.reclassification.reclassification`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import polars as pl

from lake.cohort.attribute_sources import TableSource, scan_or_empty
from lake.cohort.frame import ATTRIBUTES, attribute_frame
from lake.errors import AnalysisError, EmptyCohortError
from lake.risk.per_patient import PER_PATIENT, NoPatientInputs, PatientInputs
from lake.risk.reclassification import NotClassified, reclassification
from lake.risk.registry import REGISTRY
from lake.risk.spec import RiskScore
from lake.risk.tristate import NOT_APPLICABLE, NOT_CLASSIFIABLE

#: Score inputs whose cohort attribute has another name than the input column.
_INPUT_ATTRIBUTE: Final = {"treatment_lines.best_response": "best_response"}
NON_RESULTS: Final = (NOT_CLASSIFIABLE, NOT_APPLICABLE)


def score(name: str) -> RiskScore:
    """The registered score with this name or version id (``AnalysisError`` lists the valid)."""
    return REGISTRY.get(name)


@dataclass(frozen=True, slots=True)
class CohortUse:
    """Whether a score can be computed per patient over a cohort, and from which measurement.

    ``per_patient`` is the rule choosing each patient's measurement where the score's inputs are
    per measurement, why it cannot be used where ``usable`` is false, and ``None`` for a score of
    one-per-patient attributes.
    """

    usable: bool
    per_patient: str | None


def patient_inputs(risk_score: RiskScore) -> PatientInputs | None:
    """The score's per-patient rule, or ``None`` when it reads attributes only.

    Raises
    ------
    AnalysisError
        The score cannot be computed per patient from the lake; the message says why.
    """
    entry = PER_PATIENT.get(risk_score.version)
    if isinstance(entry, NoPatientInputs):
        raise AnalysisError(
            f"risk score {risk_score.name!r} cannot be used on a cohort: {entry.reason}"
        )
    return entry


def _frame_inputs(risk_score: RiskScore, inputs: PatientInputs | None) -> tuple[str, ...]:
    """The score's inputs (``table.column``) that its per-patient frame provides."""
    if inputs is None:
        return ()
    return tuple(i for i in risk_score.inputs if i.startswith(f"{inputs.frame}."))


def score_attributes(risk_score: RiskScore) -> tuple[str, ...]:
    """The cohort attributes a score reads (plus ``disease`` for NOT_APPLICABLE).

    Inputs that the score's per-patient frame provides (:func:`patient_inputs`) are not
    attributes and are left out.

    Raises
    ------
    AnalysisError
        The score cannot be computed per patient (see :func:`patient_inputs`), or an input is
        neither an attribute nor in its per-patient frame.
    """
    from_frame = _frame_inputs(risk_score, patient_inputs(risk_score))
    rest = [i for i in risk_score.inputs if i not in from_frame]
    columns = [_INPUT_ATTRIBUTE.get(i, i.split(".", 1)[-1]) for i in rest]
    unknown = [i for i, c in zip(rest, columns, strict=True) if c not in ATTRIBUTES]
    if unknown:
        raise AnalysisError(
            f"risk score {risk_score.name!r} needs inputs {unknown}, which are neither cohort "
            "attributes nor derived one per patient"
        )
    return tuple(dict.fromkeys(("disease", *columns)))


def cohort_use(risk_score: RiskScore) -> CohortUse:
    """Whether ``risk_score`` works on cohorts, with its per-patient rule or why not."""
    entry = PER_PATIENT.get(risk_score.version)
    try:
        score_attributes(risk_score)
    except AnalysisError as error:
        reason = entry.reason if isinstance(entry, NoPatientInputs) else str(error)
        return CohortUse(usable=False, per_patient=reason)
    return CohortUse(
        usable=True, per_patient=entry.rule if isinstance(entry, PatientInputs) else None
    )


def scored_frame(
    source: TableSource, columns: Iterable[str], versions: Iterable[str]
) -> pl.LazyFrame:
    """The attribute frame of ``columns`` plus one struct column per score version.

    The scores' own input attributes are joined too, and each per-measurement score's one row
    per patient (null inputs for a patient without one); all are dropped again unless asked for.
    """
    wanted = list(dict.fromkeys(columns))
    chosen = sorted(set(versions))
    scores = [score(v) for v in chosen]
    inputs = {a for s in scores for a in score_attributes(s)}
    frame = attribute_frame(source, sorted(inputs | set(wanted)))
    if not chosen:
        return frame
    for risk_score in scores:
        per_patient = patient_inputs(risk_score)
        if per_patient is not None:
            tables = {t: scan_or_empty(source, t) for t in per_patient.tables}
            own = [i.split(".", 1)[1] for i in _frame_inputs(risk_score, per_patient)]
            rows = per_patient.build(tables).select("patient_id", *own)
            frame = frame.join(rows, on="patient_id", how="left")
    return REGISTRY.compute(frame, chosen).select("patient_id", *wanted, *chosen)


def category(version: str) -> pl.Expr:
    """The category code (text) of a computed score column."""
    return pl.col(version).struct.field("category").cast(pl.String)


@dataclass(frozen=True, slots=True)
class MissingInput:
    """Patients of a NOT_CLASSIFIABLE category lacking one input (``table.column``)."""

    input: str
    n: int | None


@dataclass(frozen=True, slots=True)
class RiskCategory:
    """Patients in one category; ``missing_inputs`` only for NOT_CLASSIFIABLE."""

    category: str
    n: int | None
    missing_inputs: tuple[MissingInput, ...] = ()


@dataclass(frozen=True, slots=True)
class RiskDistribution:
    """A score's categories over a cohort, in the score's order, non-results last."""

    score: str
    version: str
    total: int | None
    categories: tuple[RiskCategory, ...]


def risk_distribution(frame: pl.DataFrame, *, risk_score: RiskScore) -> RiskDistribution:
    """Count ``frame`` (with the score's struct column) by category, and the missing inputs."""
    if frame.height == 0:
        raise EmptyCohortError("the cohort has no patients; widen the filter")
    version = risk_score.version
    counts = dict(frame.group_by(category(version).alias("c")).len().iter_rows())
    missing = (
        frame.filter(category(version) == NOT_CLASSIFIABLE)
        .select(pl.col(version).struct.field("missing_inputs").explode().drop_nulls().alias("i"))
        .group_by("i")
        .len()
        .sort("i")
    )
    categories = [
        RiskCategory(category=c, n=int(counts.get(c, 0)))
        for c in (*risk_score.categories, NOT_APPLICABLE)
    ]
    categories.insert(
        len(risk_score.categories),
        RiskCategory(
            category=NOT_CLASSIFIABLE,
            n=int(counts.get(NOT_CLASSIFIABLE, 0)),
            missing_inputs=tuple(MissingInput(i, n) for i, n in missing.iter_rows()),
        ),
    )
    return RiskDistribution(
        score=risk_score.name, version=version, total=frame.height, categories=tuple(categories)
    )


@dataclass(frozen=True, slots=True)
class CrossCell:
    """Patients in category ``before`` under one score and ``after`` under the other."""

    before: str
    after: str
    n: int | None


@dataclass(frozen=True, slots=True)
class CrossTab:
    """Reclassification from one score to another over the same patients."""

    before: str
    after: str
    total: int | None
    cells: tuple[CrossCell, ...]
    n_compared: int | None
    n_moved: int | None
    n_excluded: int | None
    not_classified: NotClassified


def cross_tab(
    frame: pl.DataFrame,
    *,
    before: RiskScore,
    after: RiskScore,
    not_classified: NotClassified = "exclude",
) -> CrossTab:
    """Every (before, after) category pair with its count, and the share that moved."""
    result = reclassification(frame, before.version, after.version, not_classified=not_classified)
    return CrossTab(
        before=before.version,
        after=after.version,
        total=frame.height,
        cells=tuple(
            CrossCell(before=b, after=a, n=n)
            for b, a, n in result.table.select("from", "to", "n").iter_rows()
        ),
        n_compared=result.n_compared,
        n_moved=result.n_moved,
        n_excluded=result.n_excluded,
        not_classified=not_classified,
    )
