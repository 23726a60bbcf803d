"""One site's slice of a lake version, and the count table a worker answers for it.

Every harmonised table is a Delta table partitioned by ``site`` and every patient belongs to one
site, so a cohort filter, a risk score or an endpoint evaluated on one site's rows gives that
site's patients exactly what the whole lake gives them. :class:`SitePartition` is a
:class:`~lake.cohort.attribute_sources.TableSource` reading one site (Delta partition pruning:
only that site's files are read); a worker runs the *local* engine on it
(:class:`lake.query.cohorts.CohortSnapshots`: the same filters compiled to Polars expressions,
the same risk and endpoint derivations) and returns the cohort's analysis frame as a count
table: one row per distinct combination of its columns (time, status, group, ...) with the
number of patients having it. No patient identifier leaves the worker.

Count tables of several partitions merge exactly by summing the counts of equal rows
(:func:`merge_counts`); :func:`expand_counts` turns the merged table back into the frame the
local engine would have built, up to row order. Every estimator of :mod:`lake.survival` depends
on its rows only as a multiset (Kaplan-Meier, log-rank, Aalen-Johansen and Gray count per
distinct time; Cox and Fine-Gray sum over risk sets), so the answers are those of the local
path: the counts per distinct time are sufficient statistics of the tabulated estimators, and
the expanded rows reproduce the Cox partial likelihood term by term (sums in another order:
equal to rounding, 1e-15 relative).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import polars as pl

from lake.cohort.endpoints import EndpointKey
from lake.cohort.filters import CohortFilter
from lake.cohort.segments import SitePartition
from lake.cohort.survival import Grouping
from lake.endpoints.exposures import Exposure
from lake.errors import EmptyCohortError
from lake.location import LakeLocation, locate
from lake.query.cohorts import Cohort, CohortSnapshots
from lake.storage import LakeRoot, open_lake

#: Name of the count column of a count table.
COUNT = "__patients"
#: Site partitions whose column caches a worker keeps (one lake version each).
PARTITIONS_KEPT = 64


@dataclass(frozen=True, slots=True)
class FrameSpec:
    """The columns of an analysis frame (the arguments of ``CohortSnapshots._frame``)."""

    attributes: tuple[str, ...] = ()
    scores: tuple[str, ...] = ()
    endpoint: EndpointKey | None = None
    grouping: Grouping | None = None
    strata: str | None = None
    delayed_entry: bool = False
    exposure: Exposure | None = None


_cache_lock = threading.Lock()
_partitions: dict[tuple[str, int, str], CohortSnapshots] = {}


def _open_partition(root: LakeLocation, site: str, lake_version: int | None) -> SitePartition:
    return SitePartition(open_lake(root, lake_version), site)


def partition_snapshots(root: LakeRoot, lake_version: int, site: str) -> CohortSnapshots:
    """The worker's column cache of one site of one lake version (kept for later queries)."""
    root = locate(root)
    key = (root.url, lake_version, site)
    with _cache_lock:
        found = _partitions.get(key)
        if found is None:
            found = _partitions[key] = CohortSnapshots(
                open_snapshot=partial(_open_partition, root, site),
                cohort_cache_size=64,
                versions_kept=1,
            )
            while len(_partitions) > PARTITIONS_KEPT:
                del _partitions[next(iter(_partitions))]
        return found


def _cohort(snapshots: CohortSnapshots, lake_version: int, cohort_filter: CohortFilter) -> Cohort:
    (cohort,) = snapshots.cohorts([(lake_version, cohort_filter)])
    if isinstance(cohort, Exception):
        raise cohort
    return cohort


def partition_size(
    root: LakeRoot, lake_version: int, site: str, cohort_filter: CohortFilter
) -> int:
    """Patients of ``site`` in the cohort (a worker task)."""
    return _cohort(partition_snapshots(root, lake_version, site), lake_version, cohort_filter).size


def partition_counts(
    root: LakeRoot, lake_version: int, site: str, cohort_filter: CohortFilter, spec: FrameSpec
) -> tuple[pl.DataFrame, EmptyCohortError | None]:
    """The count table of the cohort's analysis frame on ``site`` (a worker task).

    A site where no patient has the endpoint's origin (no allogeneic transplant, say) makes
    the local engine refuse the endpoint for that slice; on the whole lake those patients are
    simply excluded (no endpoint time). Their rows are then counted with null endpoint columns
    and the refusal is returned beside them, so the client refuses only when every site did.
    """
    snapshots = partition_snapshots(root, lake_version, site)
    cohort = _cohort(snapshots, lake_version, cohort_filter)
    try:
        frame = _frame(snapshots, cohort, spec)
        refused = None
    except EmptyCohortError as error:
        if spec.endpoint is None:
            raise
        refused = error
        exposure_group = spec.grouping is not None and spec.grouping.exposure is not None
        without = replace(
            spec,
            endpoint=None,
            delayed_entry=False,
            exposure=None,
            grouping=None if exposure_group else spec.grouping,
        )
        missing = ["time_days", "status"]
        missing += ["entry_days"] if spec.delayed_entry else []
        missing += ["exposure_days"] if spec.exposure is not None else []
        missing += ["group"] if exposure_group else []
        frame = _frame(snapshots, cohort, without).with_columns(
            pl.lit(None).alias(name) for name in missing
        )
    return frame.group_by(frame.columns, maintain_order=True).len(name=COUNT), refused


def _frame(snapshots: CohortSnapshots, cohort: Cohort, spec: FrameSpec) -> pl.DataFrame:
    return snapshots._frame(
        cohort,
        attributes=spec.attributes,
        scores=spec.scores,
        endpoint=spec.endpoint,
        grouping=spec.grouping,
        strata=spec.strata,
        delayed_entry=spec.delayed_entry,
        exposure=spec.exposure,
        allow_empty=True,
    )


def merge_counts(tables: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Count tables of disjoint partitions merged: equal rows' counts summed (exact)."""
    stacked = pl.concat(tables, how="diagonal_relaxed")
    keys = [c for c in stacked.columns if c != COUNT]
    return stacked.group_by(keys, maintain_order=True).agg(pl.col(COUNT).sum())


def expand_counts(counts: pl.DataFrame) -> pl.DataFrame:
    """The rows a count table counts, each repeated its count times."""
    repeats = counts.get_column(COUNT).to_numpy()
    rows = np.repeat(np.arange(counts.height), repeats)
    return counts.drop(COUNT)[rows]
