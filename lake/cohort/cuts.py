"""Groups of a numeric attribute cut at the caller's points (age < 65, 65–<75, >= 75).

The cut points come from the request, so the groups are public: a protected release lays its
cells over them whatever the data (08-disclosure-control.md §8.3, public bins). Intervals are
closed on the left, ``[a, b)``, as R ``cut(x, right = FALSE)``; the groups form an ordered scale,
lowest first (a trend test scores them 1..K, the Cox reference is the lowest). A patient whose
value is unknown is in no group: analyses count them as excluded.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import polars as pl

from lake.cohort.frame import NUMERIC_ATTRIBUTES
from lake.errors import AnalysisError


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class Cuts:
    """``attribute`` cut at the ascending points ``at`` into ``len(at) + 1`` ordered groups."""

    attribute: str
    at: tuple[float, ...]

    def __post_init__(self) -> None:
        if self.attribute not in NUMERIC_ATTRIBUTES:
            raise AnalysisError(
                f"cuts: {self.attribute!r} is not a numeric attribute; valid: "
                f"{', '.join(NUMERIC_ATTRIBUTES)}"
            )
        if not self.at:
            raise AnalysisError("cuts.at: give at least one cut point")
        if not all(math.isfinite(x) for x in self.at):
            raise AnalysisError("cuts.at: cut points must be finite numbers")
        if any(b <= a for a, b in itertools.pairwise(self.at)):
            raise AnalysisError(
                f"cuts.at: cut points must be strictly ascending (got {list(self.at)})"
            )

    def labels(self) -> tuple[str, ...]:
        """The group labels, lowest first: ``<a``, ``a–<b``, ..., ``>=z``.

        Examples
        --------
        >>> Cuts("age_at_diagnosis", (65.0, 75.0)).labels()
        ('<65', '65–<75', '>=75')
        """
        points = [_number(x) for x in self.at]
        inner = (f"{a}–<{b}" for a, b in itertools.pairwise(points))
        return (f"<{points[0]}", *inner, f">={points[-1]}")

    def group(self) -> pl.Expr:
        """Each patient's group as the Enum of :meth:`labels` (null for an unknown value)."""
        labels = self.labels()
        value = pl.col(self.attribute)
        group = pl.lit(None, dtype=pl.String)
        for point, label in zip(reversed(self.at), reversed(labels[:-1]), strict=True):
            group = pl.when(value < point).then(pl.lit(label)).otherwise(group)
        upper = pl.when(value >= self.at[-1]).then(pl.lit(labels[-1])).otherwise(group)
        return upper.cast(pl.Enum(labels)).alias(self.attribute)
