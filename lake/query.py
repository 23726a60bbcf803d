"""The one boundary through which every result leaves ``lake/``.

:class:`LakeGateway` knows who is asking (:class:`lake.access.Caller`), applies the access rules
(:func:`lake.access.check_access`) and disclosure control (:mod:`lake.disclosure`), records an
audit entry and attaches :class:`Provenance`. Computations stay pure in their own modules; the
gateway only picks the snapshot, caches and releases. Lake versions and cohort resolution
(:class:`Cohort`, the per-version column cache) live in :mod:`lake.query_cohorts`.

Caching is keyed by ``(lake version, normalised request)``: a lake version never changes, so a
cached value is never stale; concurrent misses of one key compute it once (single flight, see
:class:`lake.query_release.LRUCache`). Values are cached *before* disclosure, which is applied
on every release. The operational logs (:meth:`LakeGateway.sites`) are not cached: failed and
unchanged loads and stage changes append to them without making a lake version. Every method
blocks (Polars collects): call it from a worker thread in async code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from lake import cohort_summary as summaries
from lake import query_metadata as meta
from lake.access import Action, AuditRecord, AuditSink, Caller, check_access
from lake.cohort import required_scores
from lake.cohort_frame import scan_or_empty
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
    cross_tab,
    risk_distribution,
    score,
)
from lake.cohort_summary import Breakdown, FieldCompleteness, Histogram
from lake.cohort_survival import SurvivalRequest, SurvivalSummary, survival_summary
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
from lake.errors import AccessDeniedError, HemalakeError, LakeError
from lake.model import MODEL_VERSION
from lake.query_cohorts import Cohort, CohortSnapshots, OpenSnapshot, require_single_valued
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


class LakeGateway(CohortSnapshots):
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
        super().__init__(
            open_snapshot=open_snapshot,
            cohort_cache_size=max(4, cache_size // 8),
            versions_kept=versions_kept,
        )
        self.policy = policy
        self._audit = audit
        self._software_version = software_version
        self.results = LRUCache(cache_size)

    # -- releases

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
        cached: bool = True,
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
            value = (
                self.results.get_or_compute((lake_version, digest), compute)
                if cached
                else compute()
            )
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
        strata = [] if request.strata is None else [request.strata]

        def compute() -> CoxSummary:
            require_single_valued([*request.categorical, *strata], use="coxModel")
            frame = self._frame(
                cohort,
                attributes=[*request.numeric, *request.categorical, *strata],
                scores=request.scores,
                endpoint=request.endpoint,
            )
            return cox_summary(frame, request)

        return self._aggregate(
            caller,
            cohort,
            CohortCoxRequest(cohort.filter, request),
            compute,
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
        disclose: Callable[[T], T] = lambda value: value,
        cached: bool = True,
    ) -> Released[T]:
        snapshot = self._delta(lake_version)
        return self._release(
            caller,
            action=action,
            lake_version=snapshot.version,
            request=request,
            compute=lambda: compute(snapshot),
            disclose=disclose,
            site=site,
            cached=cached,
        )

    def sites(self, caller: Caller) -> Released[tuple[meta.SiteRecord, ...]]:
        """Every site's onboarding stage and load history (operational logs, not versioned).

        Read on every call, never cached: the logs change without a new lake version. The full
        message of a failed load is released only to callers allowed the site's operations
        (its data managers, administrators); others see the class of failure only.
        """
        return self._metadata(
            caller,
            None,
            MetadataRequest("sites", None),
            lambda s: meta.sites(
                read_latest(s.root, "_site_status"), read_latest(s.root, "_load_log")
            ),
            disclose=lambda records: tuple(
                r if allowed(caller, "site_operations", site=r.site) else meta.without_messages(r)
                for r in records
            ),
            cached=False,
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


def allowed(caller: Caller, action: Action, *, site: str | None = None) -> bool:
    """Whether :func:`lake.access.check_access` lets ``caller`` perform ``action``."""
    try:
        check_access(caller, action, site=site)
    except AccessDeniedError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class MetadataRequest:
    """Normalised request: one kind of lake metadata, optionally for one site."""

    kind: str
    site: str | None


def required_scores_of(request: object) -> set[str]:
    """Score versions a request's cohort filter reads (for provenance)."""
    cohort_filter = getattr(request, "cohort", None)
    return set() if cohort_filter is None else set(required_scores(cohort_filter))


__all__ = [
    "Cohort",
    "LakeGateway",
    "MetadataRequest",
    "OpenSnapshot",
    "query_hash",
    "required_scores_of",
]
