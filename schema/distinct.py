"""Arguments that name attributes or scores must name each once.

A repeated column (``completeness(numeric: [WEIGHT_KG, WEIGHT_KG])``, ``reclassification(before:
"iss", after: "iss_greipp2005")``, a Cox covariate that is also the strata) reached the lake as a
duplicate Polars column and came back masked as an internal error.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from schema.errors import BadRequestError


def require_distinct(argument: str, values: Iterable[Hashable]) -> None:
    """Raise :class:`BadRequestError` naming the first value ``argument`` gives twice."""
    seen: set[Hashable] = set()
    for value in values:
        if value in seen:
            raise BadRequestError(f"{argument}: {value} is given twice; give each once")
        seen.add(value)
