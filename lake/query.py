"""The one boundary through which every result leaves ``lake/``.

:class:`LakeGateway` knows who is asking (:class:`lake.access.Caller`), applies the access rules
(:func:`lake.access.check_access`) and disclosure control (:mod:`lake.disclosure`), records an
audit entry and attaches :class:`Provenance`. Computations stay pure in their own modules; the
gateway only picks the snapshot, caches and releases.

Caching is keyed by ``(lake version, normalised request)``: a lake version never changes, so a
cached value is never stale. Values are cached *before* disclosure, which is applied on every
release. Every method blocks (Polars collects): call it from a worker thread in async code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from functools import partial
from typing import Generic, Literal, TypeVar

import polars as pl

from lake import cohort_summary as summaries
from lake.access import Action, AuditRecord, AuditSink, Caller, check_access
from lake.cohort import CohortFilter, compile_filter, required_columns
from lake.cohort_frame import TableSource, attribute_frame
from lake.cohort_summary import Breakdown, FieldCompleteness, Histogram
from lake.cohort_survival import SurvivalRequest, SurvivalSummary, survival_summary
from lake.disclosure import (
    DisclosurePolicy,
    disclose_breakdown,
    disclose_completeness,
    disclose_histogram,
    disclose_survival,
)
from lake.errors import AccessDeniedError, EmptyCohortError, HemalakeError
from lake.model import MODEL_VERSION

T = TypeVar("T")
OpenSnapshot = Callable[[int | None], TableSource]


def canonical_json(value: object) -> str:
    """A stable JSON text of ``value`` (dataclasses tagged with their type, keys sorted).

    Examples
    --------
    >>> canonical_json({"b": (1, 2), "a": dt.date(2024, 1, 2)})
    '{"a":"2024-01-02","b":[1,2]}'
    """

    def plain(v: object) -> object:
        if is_dataclass(v) and not isinstance(v, type):
            return {"type": type(v).__name__} | {
                f.name: plain(getattr(v, f.name)) for f in fields(v) if f.compare
            }
        if isinstance(v, tuple | list):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, dt.date):
            return v.isoformat()
        return v

    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"))


def query_hash(value: object) -> str:
    """SHA-256 (hex) of :func:`canonical_json` of ``value``."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a released result comes from; the same provenance gives the same numbers."""

    lake_version: int
    query_hash: str
    model_version: str
    software_version: str
    min_cell_size: int
    score_versions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Released(Generic[T]):
    """A result that passed the boundary: disclosure applied, audited, with provenance."""

    value: T
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Cohort:
    """A resolved cohort: the filter, the lake version it was evaluated on and its patients."""

    lake_version: int
    filter: CohortFilter
    patient_ids: pl.DataFrame = field(compare=False, repr=False)


class _LRU:
    """A small thread-safe least-recently-used map."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]  # type: ignore[return-value]  # stored by this key
            self.misses += 1
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return value


class LakeGateway:
    """Releases lake results to one caller at a time, through access rules and disclosure.

    Parameters
    ----------
    open_snapshot
        Opens the lake at a version (``None``: newest), e.g. ``partial(open_lake, root)``.
    policy
        Disclosure control applied to every aggregate.
    audit
        Sink receiving one :class:`lake.access.AuditRecord` per release or refusal.
    software_version
        Version of hemalake reported in provenance.
    cache_size
        Number of results (and, separately, of cohorts) kept in memory.
    """

    def __init__(
        self,
        *,
        open_snapshot: OpenSnapshot,
        policy: DisclosurePolicy,
        audit: AuditSink,
        software_version: str,
        cache_size: int = 256,
    ) -> None:
        self._open_snapshot = open_snapshot
        self.policy = policy
        self._audit = audit
        self._software_version = software_version
        self._snapshots: dict[int, TableSource] = {}
        self._snapshot_lock = threading.Lock()
        self.results = _LRU(cache_size)
        self._cohorts = _LRU(max(4, cache_size // 8))

    # -- snapshots and cohorts -------------------------------------------------------------

    def snapshot(self, lake_version: int | None) -> TableSource:
        """The lake at ``lake_version`` (``None``: newest); pinned versions are opened once."""
        with self._snapshot_lock:
            if lake_version is not None and lake_version in self._snapshots:
                return self._snapshots[lake_version]
        opened = self._open_snapshot(lake_version)
        with self._snapshot_lock:
            return self._snapshots.setdefault(opened.version, opened)

    def cohorts(
        self, keys: Sequence[tuple[int | None, CohortFilter]]
    ) -> list[Cohort | HemalakeError]:
        """Resolve many cohorts, in key order; per-key failures are returned in place.

        One attribute frame (the union of the columns the filters need) is collected per lake
        version, so a request asking for several cohorts scans each table once.
        """
        snapshots: dict[int | None, TableSource | HemalakeError] = {}
        plans: dict[int, pl.LazyFrame] = {}
        collected: dict[int, pl.DataFrame] = {}

        def select(version: int, cohort_filter: CohortFilter) -> pl.DataFrame:
            if version not in collected:  # only when some cohort is not cached yet
                collected[version] = plans[version].collect()
            return collected[version].filter(compile_filter(cohort_filter)).select("patient_id")

        for requested in dict.fromkeys(version for version, _ in keys):
            try:
                snap = snapshots[requested] = self.snapshot(requested)
            except HemalakeError as error:
                snapshots[requested] = error
                continue
            columns = frozenset().union(*(required_columns(f) for v, f in keys if v == requested))
            plans[snap.version] = attribute_frame(snap, sorted(columns))
        results: list[Cohort | HemalakeError] = []
        for requested, cohort_filter in keys:
            opened = snapshots[requested]
            if isinstance(opened, HemalakeError):
                results.append(opened)
                continue
            ids = self._cohorts.get_or_compute(
                (opened.version, cohort_filter),
                partial(select, opened.version, cohort_filter),
            )
            results.append(
                Cohort(lake_version=opened.version, filter=cohort_filter, patient_ids=ids)
            )
        return results

    def _attributes(self, cohort: Cohort, attributes: Sequence[str]) -> pl.DataFrame:
        frame = (
            attribute_frame(self.snapshot(cohort.lake_version), attributes)
            .join(cohort.patient_ids.lazy(), on="patient_id", how="semi")
            .collect()
        )
        if frame.height == 0:
            raise EmptyCohortError("the cohort has no patients; widen the filter")
        return frame

    # -- releases ----------------------------------------------------------------------------

    def _release(
        self,
        caller: Caller,
        *,
        action: Action,
        lake_version: int,
        request: object,
        compute: Callable[[], T],
        disclose: Callable[[T], T],
        site: str | None = None,
    ) -> Released[T]:
        digest = query_hash(request)

        def audit(outcome: Literal["ok", "denied", "error"], code: str | None = None) -> None:
            self._audit.record(
                AuditRecord(
                    at=dt.datetime.now(dt.UTC),
                    user=caller.user,
                    role=caller.role,
                    action=type(request).__name__,
                    query_hash=digest,
                    lake_version=lake_version,
                    outcome=outcome,
                    code=code,
                )
            )

        try:
            check_access(caller, action, site=site)
        except AccessDeniedError:
            audit("denied", "FORBIDDEN")
            raise
        try:
            value = self.results.get_or_compute((lake_version, digest), compute)
        except HemalakeError as error:
            audit("error", type(error).__name__)
            raise
        audit("ok")
        return Released(
            value=disclose(value),
            provenance=Provenance(
                lake_version=lake_version,
                query_hash=digest,
                model_version=MODEL_VERSION,
                software_version=self._software_version,
                min_cell_size=self.policy.min_cell_size,
            ),
        )

    def cohort_size(self, caller: Caller, cohort: Cohort) -> Released[int | None]:
        """Number of patients in ``cohort``; withheld below the minimum cell size."""
        return self._release(
            caller,
            action="aggregate",
            lake_version=cohort.lake_version,
            request=SizeRequest(cohort.filter),
            compute=lambda: cohort.patient_ids.height,
            disclose=self.policy.count,
        )

    def breakdown(self, caller: Caller, cohort: Cohort, *, attribute: str) -> Released[Breakdown]:
        """Counts of ``cohort`` by the categorical ``attribute``."""
        return self._release(
            caller,
            action="aggregate",
            lake_version=cohort.lake_version,
            request=BreakdownRequest(cohort.filter, attribute),
            compute=lambda: summaries.breakdown(
                self._attributes(cohort, [attribute]), attribute=attribute
            ),
            disclose=partial(disclose_breakdown, policy=self.policy),
        )

    def histogram(
        self,
        caller: Caller,
        cohort: Cohort,
        *,
        attribute: str,
        bins: int,
        lower: float | None,
        upper: float | None,
    ) -> Released[Histogram]:
        """Equal-width histogram of the numeric ``attribute`` over ``cohort``."""
        return self._release(
            caller,
            action="aggregate",
            lake_version=cohort.lake_version,
            request=HistogramRequest(cohort.filter, attribute, bins, lower, upper),
            compute=lambda: summaries.histogram(
                self._attributes(cohort, [attribute]),
                attribute=attribute,
                bins=bins,
                lower=lower,
                upper=upper,
            ),
            disclose=partial(disclose_histogram, policy=self.policy),
        )

    def survival(
        self, caller: Caller, cohort: Cohort, *, request: SurvivalRequest
    ) -> Released[SurvivalSummary]:
        """Kaplan-Meier by group and the log-rank test over ``cohort``."""
        return self._release(
            caller,
            action="aggregate",
            lake_version=cohort.lake_version,
            request=CohortSurvivalRequest(cohort.filter, request),
            compute=lambda: survival_summary(
                self.snapshot(cohort.lake_version), cohort.patient_ids, request
            ),
            disclose=partial(disclose_survival, policy=self.policy),
        )

    def completeness(
        self, caller: Caller, cohort: Cohort, *, attributes: tuple[str, ...]
    ) -> Released[tuple[FieldCompleteness, ...]]:
        """Known / not tested / missing counts of ``attributes`` over ``cohort``."""
        return self._release(
            caller,
            action="aggregate",
            lake_version=cohort.lake_version,
            request=CompletenessRequest(cohort.filter, attributes),
            compute=lambda: summaries.completeness(
                self._attributes(cohort, attributes), attributes=attributes
            ),
            disclose=partial(disclose_completeness, policy=self.policy),
        )


@dataclass(frozen=True, slots=True)
class SizeRequest:
    """Normalised request: the size of a cohort."""

    cohort: CohortFilter


@dataclass(frozen=True, slots=True)
class BreakdownRequest:
    """Normalised request: counts by a categorical attribute."""

    cohort: CohortFilter
    attribute: str


@dataclass(frozen=True, slots=True)
class HistogramRequest:
    """Normalised request: histogram of a numeric attribute."""

    cohort: CohortFilter
    attribute: str
    bins: int
    lower: float | None
    upper: float | None


@dataclass(frozen=True, slots=True)
class CompletenessRequest:
    """Normalised request: completeness of attributes."""

    cohort: CohortFilter
    attributes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CohortSurvivalRequest:
    """Normalised request: Kaplan-Meier summaries of a cohort."""

    cohort: CohortFilter
    survival: SurvivalRequest
