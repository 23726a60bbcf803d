"""Cohorts resolved on a lake version, and the per-version column cache they are read from.

:class:`CohortSnapshots` opens lake versions (``None``: newest), keeps the patient-aligned
columns (:class:`lake.cohort.columns.CohortColumns`) of the most recently used versions, resolves
cohort filters to patient masks (cached per ``(version, filter)``) and assembles the rows an
analysis reads. :class:`lake.query.gateway.LakeGateway` builds on it to release results.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import polars as pl

from lake.cohort.attribute_sources import TableSource
from lake.cohort.attributes import LIST_ATTRIBUTES
from lake.cohort.columns import CohortColumns
from lake.cohort.counting import CellIndex, CohortCounts, cell_index, count_cells
from lake.cohort.endpoints import EndpointKey
from lake.cohort.exposure import status_at_zero
from lake.cohort.filters import (
    CohortFilter,
    compile_filter,
    required_columns,
    required_occurrences,
    required_scores,
)
from lake.cohort.groups import first_match
from lake.cohort.segments import Segments
from lake.cohort.store_budget import DEFAULT_STORE_BYTES, StoreBudget
from lake.cohort.survival import (
    Grouping,
    SurvivalRequest,
    SurvivalSummary,
    counted_survival,
    needs_rows,
    survival_summary,
)
from lake.endpoints.exposures import Exposure
from lake.errors import AnalysisError, EmptyCohortError, HemalakeError
from lake.query.release import LRUCache

OpenSnapshot = Callable[[int | None], TableSource]


def require_single_valued(attributes: Sequence[str], *, use: str) -> None:
    """Refuse to group, stratify or model by a list attribute.

    A patient with several agents (or strategies, or event types) would fall in several groups
    at once, so the groups would not partition the cohort and the tests would not hold.

    Raises
    ------
    AnalysisError
        An attribute of ``attributes`` holds several values per patient.
    """
    listed = [a for a in attributes if a in LIST_ATTRIBUTES]
    if listed:
        raise AnalysisError(several_values_message(use, ", ".join(listed)))


def several_values_message(use: str, attribute: str) -> str:
    """Why ``attribute`` cannot serve as ``use`` (groupBy, strata, ...) and what to do instead."""
    return (
        f"{use}: {attribute} can hold several values per patient, so a patient would fall in "
        "several groups; filter the cohort by it instead (lists: [{attribute, any, all}]) "
        "and compare the cohorts"
    )


@dataclass(frozen=True, slots=True)
class Cohort:
    """A resolved cohort: the filter, the lake version it was evaluated on and its patients.

    ``mask`` selects the cohort's patients in the patient order of
    :class:`lake.cohort.columns.CohortColumns` of that version.
    """

    lake_version: int
    filter: CohortFilter
    mask: pl.Series = field(compare=False, repr=False)

    @property
    def size(self) -> int:
        """Number of patients (exact; disclosure is applied on release)."""
        return int(self.mask.sum())


class CohortSnapshots:
    """Lake versions, their column caches and the cohorts resolved on them.

    Parameters
    ----------
    open_snapshot
        Opens the lake at a version (``None``: newest), e.g. ``partial(open_lake, root)``.
    cohort_cache_size
        Number of resolved cohort masks kept in memory.
    cohort_cache_bytes
        Bytes those masks may hold together (``None``: no bound but their number).
    versions_kept
        Number of lake versions whose columns are kept in memory (a site segment two kept
        versions share is held once, :mod:`lake.cohort.segments`).
    store_bytes
        Bytes the columns of all kept versions may hold together (the analysis store's
        budget, :mod:`lake.cohort.store_budget`; least recently used columns are dropped).
    """

    def __init__(
        self,
        *,
        open_snapshot: OpenSnapshot,
        cohort_cache_size: int,
        versions_kept: int,
        cohort_cache_bytes: int | None = None,
        store_bytes: int = DEFAULT_STORE_BYTES,
    ) -> None:
        self._open_snapshot = open_snapshot
        self.store = StoreBudget(store_bytes)
        self._segments = Segments()
        self._columns: OrderedDict[int, CohortColumns] = OrderedDict()
        self._versions_kept = versions_kept
        self._snapshot_lock = threading.Lock()
        self._cohorts = LRUCache(cohort_cache_size, max_bytes=cohort_cache_bytes)

    def columns(self, lake_version: int | None) -> CohortColumns:
        """The column cache of the lake at ``lake_version`` (``None``: newest).

        The newest version is looked up on every call (a load may have committed); a version's
        columns are kept for the ``versions_kept`` most recently used versions.
        """
        with self._snapshot_lock:
            if lake_version is not None and lake_version in self._columns:
                self._columns.move_to_end(lake_version)
                return self._columns[lake_version]
        opened = self._open_snapshot(lake_version)
        with self._snapshot_lock:
            columns = self._columns.get(opened.version)
            if columns is None:
                columns = CohortColumns(opened, self.store, self._segments)
                self._columns[opened.version] = columns
            self._columns.move_to_end(opened.version)
            if len(self._columns) > self._versions_kept:
                while len(self._columns) > self._versions_kept:
                    self.store.forget(self._columns.popitem(last=False)[1])
                kept = (s.key for c in self._columns.values() for s in c.segments())
                for segment in self._segments.retain(kept):
                    self.store.forget(segment)
            return columns

    def snapshot(self, lake_version: int | None) -> TableSource:
        """The lake at ``lake_version`` (``None``: newest)."""
        return self.columns(lake_version).source

    def cohorts(
        self, keys: Sequence[tuple[int | None, CohortFilter]]
    ) -> list[Cohort | HemalakeError]:
        """Resolve many cohorts, in key order; per-key failures are returned in place.

        Filters read patient-aligned columns computed once per lake version, so a request
        asking for several cohorts (or a later request) never rescans the lake for them.
        """
        results: list[Cohort | HemalakeError] = []
        for requested, cohort_filter in keys:
            try:
                columns = self.columns(requested)
                mask = self._cohorts.get_or_compute(
                    (columns.version, cohort_filter), partial(_mask, columns, cohort_filter)
                )
            except HemalakeError as error:
                results.append(error)
                continue
            results.append(Cohort(lake_version=columns.version, filter=cohort_filter, mask=mask))
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
        """The cohort's rows of the columns asked for (see :mod:`lake.cohort.columns`).

        ``delayed_entry`` adds each patient's ``entry_days`` on the endpoint's time axis
        (:mod:`lake.cohort.entry`), ``exposure`` their ``exposure_days`` on it
        (:mod:`lake.cohort.exposure`). An empty cohort is refused (EMPTY_COHORT) unless
        ``allow_empty``: a protected release answers noisy zeros instead, since a refusal would
        tell the cohort is empty.

        A ``group`` column is in its declared order (:mod:`lake.cohort.order`): the score's
        category Enum, the attribute's codes as an Enum, or the user-defined groups' names in
        the order given (:mod:`lake.cohort.groups`: first match). A patient in no user-defined
        group has no endpoint time here, so every analysis excludes and counts them.
        """
        if grouping is not None and grouping.attribute is not None:
            require_single_valued([grouping.attribute], use="groupBy")
        if strata is not None:
            require_single_valued([strata], use="strata")
        if cohort.size == 0 and not allow_empty:
            raise EmptyCohortError("the cohort has no patients; widen the filter")
        columns = self.columns(cohort.lake_version)
        parts = [columns.attributes(attributes), columns.scores(scores)]
        if endpoint is not None:
            parts.append(columns.endpoint(endpoint))
            if delayed_entry:
                parts.append(columns.entry(endpoint))
            if exposure is not None:
                parts.append(columns.exposure(endpoint, exposure))
        if grouping is not None:
            group = self._group_column(columns, grouping, endpoint)
            if group is not None:
                parts.append(group.to_frame())
        if strata is not None:
            parts.append(columns.attributes([strata]).rename({strata: "stratum"}))
        frame = columns.frame(cohort.mask, *parts)
        partial_groups = grouping is not None and (grouping.cuts is not None or grouping.groups)
        if partial_groups and "time_days" in frame.columns:
            # a patient in no group (an unknown value of a cut attribute, or no user-defined
            # group matching) is excluded like one without the endpoint
            grouped = pl.col("group").is_not_null()
            frame = frame.with_columns(pl.when(grouped).then(pl.col("time_days")).name.keep())
        return frame

    def _group_column(
        self, columns: CohortColumns, grouping: Grouping, endpoint: EndpointKey | None
    ) -> pl.Series | None:
        """Each patient's ``group`` (patient-aligned, in declared order: see :meth:`_frame`);
        ``None`` without a grouping."""
        if grouping.exposure is not None:
            if endpoint is None:
                raise AnalysisError("grouping by exposure status needs an endpoint's time zero")
            exposure = columns.exposure(endpoint, grouping.exposure)
            return exposure.select(status_at_zero(pl.col("exposure_days")).alias("group"))["group"]
        if grouping.attribute is not None:
            return columns.attribute_group(grouping.attribute).alias("group")
        if grouping.score is not None:
            score = pl.col(grouping.score).struct.field("category").alias("group")
            return columns.scores([grouping.score]).select(score)["group"]
        if grouping.cuts is not None:
            cuts = grouping.cuts
            return columns.attributes([cuts.attribute]).select(cuts.group().alias("group"))["group"]
        if grouping.groups:
            return self._user_groups(columns, grouping)
        return None

    def _counted(
        self, cohort: Cohort, endpoint: EndpointKey, grouping: Grouping
    ) -> CohortCounts | None:
        """The cohort's (group, event, day) counts of ``endpoint`` by ``grouping``, counted
        over the version's kept cell index (:mod:`lake.cohort.counting`); ``None`` where the
        rows must be read instead (user-defined groups, whose masks are per request; an
        endpoint or grouping the index cannot number)."""
        require_single_valued([grouping.attribute] if grouping.attribute else [], use="groupBy")
        if grouping.groups:
            return None
        if cohort.size == 0:
            raise EmptyCohortError("the cohort has no patients; widen the filter")
        index = self.cell_index(self.columns(cohort.lake_version), endpoint, grouping)
        return None if index is None else count_cells(index, cohort.mask)

    def _counted_or_none(
        self, cohort: Cohort, endpoint: EndpointKey, grouping: Grouping
    ) -> CohortCounts | None:
        """:meth:`_counted`, or ``None`` for a cohort with nobody counted: a protected release
        reads the rows then, which answer an empty cohort with noisy zeros, not a refusal."""
        try:
            return self._counted(cohort, endpoint, grouping)
        except EmptyCohortError:
            return None

    def cell_index(
        self, columns: CohortColumns, endpoint: EndpointKey, grouping: Grouping
    ) -> CellIndex | None:
        """The version's cell index of ``endpoint`` by ``grouping`` (not user-defined groups),
        built on first use and kept in the analysis store (:mod:`lake.cohort.counting`)."""

        def build() -> CellIndex | None:
            ends = columns.endpoint(endpoint)
            group = self._group_column(columns, grouping, endpoint)
            partial_groups = grouping.cuts is not None
            return cell_index(ends["time_days"], ends["status"], group, partial=partial_groups)

        return columns.kept(
            f"cells|{endpoint!r}|{grouping!r}",
            build,
            lambda built: 0 if built is None else built.nbytes,
        )

    def _survival(self, cohort: Cohort, request: SurvivalRequest) -> SurvivalSummary:
        """Kaplan-Meier by group and the log-rank test over ``cohort``: from its counts where
        the request needs no rows (:func:`lake.cohort.survival.needs_rows`), else from its
        rows; both give the same answer."""
        if not needs_rows(request):
            counts = self._counted(cohort, request.endpoint, request.grouping)
            if counts is not None:
                return counted_survival(counts.counted, counts.labels, counts.excluded, request)
        frame = self._frame(
            cohort,
            endpoint=request.endpoint,
            grouping=request.grouping,
            strata=request.strata,
            delayed_entry=request.delayed_entry,
        )
        return survival_summary(frame, request)

    def _user_groups(self, columns: CohortColumns, grouping: Grouping) -> pl.Series:
        """Each patient's user-defined group (first match; null: none), patient-aligned."""
        masks = [
            self._cohorts.get_or_compute(
                (columns.version, group.filter), partial(_mask, columns, group.filter)
            )
            for group in grouping.groups
        ]
        return first_match(masks, grouping.names)


def _mask(columns: CohortColumns, cohort_filter: CohortFilter) -> pl.Series:
    parts = (
        columns.ids(),
        columns.attributes(sorted(required_columns(cohort_filter))),
        columns.scores(sorted(required_scores(cohort_filter))),
        columns.occurrences(sorted(required_occurrences(cohort_filter), key=lambda o: o.column)),
    )
    frame = pl.concat([p for p in parts if p.width], how="horizontal")
    # with_columns, not select: a filter without conditions is one literal, broadcast to all
    mask = frame.with_columns(compile_filter(cohort_filter).alias("in_cohort"))["in_cohort"]
    return mask.rechunk()  # one chunk: what is computed from it is one chunk too
