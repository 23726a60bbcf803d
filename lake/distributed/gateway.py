"""The query boundary on a Dask cluster: :class:`LakeGateway` with cohorts and frames from workers.

Roles, disclosure, privacy budgets, audit and provenance stay the gateway's; only the two
places where the local engine reads patient rows are replaced. A cohort is resolved by every
site partition's worker (its size is the sum of theirs), and an analysis frame arrives as the
merged count table of the partitions (:mod:`lake.distributed.partition`), expanded back into
the rows the local engine would have built. Every summary, test and model then runs the same
code on them as on the local path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import polars as pl

from lake.cohort.counting import CohortCounts
from lake.cohort.endpoints import EndpointKey
from lake.cohort.filters import CohortFilter
from lake.cohort.survival import Grouping
from lake.distributed.engine import DaskEngine
from lake.distributed.partition import FrameSpec, expand_counts
from lake.endpoints.exposures import Exposure
from lake.errors import EmptyCohortError, HemalakeError
from lake.query.cohorts import Cohort
from lake.query.gateway import LakeGateway


@dataclass(frozen=True, slots=True)
class PartitionedCohort(Cohort):
    """A cohort resolved on the workers: its patients per site partition, no local mask."""

    sizes: tuple[int, ...] = ()

    @property
    def size(self) -> int:
        """Number of patients (exact; disclosure is applied on release)."""
        return sum(self.sizes)


class DistributedGateway(LakeGateway):
    """A :class:`LakeGateway` whose cohorts and analysis frames are computed on ``engine``.

    Parameters
    ----------
    engine
        The Dask client and the lake its workers read.
    **gateway
        The :class:`LakeGateway` parameters (``open_snapshot`` on the same lake).
    """

    def __init__(self, *, engine: DaskEngine, **gateway: Any) -> None:
        super().__init__(**gateway)
        self.engine = engine

    def cohorts(
        self, keys: Sequence[tuple[int | None, CohortFilter]]
    ) -> list[Cohort | HemalakeError]:
        """Resolve many cohorts on the workers, in key order; per-key failures in place."""
        results: list[Cohort | HemalakeError] = []
        for requested, cohort_filter in keys:
            try:
                version = self.snapshot(requested).version
                sizes = self._cohorts.get_or_compute(
                    (version, cohort_filter), partial(self.engine.sizes, version, cohort_filter)
                )
            except HemalakeError as error:
                results.append(error)
                continue
            results.append(
                PartitionedCohort(
                    lake_version=version,
                    filter=cohort_filter,
                    mask=pl.Series("in_cohort", [], dtype=pl.Boolean),
                    sizes=sizes,
                )
            )
        return results

    def _frame(
        self,
        cohort: Cohort,
        *,
        attributes: Sequence[str] = (),
        scores: Sequence[str] = (),
        endpoint: EndpointKey | None = None,
        grouping: Grouping | None = None,
        strata: str | None = None,
        delayed_entry: bool = False,
        exposure: Exposure | None = None,
        allow_empty: bool = False,
    ) -> pl.DataFrame:
        """The cohort's rows of the columns asked for, from the partitions' count tables
        (same rows as the local engine's, see :meth:`CohortSnapshots._frame`)."""
        if cohort.size == 0 and not allow_empty:
            raise EmptyCohortError("the cohort has no patients; widen the filter")
        spec = FrameSpec(
            attributes=tuple(attributes),
            scores=tuple(scores),
            endpoint=endpoint,
            grouping=grouping,
            strata=strata,
            delayed_entry=delayed_entry,
            exposure=exposure,
        )
        return expand_counts(self.engine.counts(cohort.lake_version, cohort.filter, spec))

    def _counted(
        self, cohort: Cohort, endpoint: EndpointKey, grouping: Grouping
    ) -> CohortCounts | None:
        """No local cell index: the workers' count tables arrive through :meth:`_frame`."""
        return None

    def _sites(self, lake_version: int) -> list[str]:
        """The lake's sites, from the Delta logs (no patient row is read here)."""
        return self._site_lists.get_or_compute(
            lake_version, lambda: self.engine.sites(lake_version)
        )
