"""The registry of risk scores: one immutable tuple of descriptors behind :class:`RiskScore`.

Every score has a stable ``name`` (what an analyst asks for, e.g. ``iss``) and a ``version`` id
(domain convention C5, e.g. ``iss_greipp2005``) that is stored with every result. A rule change
is a new version registered next to the old one, which stays computable: the HARMONY NPM1 default
table (``harmony_npm1_2026``) and a table derived on a cohort (``harmony_npm1_derived_*``) are both
registered under the name ``harmony_npm1``. Asking by name gives the first registered version.

:func:`compute` adds one struct column per score, named by its version id, with the fields
``category`` (Enum of the score's codes plus ``NOT_CLASSIFIABLE`` / ``NOT_APPLICABLE``), ``points``
/ ``points_min`` / ``points_max`` where the score has points, and ``missing_inputs``. Inputs are
the canonical columns of :mod:`lake.model` (bare column names in the cohort frame), so a category
depends only on canonical values, never on a site's source units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, TypeVar

import polars as pl

from lake.errors import AnalysisError
from lake.risk import (
    ckd_epi,
    cockcroft_gault,
    eln2022,
    elts,
    eutos,
    hasford,
    hctci,
    imwg_assessment,
    imwg_response,
    iss,
    ldh,
    mm_cytogenetics,
    molecular_response,
    r2iss,
    riss,
    sokal,
    tki_stop,
)
from lake.risk.harmony_npm1 import harmony_npm1_spec
from lake.risk.npm1_table import shipped_table
from lake.risk.spec import RiskScore
from lake.risk.tristate import NOT_APPLICABLE, Categories, add_staged

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)


@dataclass(frozen=True, slots=True)
class Registry:
    """An immutable collection of scores; :meth:`with_score` returns an extended copy."""

    scores: tuple[RiskScore, ...]

    def __post_init__(self) -> None:
        versions = [s.version for s in self.scores]
        duplicates = sorted({v for v in versions if versions.count(v) > 1})
        if duplicates:
            raise ValueError(f"score versions registered twice: {duplicates}")

    @property
    def names(self) -> tuple[str, ...]:
        """Every name and version id that :meth:`get` accepts."""
        seen = dict.fromkeys(n for s in self.scores for n in (s.name, s.version))
        return tuple(seen)

    def get(self, name: str) -> RiskScore:
        """The score with this version id, else the first registered version of this name."""
        for score in self.scores:
            if name == score.version:
                return score
        for score in self.scores:
            if name == score.name:
                return score
        valid = ", ".join(self.names)
        raise AnalysisError(f"unknown risk score {name!r}; valid names and versions: {valid}")

    def versions_of(self, name: str) -> tuple[RiskScore, ...]:
        """All registered versions of a score name, oldest registration first."""
        return tuple(s for s in self.scores if s.name == name)

    def with_score(self, score: RiskScore) -> Registry:
        """A new registry with one more score version (the receiver is unchanged)."""
        return Registry((*self.scores, score))

    def compute(
        self, frame: FrameT, names: Iterable[str], *, disease_column: str = "disease"
    ) -> FrameT:
        """Add one struct column per requested score (named by version) to a cohort frame.

        Where ``frame`` has a ``disease`` column, rows of another disease than the score's get
        ``NOT_APPLICABLE``. Unknown names raise :class:`~lake.errors.AnalysisError` listing the
        valid ones.
        """
        scores = [self.get(n) for n in names]
        frame = add_staged(frame, [score.parts().staged(score.version) for score in scores])
        if disease_column in frame.collect_schema().names():
            frame = frame.with_columns(
                _not_applicable_to_other_diseases(s, disease_column)
                for s in scores
                if s.disease != "ANY"
            )
        return frame


def _not_applicable_to_other_diseases(score: RiskScore, disease_column: str) -> pl.Expr:
    other = pl.col(disease_column).is_not_null() & (pl.col(disease_column) != score.disease)
    return (
        pl.col(score.version)
        .struct.with_fields(
            pl.when(other)
            .then(pl.lit(NOT_APPLICABLE))
            .otherwise(pl.field("category").cast(pl.String))
            .cast(Categories(score.categories).dtype)
            .alias("category"),
            pl.when(other)
            .then(pl.lit([], dtype=pl.List(pl.String)))
            .otherwise(pl.field("missing_inputs"))
            .alias("missing_inputs"),
        )
        .alias(score.version)
    )


#: Every score version shipped with hemalake, in registration order.
SCORES: Final[tuple[RiskScore, ...]] = (
    iss.SPEC,
    riss.SPEC,
    r2iss.SPEC,
    mm_cytogenetics.SPEC,
    ldh.SPEC,
    cockcroft_gault.SPEC,
    ckd_epi.SPEC,
    imwg_response.SPEC,
    imwg_assessment.SPEC,
    sokal.SPEC,
    hasford.SPEC,
    eutos.SPEC,
    elts.SPEC,
    molecular_response.SPEC,
    tki_stop.SPEC,
    hctci.SPEC,
    eln2022.SPEC,
    harmony_npm1_spec(shipped_table("harmony_npm1_2026")),
    harmony_npm1_spec(shipped_table("harmony_npm1_derived_synthetic_v1")),
    harmony_npm1_spec(shipped_table("harmony_npm1_derived_demo_v1")),
)
REGISTRY: Final = Registry(SCORES)


def compute(frame: FrameT, names: Iterable[str]) -> FrameT:
    """Compute scores by name or version id with the default :data:`REGISTRY`."""
    return REGISTRY.compute(frame, names)
