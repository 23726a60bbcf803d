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
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Literal, TypeVar

import polars as pl

from lake import cohort_summary as summaries
from lake import query_metadata as meta
from lake.access import Action, AuditRecord, AuditSink, Caller, check_access
from lake.cohort import CohortFilter, compile_filter, required_columns, required_scores
from lake.cohort_columns import CohortColumns
from lake.cohort_endpoints import EndpointKey
from lake.cohort_frame import TableSource, scan_or_empty
from lake.cohort_incidence import IncidenceRequest, IncidenceSummary, incidence_summary
from lake.cohort_models import (
    CoxRequest,
    CoxSummary,
    StagingRequest,
    StagingSummary,
    cox_summary,
    staging_summary,
)
from lake.cohort_risk import (
    CrossTab,
    RiskDistribution,
    category,
    cross_tab,
    risk_distribution,
    score,
)
from lake.cohort_summary import Breakdown, FieldCompleteness, Histogram
from lake.cohort_survival import Grouping, SurvivalRequest, SurvivalSummary, survival_summary
from lake.disclosure import (
    DisclosurePolicy,
    disclose_breakdown,
    disclose_completeness,
    disclose_cross_tab,
    disclose_histogram,
    disclose_incidence,
    disclose_model,
    disclose_risk,
    disclose_staging,
    disclose_survival,
)
from lake.errors import AccessDeniedError, EmptyCohortError, HemalakeError, LakeError
from lake.model import MODEL_VERSION
from lake.query_release import LRUCache, Provenance, Released, query_hash
from lake.query_requests import (
    BreakdownRequest,
    CohortCoxRequest,
    CohortIncidenceRequest,
    CohortStagingRequest,
    CohortSurvivalRequest,
    CompletenessRequest,
    HistogramRequest,
    ReclassificationRequest,
    RiskRequest,
    SizeRequest,
)
from lake.risk.reclassification import NotClassified
from lake.storage import LakeSnapshot, read_latest

T = TypeVar("T")
OpenSnapshot = Callable[[int | None], TableSource]


@dataclass(frozen=True, slots=True)
class Cohort:
    """A resolved cohort: the filter, the lake version it was evaluated on and its patients.

    ``mask`` selects the cohort's patients in the patient order of
    :class:`lake.cohort_columns.CohortColumns` of that version.
    """

    lake_version: int
    filter: CohortFilter
    mask: pl.Series = field(compare=False, repr=False)

    @property
    def size(self) -> int:
        """Number of patients (exact; disclosure is applied on release)."""
        return int(self.mask.sum())


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
        versions_kept: int = 4,
    ) -> None:
        self._open_snapshot = open_snapshot
        self.policy = policy
        self._audit = audit
        self._software_version = software_version
        self._columns: OrderedDict[int, CohortColumns] = OrderedDict()
        self._versions_kept = versions_kept
        self._snapshot_lock = threading.Lock()
        self.results = LRUCache(cache_size)
        self._cohorts = LRUCache(max(4, cache_size // 8))

    # -- snapshots and cohorts -------------------------------------------------------------

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
            columns = self._columns.setdefault(opened.version, CohortColumns(opened))
            self._columns.move_to_end(opened.version)
            while len(self._columns) > self._versions_kept:
                self._columns.popitem(last=False)
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
    ) -> pl.DataFrame:
        """The cohort's rows of the columns asked for (see :mod:`lake.cohort_columns`)."""
        if cohort.size == 0:
            raise EmptyCohortError("the cohort has no patients; widen the filter")
        columns = self.columns(cohort.lake_version)
        parts = [columns.attributes(attributes), columns.scores(scores)]
        if endpoint is not None:
            parts.append(columns.endpoint(endpoint))
        if grouping is not None and grouping.attribute is not None:
            parts.append(
                columns.attributes([grouping.attribute]).rename({grouping.attribute: "group"})
            )
        elif grouping is not None and grouping.score is not None:
            parts.append(
                columns.scores([grouping.score]).select(category(grouping.score).alias("group"))
            )
        if strata is not None:
            parts.append(columns.attributes([strata]).rename({strata: "stratum"}))
        return columns.frame(cohort.mask, *parts)

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
        scores: Sequence[str] = (),
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
        versions = sorted({score(s).version for s in scores} | required_scores_of(request))
        return Released(
            value=disclose(value),
            provenance=Provenance(
                lake_version=lake_version,
                query_hash=digest,
                model_version=MODEL_VERSION,
                software_version=self._software_version,
                min_cell_size=self.policy.min_cell_size,
                score_versions=tuple((score(v).name, v) for v in versions),
            ),
        )

    def _aggregate(
        self,
        caller: Caller,
        cohort: Cohort,
        request: object,
        compute: Callable[[], T],
        *,
        disclose: Callable[[T, DisclosurePolicy], T],
        scores: Sequence[str] = (),
    ) -> Released[T]:
        return self._release(
            caller,
            action="aggregate",
            lake_version=cohort.lake_version,
            request=request,
            compute=compute,
            disclose=lambda value: disclose(value, self.policy),
            scores=scores,
        )

    def cohort_size(self, caller: Caller, cohort: Cohort) -> Released[int | None]:
        """Number of patients in ``cohort``; withheld below the minimum cell size."""
        return self._aggregate(
            caller,
            cohort,
            SizeRequest(cohort.filter),
            lambda: cohort.size,
            disclose=lambda n, policy: policy.count(n),
        )

    def breakdown(self, caller: Caller, cohort: Cohort, *, attribute: str) -> Released[Breakdown]:
        """Counts of ``cohort`` by the categorical ``attribute``."""
        return self._aggregate(
            caller,
            cohort,
            BreakdownRequest(cohort.filter, attribute),
            lambda: summaries.breakdown(
                self._frame(cohort, attributes=[attribute]), attribute=attribute
            ),
            disclose=disclose_breakdown,
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
        return self._aggregate(
            caller,
            cohort,
            HistogramRequest(cohort.filter, attribute, bins, lower, upper),
            lambda: summaries.histogram(
                self._frame(cohort, attributes=[attribute]),
                attribute=attribute,
                bins=bins,
                lower=lower,
                upper=upper,
            ),
            disclose=disclose_histogram,
        )

    def completeness(
        self, caller: Caller, cohort: Cohort, *, attributes: tuple[str, ...]
    ) -> Released[tuple[FieldCompleteness, ...]]:
        """Known / not tested / missing counts of ``attributes`` over ``cohort``."""
        return self._aggregate(
            caller,
            cohort,
            CompletenessRequest(cohort.filter, attributes),
            lambda: summaries.completeness(
                self._frame(cohort, attributes=attributes), attributes=attributes
            ),
            disclose=disclose_completeness,
        )

    def risk(
        self, caller: Caller, cohort: Cohort, *, score_name: str
    ) -> Released[RiskDistribution]:
        """The distribution of a risk score over ``cohort``, with NOT_CLASSIFIABLE inputs."""
        registered = score(score_name)
        return self._aggregate(
            caller,
            cohort,
            RiskRequest(cohort.filter, registered.version),
            lambda: risk_distribution(
                self._frame(cohort, scores=[registered.version]), risk_score=registered
            ),
            disclose=disclose_risk,
            scores=[registered.version],
        )

    def reclassification(
        self,
        caller: Caller,
        cohort: Cohort,
        *,
        before: str,
        after: str,
        not_classified: NotClassified,
    ) -> Released[CrossTab]:
        """Cross-tab of two risk scores over ``cohort`` and the share of patients that moved."""
        first, second = score(before), score(after)
        return self._aggregate(
            caller,
            cohort,
            ReclassificationRequest(cohort.filter, first.version, second.version, not_classified),
            lambda: cross_tab(
                self._frame(cohort, scores=[first.version, second.version]),
                before=first,
                after=second,
                not_classified=not_classified,
            ),
            disclose=disclose_cross_tab,
            scores=[first.version, second.version],
        )

    def survival(
        self, caller: Caller, cohort: Cohort, *, request: SurvivalRequest
    ) -> Released[SurvivalSummary]:
        """Kaplan-Meier by group and the log-rank tests over ``cohort``."""
        grouping = request.grouping
        return self._aggregate(
            caller,
            cohort,
            CohortSurvivalRequest(cohort.filter, request),
            lambda: survival_summary(
                self._frame(
                    cohort, endpoint=request.endpoint, grouping=grouping, strata=request.strata
                ),
                request,
            ),
            disclose=disclose_survival,
            scores=[grouping.score] if grouping.score else [],
        )

    def incidence(
        self, caller: Caller, cohort: Cohort, *, request: IncidenceRequest
    ) -> Released[IncidenceSummary]:
        """Cumulative incidence with competing risks by group, and Gray's test."""
        grouping = request.grouping
        return self._aggregate(
            caller,
            cohort,
            CohortIncidenceRequest(cohort.filter, request),
            lambda: incidence_summary(
                self._frame(cohort, endpoint=request.endpoint, grouping=grouping), request
            ),
            disclose=disclose_incidence,
            scores=[grouping.score] if grouping.score else [],
        )

    def cox(self, caller: Caller, cohort: Cohort, *, request: CoxRequest) -> Released[CoxSummary]:
        """A Cox model of an endpoint on chosen covariates over ``cohort``."""
        attributes = [*request.numeric, *request.categorical]
        if request.strata is not None:
            attributes.append(request.strata)
        return self._aggregate(
            caller,
            cohort,
            CohortCoxRequest(cohort.filter, request),
            lambda: cox_summary(
                self._frame(
                    cohort, attributes=attributes, scores=request.scores, endpoint=request.endpoint
                ),
                request,
            ),
            disclose=disclose_model,
            scores=request.scores,
        )

    def staging(
        self, caller: Caller, cohort: Cohort, *, request: StagingRequest
    ) -> Released[StagingSummary]:
        """Staging systems (risk scores) compared by C-index, LR and AIC over ``cohort``."""
        return self._aggregate(
            caller,
            cohort,
            CohortStagingRequest(cohort.filter, request),
            lambda: staging_summary(
                self._frame(cohort, scores=request.scores, endpoint=request.endpoint), request
            ),
            disclose=disclose_staging,
            scores=request.scores,
        )

    # -- the lake itself ----------------------------------------------------------------------

    def _delta(self, lake_version: int | None) -> LakeSnapshot:
        source = self.snapshot(lake_version)
        if not isinstance(source, LakeSnapshot):
            raise LakeError(
                "lake metadata needs a Delta lake (this service holds tables in memory)"
            )
        return source

    def _metadata(
        self,
        caller: Caller,
        lake_version: int | None,
        request: object,
        compute: Callable[[LakeSnapshot], T],
        *,
        action: Action = "lake_metadata",
        site: str | None = None,
    ) -> Released[T]:
        snapshot = self._delta(lake_version)
        return self._release(
            caller,
            action=action,
            lake_version=snapshot.version,
            request=request,
            compute=lambda: compute(snapshot),
            disclose=lambda value: value,
            site=site,
        )

    def sites(self, caller: Caller) -> Released[tuple[meta.SiteRecord, ...]]:
        """Every site's onboarding stage and load history (operational logs, not versioned)."""
        return self._metadata(
            caller,
            None,
            MetadataRequest("sites", None),
            lambda s: meta.sites(
                read_latest(s.root, "_site_status"), read_latest(s.root, "_load_log")
            ),
        )

    def versions(self, caller: Caller) -> Released[tuple[meta.VersionRecord, ...]]:
        """Every lake version up to the newest, newest first."""
        return self._metadata(
            caller, None, MetadataRequest("versions", None), lambda s: meta.versions(s.history())
        )

    def data_quality(
        self, caller: Caller, *, lake_version: int | None, site: str | None
    ) -> Released[tuple[meta.QualityCount, ...]]:
        """Quarantined rows counted by site, table and check."""
        return self._metadata(
            caller,
            lake_version,
            MetadataRequest("data_quality", site),
            lambda s: meta.data_quality(scan_or_empty(s, "_quarantine").collect(), site=site),
        )

    def data_queries(
        self, caller: Caller, *, lake_version: int | None, site: str
    ) -> Released[tuple[meta.DataQuery, ...]]:
        """The open data queries of ``site`` (a site operation: patient-level rows)."""
        return self._metadata(
            caller,
            lake_version,
            MetadataRequest("data_queries", site),
            lambda s: meta.data_queries(scan_or_empty(s, "_data_queries").collect(), site=site),
            action="site_operations",
            site=site,
        )


@dataclass(frozen=True, slots=True)
class MetadataRequest:
    """Normalised request: one kind of lake metadata, optionally for one site."""

    kind: str
    site: str | None


def _mask(columns: CohortColumns, cohort_filter: CohortFilter) -> pl.Series:
    parts = (
        columns.ids(),
        columns.attributes(sorted(required_columns(cohort_filter))),
        columns.scores(sorted(required_scores(cohort_filter))),
    )
    frame = pl.concat([p for p in parts if p.width], how="horizontal")
    return frame.with_columns(compile_filter(cohort_filter).alias("in_cohort"))["in_cohort"]


def required_scores_of(request: object) -> set[str]:
    """Score versions a request's cohort filter reads (for provenance)."""
    cohort_filter = getattr(request, "cohort", None)
    return set() if cohort_filter is None else set(required_scores(cohort_filter))
