"""User-defined groups: named cohort filters compared in one analysis.

A :class:`UserGroup` names a :class:`lake.cohort.filters.CohortFilter`; a grouping of 2 to
:data:`MAX_GROUPS` of them (:class:`lake.cohort.survival.Grouping`) puts each patient of the
cohort in the **first** group whose filter matches, in the order given (:func:`first_match`).
Patients matching none are in no group: they are excluded from the analysis and counted with
the other exclusions (``nExcluded``).

Why first-match rather than "every group a patient matches": the groups then partition the
analysed patients, as the log-rank and Cox models assume, and each patient adds to exactly one
cell of a protected life table (sensitivity 1, as for any grouping). Overlapping groups would
need either a patient in several cells (a larger sensitivity) or an overlap count; first-match
releases neither, so a protected role learns nothing beyond the per-group cells any grouping
releases. The group names are the caller's own text, released back as public labels.

The order given is the declared order (:class:`lake.cohort.order.Levels`): the first group is
the Cox reference and scores 1 in a trend test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from lake.cohort.filters import CohortFilter
from lake.errors import AnalysisError

MAX_GROUPS: Final = 12
MAX_NAME_LENGTH: Final = 60


@dataclass(frozen=True, slots=True)
class UserGroup:
    """A named group: the patients ``filter`` matches (and no earlier group matched)."""

    name: str
    filter: CohortFilter

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > MAX_NAME_LENGTH:
            raise AnalysisError(
                f"group name {self.name[:MAX_NAME_LENGTH]!r}: give 1 to {MAX_NAME_LENGTH} "
                "characters, not only spaces"
            )


def check_groups(groups: Sequence[UserGroup]) -> None:
    """Refuse fewer than 2 or more than :data:`MAX_GROUPS` groups, or repeated names.

    Raises
    ------
    AnalysisError
        The message says which rule was broken.
    """
    if not 2 <= len(groups) <= MAX_GROUPS:
        raise AnalysisError(
            f"groups: give 2 to {MAX_GROUPS} groups to compare (got {len(groups)}); for one "
            "group, filter the cohort instead"
        )
    names = [g.name for g in groups]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise AnalysisError(f"groups: names must be distinct; repeated: {', '.join(repeated)}")


def first_match(masks: Sequence[pl.Series], names: Sequence[str]) -> pl.Series:
    """Per patient, the name of the first group whose mask holds (``masks[i]`` for
    ``names[i]``), as an Enum in the order of ``names``; null where none holds.

    Examples
    --------
    >>> a, b = pl.Series([True, False, True]), pl.Series([True, True, False])
    >>> first_match([a, b, ~a & ~b], ["A", "B", "C"]).to_list()
    ['A', 'B', 'A']
    """
    frame = pl.DataFrame({str(i): m for i, m in enumerate(masks)})
    chosen = pl.coalesce(
        [pl.when(pl.col(str(i))).then(pl.lit(name)) for i, name in enumerate(names)]
    )
    return frame.select(chosen.cast(pl.Enum(list(names))).alias("group")).to_series()
