"""The declared order of what a cohort analysis groups by, models or counts.

Orders are declared once, where the codes are: a risk score in its spec (``categories`` in scale
order, ``unranked`` codes last, ``lowest_risk``; :mod:`lake.risk.spec`), a coded attribute in the
harmonised model (``codes``, ``ordinal``, ``unranked``; :class:`lake.model.Column`). This module
reads those declarations for the cohort glue, so that no analysis orders labels as text:

- groups of survival and incidence answers come in declared order (an Enum column sorts by its
  categories), non-results and a missing group last;
- the trend test scores the ranked codes 1..K in that order (a nominal attribute has no trend);
- the Cox reference level is the lowest-risk category of a score (the first declared code of an
  attribute), the other levels following in declared order.

Free-text attributes (``site``, ``source_study``, ``study_arm``) declare no codes and keep text
order, as an R ``factor`` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from lake.cohort.frame import attribute_column
from lake.cohort.risk import NON_RESULTS, score


@dataclass(frozen=True, slots=True)
class Levels:
    """The codes of a grouping in declared order, those on its scale, and by increasing risk.

    ``codes`` is ``None`` for a free-text attribute (text order), ``ranked`` ``None`` for one that
    is not ordinal (no trend across its groups).
    """

    codes: tuple[str, ...] | None
    ranked: tuple[str, ...] | None
    by_risk: tuple[str, ...] | None

    def dtype(self) -> pl.DataType:
        """The Enum of the codes (declared order), or ``String`` for free text."""
        return pl.String() if self.codes is None else pl.Enum(self.codes)

    def present(self, values: Iterable[str]) -> tuple[str, ...]:
        """The distinct ``values`` in declared order (text order for free text)."""
        seen = set(values)
        if self.codes is None:
            return tuple(sorted(seen))
        return tuple(c for c in self.codes if c in seen)

    def reference(self, values: Iterable[str]) -> str:
        """The lowest-risk level among ``values`` (the first present for free text)."""
        present = self.present(values)
        preference = self.by_risk or present
        return next(c for c in preference if c in present)


def ordered(values: pl.Expr, levels: Levels) -> pl.Expr:
    """``values`` as the Enum of the declared codes; unchanged where none are declared.

    The loaders quarantine undeclared codes, so the strict cast fails only on a broken lake.
    """
    return values if levels.codes is None else values.cast(levels.dtype())


def attribute_levels(name: str) -> Levels:
    """The declared order of a categorical attribute (:class:`lake.model.Column`)."""
    column = attribute_column(name)
    if column is None or column.codes is None:
        return Levels(codes=None, ranked=None, by_risk=None)
    ranked = column.codes[: len(column.codes) - len(column.unranked)] if column.ordinal else None
    return Levels(codes=column.codes, ranked=ranked, by_risk=column.codes)


def score_levels(name: str) -> Levels:
    """The declared order of a risk score's categories, non-results last."""
    declared = score(name)
    return Levels(
        codes=(*declared.categories, *NON_RESULTS),
        ranked=declared.ranked,
        by_risk=declared.by_risk,
    )
