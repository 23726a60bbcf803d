"""The covariates of a regression over a cohort: one declaration shared by Cox and Fine-Gray.

A model's right-hand side is a tuple of covariates and interactions (:class:`ModelTerms`), built
into numeric design columns on the complete cases (:func:`build_design`), as R's
``model.matrix`` does for a formula:

- :class:`Levelled` (a categorical attribute or a risk score's categories), as **levels**: one
  indicator ``name=level`` per level present but the reference, in declared order
  (:mod:`lake.cohort.order`; R ``factor(x, levels)`` after ``relevel(x, ref = reference)``). The
  default reference is a score's lowest-risk category, an attribute's first declared code (text
  order for free text). A chosen ``reference`` must be one of the declared levels (any value for
  free text) and present on the complete cases.
- :class:`Levelled` with ``trend``: one linear term ``name`` scoring the ranked levels 1..K in
  their declared order (as the trend test); levels off the scale (risk-score non-results, IMWG
  ``NE``) are missing, so those patients are dropped. Only ordinal attributes and scores have one.
- :class:`Numeric`: x (``none``), log x (``log``, natural), log₂ x (``log2``) or x / ``per``
  (``per``; R ``I(x/10)``). The coefficient is then per unit of the transformed value, stated in
  words (``units``): ``per 10 years``, ``per doubling of U/L``. A log of a value ≤ 0 is refused.
- :class:`Interaction` ``(a, b)``: the products of every column of ``a``'s term with every
  column of ``b``'s, named ``column_a:column_b`` (R's ``a:b``), after the main effects.

Risk-score non-results (NOT_CLASSIFIABLE, NOT_APPLICABLE) count as missing; only complete cases
(every covariate, stratum and the endpoint known) are modelled and the others are counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import polars as pl

from lake.cohort.frame import attribute_column
from lake.cohort.order import Levels, attribute_levels, score_levels
from lake.cohort.risk import NON_RESULTS
from lake.errors import AnalysisError, EmptyCohortError

#: How a numeric covariate enters the model.
Transform: TypeAlias = Literal["none", "log", "log2", "per"]


@dataclass(frozen=True, slots=True)
class Levelled:
    """A categorical attribute (``source="attribute"``), a risk score's categories, or the
    request's user-defined groups (``source="groups"``, column ``group``, levels ``names``)."""

    source: Literal["attribute", "score", "groups"]
    #: the attribute's code, the score's version id, or ``group``
    name: str
    reference: str | None = None
    trend: bool = False
    #: the user-defined groups' names in the order given (``source="groups"`` only)
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.trend and self.reference is not None:
            raise AnalysisError(
                f"covariate {self.name}: a trend has no reference level; give reference or "
                "asTrend, not both"
            )


@dataclass(frozen=True, slots=True)
class Numeric:
    """A numeric attribute, optionally transformed (``per``: divided by ``per`` units)."""

    name: str
    transform: Transform = "none"
    per: float = 1.0

    def __post_init__(self) -> None:
        if self.transform != "per" and self.per != 1.0:
            raise AnalysisError(f"covariate {self.name}: per applies to transform PER_UNITS only")
        if not (0.0 < self.per < float("inf")):
            raise AnalysisError(f"covariate {self.name}: per must be a positive number")

    @property
    def term(self) -> str:
        """The column's name: R's ``log(x)`` / ``log2(x)``, else the attribute's."""
        return f"{self.transform}({self.name})" if self.transform.startswith("log") else self.name


Covariate: TypeAlias = Levelled | Numeric


@dataclass(frozen=True, slots=True)
class Interaction:
    """Product terms between two covariates of the model, named by their ``name``."""

    a: str
    b: str


@dataclass(frozen=True, slots=True)
class ModelTerms:
    """The right-hand side of a model: covariates, then their pairwise interactions."""

    covariates: tuple[Covariate, ...]
    interactions: tuple[Interaction, ...] = ()

    def __post_init__(self) -> None:
        if not self.covariates:
            raise AnalysisError("give at least one covariate")
        names = [c.name for c in self.covariates]
        for name in names:
            if names.count(name) > 1:
                raise AnalysisError(f"covariate {name} is given twice; give each once")
        pairs: set[frozenset[str]] = set()
        for i in self.interactions:
            for side in (i.a, i.b):
                if side not in names:
                    raise AnalysisError(
                        f"interaction {i.a}:{i.b}: {side} is not a covariate of the model "
                        f"(covariates: {', '.join(names)})"
                    )
            pair = frozenset((i.a, i.b))
            if len(pair) == 1:
                raise AnalysisError(f"interaction {i.a}:{i.b}: name two different covariates")
            if pair in pairs:
                raise AnalysisError(f"interaction {i.a}:{i.b} is given twice; give each once")
            pairs.add(pair)

    def numeric(self) -> list[str]:
        """The numeric attributes the model reads."""
        return [c.name for c in self.covariates if isinstance(c, Numeric)]

    def of_source(self, source: Literal["attribute", "score"]) -> list[str]:
        """The categorical attributes, or the scores, the model reads."""
        return [c.name for c in self.covariates if isinstance(c, Levelled) and c.source == source]


@dataclass(frozen=True, slots=True)
class Term:
    """One term of the model and the design columns it spans (R ``assign``)."""

    name: str
    columns: tuple[str, ...]
    units: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class Design:
    """The complete cases and their design columns.

    ``data`` holds the ``keep`` columns, then one Float64 column per coefficient in
    ``columns`` order.
    """

    data: pl.DataFrame
    terms: tuple[Term, ...]
    n_dropped: int

    @property
    def columns(self) -> tuple[str, ...]:
        """The design columns (the coefficients' names), term by term."""
        return tuple(c for t in self.terms for c in t.columns)

    @property
    def units(self) -> tuple[str | None, ...]:
        """What one unit of each design column is, in ``columns`` order."""
        return tuple(u for t in self.terms for u in t.units)

    def term_indices(self) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """Each term's name with the positions of its columns (for per-term tests)."""
        out, start = [], 0
        for t in self.terms:
            out.append((t.name, tuple(range(start, start + len(t.columns)))))
            start += len(t.columns)
        return tuple(out)


#: a term and the expressions of its design columns
Built: TypeAlias = tuple[Term, list[pl.Expr]]


def stages(column: str) -> pl.Expr:
    """A score's categories (its Enum), non-results missing."""
    stage = pl.col(column).struct.field("category")
    return pl.when(stage.is_in(NON_RESULTS)).then(None).otherwise(stage).alias(column)


def _levels(c: Levelled) -> Levels:
    if c.source == "groups":  # nominal, in the order given: the first is the reference
        return Levels(codes=c.names, ranked=None, by_risk=None)
    return attribute_levels(c.name) if c.source == "attribute" else score_levels(c.name)


def _value(c: Covariate) -> pl.Expr:
    """The covariate's raw value per patient (null: missing)."""
    if isinstance(c, Numeric):
        return pl.col(c.name).cast(pl.Float64)
    value = pl.col(c.name).cast(pl.String) if c.source != "score" else stages(c.name)
    if not c.trend:
        return value.cast(pl.String)
    ranked = _levels(c).ranked
    if ranked is None:
        raise AnalysisError(
            f"covariate {c.name} is not ordinal, so it has no trend; give it as categories"
        )
    scores = {level: float(i) for i, level in enumerate(ranked, start=1)}
    return value.cast(pl.String).replace_strict(scores, default=None, return_dtype=pl.Float64)


def build_design(
    rows: pl.DataFrame, terms: ModelTerms, *, keep: Sequence[str], min_cell: int = 1
) -> Design:
    """The complete cases of ``rows`` (``keep`` columns and covariates known) and their design.

    An error names a count of patients only from ``min_cell`` up (the caller's minimum cell
    size: the message is released like any count); below, it says "fewer than ``min_cell``".

    Raises
    ------
    EmptyCohortError
        No patient has every covariate.
    AnalysisError
        A reference that is not a level (or has no patients), a single level, a trend of a
        nominal attribute, a log of a value <= 0.
    """
    values = rows.select(*keep, *(_value(c) for c in terms.covariates))
    data = values.drop_nulls()
    if data.height == 0:
        raise EmptyCohortError("no patient has every covariate of the model; drop one")
    built = {c.name: _term(data, c, min_cell) for c in terms.covariates}
    parts = [*built.values(), *(_interaction(built[i.a], built[i.b]) for i in terms.interactions)]
    return Design(
        data=data.select(*keep, *(e for _, exprs in parts for e in exprs)),
        terms=tuple(t for t, _ in parts),
        n_dropped=rows.height - data.height,
    )


def _term(data: pl.DataFrame, c: Covariate, min_cell: int) -> Built:
    if isinstance(c, Numeric):
        return _numeric(data, c, min_cell)
    if c.trend:
        ranked = _levels(c).ranked or ()
        if data.get_column(c.name).n_unique() < 2:
            raise AnalysisError(f"covariate {c.name} has a single level on the complete cases")
        unit = f"per step of {' < '.join(ranked)}"
        return Term(c.name, (c.name,), (unit,)), [pl.col(c.name)]
    levels = _levels(c)
    present = levels.present(data.get_column(c.name).unique().to_list())
    if len(present) < 2:
        raise AnalysisError(
            f"covariate {c.name} has a single level {list(present)} on the complete cases"
        )
    reference = _reference(c, levels, present)
    kept = [lv for lv in present if lv != reference]
    names = tuple(f"{c.name}={lv}" for lv in kept)
    exprs = [
        (pl.col(c.name) == lv).cast(pl.Float64).alias(n) for lv, n in zip(kept, names, strict=True)
    ]
    return Term(c.name, names, tuple(f"vs {reference}" for _ in names)), exprs


def _reference(c: Levelled, levels: Levels, present: tuple[str, ...]) -> str:
    """The chosen reference level (checked) or the default: lowest risk, first declared."""
    if c.reference is None:
        return levels.reference(present)
    declared = levels.codes
    if declared is not None:
        declared = tuple(v for v in declared if v not in NON_RESULTS)
        if c.reference not in declared:
            raise AnalysisError(
                f"covariate {c.name}: reference {c.reference!r} is not one of its levels "
                f"({', '.join(declared)})"
            )
    if c.reference not in present:
        raise AnalysisError(
            f"covariate {c.name}: reference {c.reference!r} has no patient among the complete "
            f"cases (levels present: {', '.join(present)}); choose another reference"
        )
    return c.reference


def _numeric(data: pl.DataFrame, c: Numeric, min_cell: int) -> Built:
    column = attribute_column(c.name)
    unit = column.unit if column is not None and column.unit is not None else "units"
    x = pl.col(c.name)
    if c.transform in ("log", "log2"):
        bad = int((data.get_column(c.name) <= 0).sum())
        if bad:
            count = str(bad) if bad >= min_cell else f"fewer than {min_cell}"
            raise AnalysisError(
                f"covariate {c.name}: the {c.transform} transform needs values > 0, but {count} "
                f"complete case(s) have {c.name} <= 0; use transform NONE or PER_UNITS, or "
                "filter them out"
            )
        expr = x.log() if c.transform == "log" else x.log(2)
        text = (
            f"per e-fold of {unit} (natural log)"
            if c.transform == "log"
            else (f"per doubling of {unit}")
        )
    else:
        expr = x if c.transform == "none" else x / c.per
        text = _per(c.per, unit)
    return Term(c.term, (c.term,), (text,)), [expr.alias(c.term)]


def _per(amount: float, unit: str) -> str:
    """``per 10 years``; one unit reads ``per year`` (a plain plural unit loses its s)."""
    if amount == 1.0:
        singular = unit[:-1] if unit.isalpha() and unit.endswith("s") else unit
        return f"per {singular}"
    return f"per {amount:g} {unit}"


def _interaction(a: Built, b: Built) -> Built:
    (ta, ea), (tb, eb) = a, b
    names, exprs = [], []
    for ca, xa in zip(ta.columns, ea, strict=True):
        for cb, xb in zip(tb.columns, eb, strict=True):
            names.append(f"{ca}:{cb}")
            exprs.append((xa * xb).alias(names[-1]))
    return Term(f"{ta.name}:{tb.name}", tuple(names), tuple(None for _ in names)), exprs
