"""The public list of values a protected release may be broken down by.

The set of categories present in a cohort is itself data: a breakdown listing only the agents
its patients received, or a survival answer listing only the groups that have patients, tells
who is there (08-disclosure-control.md §8.3: "use public bins and public group lists"). A
protected release therefore lays its cells out over the values the harmonised model declares
(:attr:`lake.model.Column.codes`), the score's declared categories, ``true``/``false`` for
flags, and the lake's sites (public lake metadata), each followed by ``None`` for a missing
value; empty cells are released, noised like the rest. An attribute without a declared list
(free text such as ``source_study``) cannot be a protected breakdown.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from lake.access import GOVERNED_ROLES
from lake.cohort.frame import attribute_codes, attribute_column
from lake.errors import AccessDeniedError
from lake.risk.spec import RiskScore
from lake.risk.tristate import NOT_APPLICABLE, NOT_CLASSIFIABLE

Level = str | None


def attribute_levels(attribute: str, *, sites: Sequence[str]) -> tuple[Level, ...]:
    """Every value ``attribute`` may take, in declared order, then ``None`` (missing).

    Raises
    ------
    AccessDeniedError
        The attribute has no declared list of values (free text).
    """
    if attribute == "site":
        return (*sorted(sites), None)
    codes = attribute_codes(attribute)
    if codes is not None:
        return (*codes, None)
    raise AccessDeniedError(
        f"attribute {attribute!r} has no public list of values (it is free text), so a "
        "protected release cannot be broken down by it; a governed role "
        f"({', '.join(GOVERNED_ROLES)}) may ask"
    )


def score_levels(risk_score: RiskScore) -> tuple[Level, ...]:
    """A score's categories in its declared order, then its non-results and ``None``."""
    return (*risk_score.categories, NOT_CLASSIFIABLE, NOT_APPLICABLE, None)


def level_index(values: pl.Series, levels: Sequence[Level], *, what: str) -> pl.Series:
    """Each value's position in ``levels`` (``None`` maps to the ``None`` level).

    A value outside the declared list is a model violation the loaders should have
    quarantined; it is refused rather than silently counted elsewhere.
    """
    codes = {level: i for i, level in enumerate(levels) if level is not None}
    missing = levels.index(None) if None in levels else None
    text = values.cast(pl.String)
    index = text.replace_strict(codes, default=None, return_dtype=pl.Int64)
    stray = text.is_not_null() & index.is_null()
    if stray.any():
        raise AccessDeniedError(
            f"{what} holds a value outside its declared list; ask the data centre to check the "
            "loaded data (no protected release is made over undeclared values)"
        )
    if missing is None:
        if text.is_null().any():
            raise AccessDeniedError(f"{what} has missing values but no missing level")
        return index
    return index.fill_null(missing)


def numeric_range(attribute: str) -> tuple[float, float]:
    """The public range of a numeric attribute: default histogram edges for every role.

    Edges computed from the data (the cohort's minimum and maximum) would release individual
    values, so a histogram's edges are the model's physiological range unless the caller gives
    their own (public, being in the request).
    """
    column = attribute_column(attribute)
    if column is None or column.valid_range is None:
        raise AccessDeniedError(
            f"attribute {attribute!r} has no public range; give the histogram's lower and upper"
        )
    low, high = column.valid_range
    return float(low), float(high)
