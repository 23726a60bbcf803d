"""Risk scores over a cohort: distributions with their non-results, and reclassification.

Glue between the attribute frame (:mod:`lake.cohort_frame`) and the risk engine
(:mod:`lake.risk.registry`): the registry computes one struct column per score version
(``category``, ``missing_inputs``); this module counts them. Rules live in the score modules.

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

from lake.cohort_frame import ATTRIBUTES, TableSource, attribute_frame
from lake.errors import AnalysisError, EmptyCohortError
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


def score_attributes(risk_score: RiskScore) -> tuple[str, ...]:
    """The cohort attributes a score reads (plus ``disease`` for NOT_APPLICABLE).

    Raises
    ------
    AnalysisError
        The score needs per-measurement inputs (BCR::ABL1 samples, TKI history) that are not
        one-per-patient attributes; it cannot be computed over a cohort frame.
    """
    columns = [_INPUT_ATTRIBUTE.get(i, i.split(".", 1)[-1]) for i in risk_score.inputs]
    unknown = [i for i, c in zip(risk_score.inputs, columns, strict=True) if c not in ATTRIBUTES]
    if unknown:
        raise AnalysisError(
            f"risk score {risk_score.name!r} needs per-measurement inputs {unknown}, which a "
            "cohort does not hold one per patient; choose a baseline score"
        )
    return tuple(dict.fromkeys(("disease", *columns)))


def scored_frame(
    source: TableSource, columns: Iterable[str], versions: Iterable[str]
) -> pl.LazyFrame:
    """The attribute frame of ``columns`` plus one struct column per score version.

    The scores' own input attributes are joined too (and dropped again unless asked for).
    """
    wanted = list(dict.fromkeys(columns))
    chosen = sorted(set(versions))
    inputs = {a for v in chosen for a in score_attributes(score(v))}
    frame = attribute_frame(source, sorted(inputs | set(wanted)))
    if not chosen:
        return frame
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
