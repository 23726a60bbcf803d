"""The one boundary through which every result leaves ``lake/``.

:class:`LakeGateway` knows who is asking (:class:`lake.access.Caller`), applies the access rules
(:func:`lake.access.check_access`), releases each aggregate by the caller's access kind
(:data:`lake.access.ROLE_ACCESS`): *governed* roles get the exact result with disclosure
control (:mod:`lake.disclosure`), *protected* roles a differentially private release
(:mod:`lake.privacy`: noise from OpenDP, charged to the caller's budget in the privacy ledger,
the same numbers every time the same question is asked of the same lake version). It records an
audit entry and attaches :class:`Provenance`. Computations stay pure in their own modules; the
gateway only picks the snapshot, caches and releases. Lake versions and cohort resolution
(:class:`Cohort`, the per-version column cache) live in :mod:`lake.query.cohorts`.

Caching is keyed by ``(lake version, normalised request)``: a lake version never changes, so a
cached value is never stale; concurrent misses of one key compute it once (single flight, see
:class:`lake.query.release.LRUCache`). A governed value is cached *after* disclosure, with its
provenance: the policy is the gateway's and the provenance is the request's, so a cache hit
returns the released value as it was first released, without disclosing it again. A protected
value is cached per stored noisy draw (:meth:`LakeGateway._protected`), so a hit re-serves the
same release, never new noise. The result caches hold at most ``cache_bytes`` together (values
weighed by :func:`lake.query.footprint.footprint`). The operational logs
(:meth:`LakeGateway.sites`) are not cached: failed and unchanged loads and stage changes append
to them without making a lake version. Every method blocks (Polars collects): call it from a
worker thread in async code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal, TypeVar

import polars as pl

from lake.access import GOVERNED_ROLES, Action, AuditRecord, AuditSink, Caller, check_access
from lake.cohort import summary as summaries
from lake.cohort.attribute_sources import scan_or_empty
from lake.cohort.covariates import ModelTerms
from lake.cohort.endpoints import EndpointKey
from lake.cohort.exposure import EXPOSURE_GROUPS
from lake.cohort.exposure_effect import (
    ExposureEffectRequest,
    ExposureEffectSummary,
    exposure_effect,
)
from lake.cohort.filters import required_scores
from lake.cohort.fine_gray import FineGrayRequest, FineGraySummary, fine_gray_summary
from lake.cohort.incidence import IncidenceRequest, IncidenceSummary, incidence_summary
from lake.cohort.models import (
    CoxRequest,
    CoxSummary,
    StagingRequest,
    StagingSummary,
    cox_summary,
    staging_summary,
)
from lake.cohort.risk import (
    CrossTab,
    RiskDistribution,
    cross_tab,
    risk_distribution,
    score,
)
from lake.cohort.store_budget import DEFAULT_STORE_BYTES
from lake.cohort.summary import Breakdown, FieldCompleteness, Histogram
from lake.cohort.survival import (
    Grouping,
    SurvivalRequest,
    SurvivalSummary,
    trend_levels,
)
from lake.disclosure import (
    DisclosurePolicy,
    disclose_breakdown,
    disclose_completeness,
    disclose_cross_tab,
    disclose_exposure_effect,
    disclose_histogram,
    disclose_incidence,
    disclose_model,
    disclose_risk,
    disclose_staging,
    disclose_survival,
)
from lake.errors import AccessDeniedError, BudgetExhaustedError, HemalakeError, LakeError
from lake.model import MODEL_VERSION
from lake.privacy import counts as protected
from lake.privacy import survival as protected_survival
from lake.privacy.budget import PrivacySettings
from lake.privacy.domains import attribute_levels, numeric_range, score_levels
from lake.privacy.ledger import Balance, PrivacyLedger, Receipt, ReleaseKey
from lake.privacy.life_table import Grid
from lake.privacy.mechanism import Noise, add_noise, noise_for
from lake.privacy.plan import ProtectedPlan
from lake.query import metadata as meta
from lake.query.cohorts import Cohort, CohortSnapshots, OpenSnapshot, require_single_valued
from lake.query.release import LRUCache, PrivacyRelease, Provenance, Released, query_hash
from lake.query.requests import (
    BreakdownRequest,
    CohortCoxRequest,
    CohortExposureEffectRequest,
    CohortFineGrayRequest,
    CohortIncidenceRequest,
    CohortStagingRequest,
    CohortSurvivalRequest,
    CohortValueRequest,
    CompletenessRequest,
    HistogramRequest,
    LifeTableRequest,
    ReclassificationRequest,
    RiskRequest,
    SizeRequest,
)
from lake.risk.reclassification import NotClassified
from lake.storage import LakeSnapshot, read_latest
from lake.value import (
    Comparison,
    EsmoRules,
    Grade,
    SingleArmStudy,
    grade_comparison,
    grade_single_arm,
)
from lake.value.real_world import (
    RealWorldComparison,
    RealWorldRequest,
    compare_groups,
    disclose_real_world,
)

T = TypeVar("T")
#: Default of ``cache_bytes``: what the result caches may hold together.
DEFAULT_CACHE_BYTES: Final = 512 * 1024 * 1024
#: Why a result without a protected form is refused to protected roles.
MODEL_REASON: Final = (
    "their coefficients and standard errors rest on small groups and cannot be made "
    "differentially private here"
)
EXPOSURE_EFFECT_REASON: Final = (
    "its hazard ratio and tests rest on the patients' exact exposure times, and the Simon-"
    "Makuch risk sets change at each exposure, which the noisy life table of protected answers "
    "does not count; ask survival grouped by the exposure status at a landmark "
    "(groupBy: {exposure: ...}, timeZero.landmarkDays) for a protected answer"
)
VALUE_REASON: Final = (
    "it weighs each patient by a propensity score fitted on their own covariates, and the "
    "weighted hazard ratio, medians and balance rest on those patient-level weights, which the "
    "noisy life table of protected answers does not hold; ask survival grouped by the two "
    "cohorts (groupBy.groups) for a protected, unweighted comparison"
)
DELAYED_ENTRY_REASON: Final = (
    "with delayedEntry the risk sets change at each patient's registry entry, and the noisy "
    "life table of protected answers counts each patient once, at exit, with no entry counts; "
    "ask without delayedEntry for a protected answer"
)


class LakeGateway(CohortSnapshots):
    """Releases lake results to one caller at a time, through access rules and disclosure.

    Parameters
    ----------
    open_snapshot
        Opens the lake at a version (``None``: newest), e.g. ``partial(open_lake, root)``.
    policy
        Disclosure control applied to every governed aggregate.
    ledger
        The privacy accountant of protected releases (default: in memory, default settings).
    audit
        Sink receiving one :class:`lake.access.AuditRecord` per release or refusal.
    software_version
        Version of hemalake reported in provenance.
    cache_size
        Number of results (and, separately, of cohorts) kept in memory.
    cache_bytes
        Bytes the cached results, protected releases and cohort masks hold together at most
        (a half, a quarter and a quarter of it).
    value_rules
        The UNCONFIRMED ESMO-MCBS rules as set (:mod:`lake.value.rules`; default all disabled).
    store_bytes
        Bytes the patient-aligned columns of the kept lake versions hold together at most
        (the analysis store, :mod:`lake.cohort.store_budget`).
    """

    def __init__(
        self,
        *,
        open_snapshot: OpenSnapshot,
        policy: DisclosurePolicy,
        audit: AuditSink,
        software_version: str,
        cache_size: int = 256,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        versions_kept: int = 4,
        ledger: PrivacyLedger | None = None,
        value_rules: EsmoRules | None = None,
        store_bytes: int = DEFAULT_STORE_BYTES,
    ) -> None:
        super().__init__(
            open_snapshot=open_snapshot,
            cohort_cache_size=max(4, cache_size // 8),
            cohort_cache_bytes=cache_bytes // 4,
            versions_kept=versions_kept,
            store_bytes=store_bytes,
        )
        self.policy = policy
        self.ledger = ledger or PrivacyLedger(None, PrivacySettings())
        self._audit = audit
        self._software_version = software_version
        self.results = LRUCache(cache_size, max_bytes=cache_bytes // 2)
        self.releases = LRUCache(cache_size, max_bytes=cache_bytes // 4)
        self._site_lists = LRUCache(versions_kept)
        self.value_rules = value_rules or EsmoRules()

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
        """Release ``compute()`` through ``disclose`` to a governed caller, or a metadata read.

        When ``cached``, the released value is kept: ``disclose`` must then depend on the
        request alone, never on the caller (a caller-dependent one, as :meth:`sites`, is
        uncached).
        """
        digest = query_hash(request)
        audit = self._auditor(caller, request, digest, lake_version, access="governed")
        try:
            check_access(caller, action, site=site)
        except AccessDeniedError:
            audit("denied", "FORBIDDEN")
            raise

        def release() -> Released[T]:
            return Released(
                value=disclose(compute()),
                provenance=self._provenance(lake_version, digest, request, scores),
            )

        try:
            released = (
                self.results.get_or_compute((lake_version, digest), release)
                if cached
                else release()
            )
        except HemalakeError as error:
            audit("error", type(error).__name__)
            raise
        audit("ok")
        return released

    def _auditor(
        self,
        caller: Caller,
        request: object,
        digest: str,
        lake_version: int | None,
        *,
        access: Literal["governed", "protected"],
    ) -> Callable[..., None]:
        def audit(
            outcome: Literal["ok", "denied", "error"],
            code: str | None = None,
            epsilon: float | None = None,
        ) -> None:
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
                    access=access,
                    epsilon=epsilon,
                )
            )

        return audit

    def _provenance(
        self,
        lake_version: int,
        digest: str,
        request: object,
        scores: Sequence[str],
        privacy: PrivacyRelease | None = None,
    ) -> Provenance:
        versions = sorted({score(s).version for s in scores} | required_scores_of(request))
        return Provenance(
            lake_version=lake_version,
            query_hash=digest,
            model_version=MODEL_VERSION,
            software_version=self._software_version,
            min_cell_size=self.policy.min_cell_size
            if privacy is None
            else self.ledger.settings.floor,
            score_versions=tuple((score(v).name, v) for v in versions),
            access="governed" if privacy is None else "protected",
            privacy=privacy,
        )

    def _aggregate(
        self,
        caller: Caller,
        cohort: Cohort,
        request: object,
        compute: Callable[[], T],
        *,
        disclose: Callable[[T, DisclosurePolicy], T],
        protect: Callable[[], ProtectedPlan[T]] | None,
        scores: Sequence[str] = (),
        unprotected_reason: str = MODEL_REASON,
    ) -> Released[T]:
        """Release an aggregate by the caller's access kind.

        ``protect`` builds the protected release; ``None`` means the result cannot be protected
        and is refused to protected roles for ``unprotected_reason``, naming the governed roles
        that may ask.
        """
        if caller.access == "governed":
            return self._release(
                caller,
                action="aggregate",
                lake_version=cohort.lake_version,
                request=request,
                compute=compute,
                disclose=lambda value: disclose(value, self.policy),
                scores=scores,
            )
        return self._protected(
            caller,
            cohort.lake_version,
            request,
            protect,
            scores=scores,
            unprotected_reason=unprotected_reason,
        )

    def _protected(
        self,
        caller: Caller,
        version: int,
        request: object,
        protect: Callable[[], ProtectedPlan[T]] | None,
        *,
        scores: Sequence[str],
        unprotected_reason: str = MODEL_REASON,
    ) -> Released[T]:
        """A differentially private release (see :mod:`lake.privacy`), charged to the caller.

        The noisy vector is drawn once per (lake version, request, ε, sensitivity) and stored
        in the ledger; its post-processed value is cached in memory.
        """
        digest = query_hash(request)
        audit = self._auditor(caller, request, digest, version, access="protected")
        try:
            check_access(caller, "aggregate")
            if protect is None:
                raise AccessDeniedError(
                    f"{type(request).__name__.removeprefix('Cohort').removesuffix('Request')} "
                    f"results are not released on protected access (role {caller.role!r}): "
                    f"{unprotected_reason}; a governed role "
                    f"({', '.join(GOVERNED_ROLES)}, under a data-sharing agreement) may ask"
                )
        except AccessDeniedError:
            audit("denied", "FORBIDDEN")
            raise
        try:
            plan = protect()
            epsilon = self.ledger.settings.epsilon[plan.kind]
            noise = noise_for(epsilon, plan.sensitivity)
            named = digest if plan.identity is None else query_hash(plan.identity)
            key = ReleaseKey(version, named, epsilon, plan.sensitivity)
            self.ledger.require(caller.user, key)
            stored = self.ledger.stored(key)
            drawn = None if stored is not None else add_noise(plan.counts(), noise)
            receipt = self.ledger.receive(caller.user, key, drawn)
            value = self.releases.get_or_compute(
                (key, digest), lambda: plan.release(receipt.counts, noise)
            )
        except BudgetExhaustedError:
            audit("denied", "PRIVACY_BUDGET_EXCEEDED")
            raise
        except AccessDeniedError:
            audit("denied", "FORBIDDEN")
            raise
        except HemalakeError as error:
            audit("error", type(error).__name__)
            raise
        audit("ok", epsilon=receipt.charged)
        return Released(
            value=value,
            provenance=self._provenance(
                version, digest, request, scores, privacy_release(noise, receipt)
            ),
        )

    def _sites(self, lake_version: int) -> list[str]:
        """The lake's sites (public lake metadata), once per lake version."""
        return self._site_lists.get_or_compute(
            lake_version,
            lambda: sorted(
                str(s)
                for s in self.columns(lake_version)
                .attributes(["site"])
                .get_column("site")
                .unique()
                .drop_nulls()
            ),
        )

    def _levels(self, attribute: str, lake_version: int) -> tuple[str | None, ...]:
        """The public levels of a protected breakdown, group or stratum by ``attribute``."""
        sites = self._sites(lake_version) if attribute == "site" else ()
        return attribute_levels(attribute, sites=sites)

    @property
    def _floor(self) -> int:
        return self.ledger.settings.floor

    def cohort_size(self, caller: Caller, cohort: Cohort) -> Released[int | None]:
        """Number of patients in ``cohort``; withheld below the minimum cell size."""
        return self._aggregate(
            caller,
            cohort,
            SizeRequest(cohort.filter),
            lambda: cohort.size,
            disclose=lambda n, policy: policy.count(n),
            protect=lambda: protected.size_plan(lambda: cohort.size, floor=self._floor),
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
            protect=lambda: protected.breakdown_plan(
                lambda: self._frame(cohort, attributes=[attribute], allow_empty=True),
                attribute=attribute,
                levels=self._levels(attribute, cohort.lake_version),
                floor=self._floor,
            ),
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
        """Equal-width histogram of the numeric ``attribute`` over ``cohort``.

        Edges are public: the caller's, else the model's range of the attribute
        (:func:`lake.privacy.domains.numeric_range`), never the cohort's minimum or maximum.
        """
        if lower is None or upper is None:
            low, high = numeric_range(attribute)
            lower, upper = low if lower is None else lower, high if upper is None else upper
        edges = (lower, upper)
        return self._aggregate(
            caller,
            cohort,
            HistogramRequest(cohort.filter, attribute, bins, lower, upper),
            lambda: summaries.histogram(
                self._frame(cohort, attributes=[attribute]),
                attribute=attribute,
                bins=bins,
                lower=edges[0],
                upper=edges[1],
            ),
            disclose=disclose_histogram,
            protect=lambda: protected.histogram_plan(
                lambda: self._frame(cohort, attributes=[attribute], allow_empty=True),
                attribute=attribute,
                bins=bins,
                lower=edges[0],
                upper=edges[1],
                floor=self._floor,
            ),
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
            protect=lambda: protected.completeness_plan(
                lambda: self._frame(cohort, attributes=attributes, allow_empty=True),
                attributes=attributes,
                floor=self._floor,
            ),
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
            protect=lambda: protected.risk_plan(
                lambda: self._frame(cohort, scores=[registered.version], allow_empty=True),
                risk_score=registered,
                floor=self._floor,
            ),
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
            protect=lambda: protected.cross_tab_plan(
                lambda: self._frame(
                    cohort, scores=[first.version, second.version], allow_empty=True
                ),
                before=first,
                after=second,
                not_classified=not_classified,
                floor=self._floor,
            ),
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
            lambda: self._survival(cohort, request),
            disclose=disclose_survival,
            protect=None
            if request.delayed_entry
            else lambda: protected_survival.survival_plan(
                lambda: self._frame(
                    cohort,
                    endpoint=request.endpoint,
                    grouping=grouping,
                    strata=request.strata,
                    allow_empty=True,
                ),
                groups=self._group_levels(cohort, grouping),
                strata=()
                if request.strata is None
                else self._levels(request.strata, cohort.lake_version),
                grid=self._grid,
                request=request,
                ranked=trend_levels(request),
                endpoint=request.endpoint.definition().name,
                origin=request.endpoint.as_origin().label,
                floor=self._floor,
                identity=LifeTableRequest(
                    cohort.filter, request.endpoint, grouping, request.strata, kinds=1
                ),
                counted=None
                if request.strata is not None
                else lambda: self._counted_or_none(cohort, request.endpoint, grouping),
            ),
            scores=grouping.score_versions(),
            unprotected_reason=DELAYED_ENTRY_REASON,
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
            protect=lambda: protected_survival.incidence_plan(
                lambda: self._frame(
                    cohort, endpoint=request.endpoint, grouping=grouping, allow_empty=True
                ),
                groups=self._group_levels(cohort, grouping),
                grid=self._grid,
                request=request,
                endpoint=request.endpoint.definition().name,
                origin=request.endpoint.as_origin().label,
                floor=self._floor,
                identity=LifeTableRequest(
                    cohort.filter, request.endpoint, grouping, strata=None, kinds=2
                ),
            ),
            scores=grouping.score_versions(),
        )

    @property
    def _grid(self) -> Grid:
        settings = self.ledger.settings
        return Grid.of(settings.interval_days, settings.horizon_days)

    def _group_levels(self, cohort: Cohort, grouping: Grouping) -> tuple[str | None, ...]:
        """The public groups of a protected survival or incidence answer (user-defined
        groups: their names, from the request; patients in none are counted as excluded)."""
        if grouping.groups:
            return grouping.names
        if grouping.attribute is not None:
            require_single_valued([grouping.attribute], use="groupBy")
            return self._levels(grouping.attribute, cohort.lake_version)
        if grouping.score is not None:
            return score_levels(score(grouping.score))
        if grouping.exposure is not None:
            return EXPOSURE_GROUPS
        if grouping.cuts is not None:
            return grouping.cuts.labels()  # from the request: public; unknown values excluded
        return (None,)

    def cox(self, caller: Caller, cohort: Cohort, *, request: CoxRequest) -> Released[CoxSummary]:
        """A Cox model of an endpoint on chosen covariates over ``cohort``."""
        strata = [] if request.strata is None else [request.strata]

        def compute() -> CoxSummary:
            frame = self._model_frame(
                cohort,
                request.terms,
                request.endpoint,
                use="coxModel",
                strata=strata,
                grouping=Grouping(groups=request.groups) if request.groups else None,
                delayed_entry=request.delayed_entry,
            )
            return cox_summary(frame, request, min_cell=self.policy.min_cell_size)

        return self._aggregate(
            caller,
            cohort,
            CohortCoxRequest(cohort.filter, request),
            compute,
            disclose=disclose_model,
            protect=None,
            scores=sorted(
                {
                    *request.terms.of_source("score"),
                    *Grouping(groups=request.groups).score_versions(),
                }
            ),
        )

    def fine_gray(
        self, caller: Caller, cohort: Cohort, *, request: FineGrayRequest
    ) -> Released[FineGraySummary]:
        """A Fine-Gray subdistribution hazards model of one cause over ``cohort``."""
        return self._aggregate(
            caller,
            cohort,
            CohortFineGrayRequest(cohort.filter, request),
            lambda: fine_gray_summary(
                self._model_frame(cohort, request.terms, request.endpoint, use="fineGray"),
                request,
                min_cell=self.policy.min_cell_size,
            ),
            disclose=disclose_model,
            protect=None,
            scores=request.terms.of_source("score"),
        )

    def _model_frame(
        self,
        cohort: Cohort,
        terms: ModelTerms,
        endpoint: EndpointKey,
        *,
        use: str,
        strata: Sequence[str] = (),
        grouping: Grouping | None = None,
        delayed_entry: bool = False,
    ) -> pl.DataFrame:
        """The endpoint and every column a regression model reads, one row per patient."""
        categorical = [*terms.of_source("attribute"), *strata]
        require_single_valued(categorical, use=use)
        return self._frame(
            cohort,
            attributes=[*terms.numeric(), *categorical],
            scores=terms.of_source("score"),
            endpoint=endpoint,
            grouping=grouping,
            delayed_entry=delayed_entry,
        )

    def exposure_effect(
        self, caller: Caller, cohort: Cohort, *, request: ExposureEffectRequest
    ) -> Released[ExposureEffectSummary]:
        """A time-dependent exposure's Cox model, Mantel-Byar test and Simon-Makuch curves."""
        return self._aggregate(
            caller,
            cohort,
            CohortExposureEffectRequest(cohort.filter, request),
            lambda: exposure_effect(
                self._frame(cohort, endpoint=request.endpoint, exposure=request.exposure),
                request,
            ),
            disclose=disclose_exposure_effect,
            protect=None,
            unprotected_reason=EXPOSURE_EFFECT_REASON,
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
            protect=None,
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
            disclose=lambda records: tuple(_site_record(caller, r) for r in records),
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
        """Quarantined rows counted by site, table and check.

        Exact for governed roles and for a data manager's own site. Other sites reach a
        protected role as one noisy count per site of the patients with a quarantined row
        (:func:`lake.privacy.counts.quality_plan`), table and check left null.
        """
        exact = self._metadata(
            caller,
            lake_version,
            MetadataRequest("data_quality", site),
            lambda s: meta.data_quality(scan_or_empty(s, "_quarantine").collect(), site=site),
        )
        if caller.access == "governed":
            return exact
        version = exact.provenance.lake_version
        own = tuple(q for q in exact.value if allowed(caller, "site_operations", site=q.site))
        others = [
            s
            for s in self._sites(version)
            if (site is None or s == site) and not allowed(caller, "site_operations", site=s)
        ]
        if not others:
            return Released(value=own, provenance=exact.provenance)
        snapshot = self._delta(version)
        noisy = self._protected(
            caller,
            version,
            MetadataRequest(f"data_quality_protected:{','.join(others)}", site),
            lambda: protected.quality_plan(
                lambda: scan_or_empty(snapshot, "_quarantine").collect(),
                sites=others,
                floor=self._floor,
            ),
            scores=(),
        )
        return Released(value=own + noisy.value, provenance=noisy.provenance)

    def privacy_budgets(self, caller: Caller) -> BudgetView:
        """Privacy spend this period: every user's for administrators, one's own otherwise.

        Read from the ledger on every call (not a lake result: no provenance, not cached);
        audited like any metadata read.
        """
        check_access(caller, "lake_metadata")
        everyone = caller.role == "admin"
        request = MetadataRequest("privacy_budgets", None)
        self._auditor(caller, request, query_hash(request), None, access=caller.access)("ok")
        users = (
            self.ledger.user_balances()
            if everyone
            else ((caller.user, self.ledger.user_balance(caller.user)),)
        )
        return BudgetView(deployment=self.ledger.deployment_balance(), users=users)

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

    # -- value grading ------------------------------------------------------------------------

    def value_grade(self, caller: Caller, study: Comparison | SingleArmStudy) -> Grade:
        """The ESMO-MCBS v1.1 grade of published summary statistics typed by the caller.

        No lake data is read, so any role may ask; the request is audited like every query.
        """
        request = ValueGradeRequest(study)
        audit = self._auditor(caller, request, query_hash(request), None, access=caller.access)
        grade = (
            grade_comparison(study, self.value_rules)
            if isinstance(study, Comparison)
            else grade_single_arm(study, self.value_rules)
        )
        audit("ok")
        return grade

    def value_from_lake(
        self, caller: Caller, cohort: Cohort, *, request: RealWorldRequest
    ) -> Released[RealWorldComparison]:
        """An ESMO-MCBS grade of two groups of ``cohort`` compared by the engine, the control
        propensity weighted (:mod:`lake.value.real_world`); governed roles only."""
        grouping = request.grouping
        require_single_valued(request.categorical, use="balanceCategorical")
        return self._aggregate(
            caller,
            cohort,
            CohortValueRequest(cohort.filter, request),
            lambda: compare_groups(
                self._frame(
                    cohort,
                    attributes=[*request.numeric, *request.categorical],
                    endpoint=request.endpoint,
                    grouping=grouping,
                ),
                request,
                self.value_rules,
            ),
            disclose=disclose_real_world,
            protect=None,
            scores=grouping.score_versions(),
            unprotected_reason=VALUE_REASON,
        )


@dataclass(frozen=True, slots=True)
class ValueGradeRequest:
    """Normalised request: summary statistics to grade (audited by its hash)."""

    study: Comparison | SingleArmStudy


@dataclass(frozen=True, slots=True)
class BudgetView:
    """Privacy spend in the current period: the deployment's and each user's shown."""

    deployment: Balance
    users: tuple[tuple[str, Balance], ...]


def privacy_release(noise: Noise, receipt: Receipt) -> PrivacyRelease:
    """What provenance says of a protected release received by one caller."""
    return PrivacyRelease(
        mechanism=noise.mechanism,
        epsilon=noise.epsilon,
        sensitivity=noise.sensitivity,
        scale=noise.scale,
        margin=noise.margin,
        charged=receipt.charged,
        user_spent=receipt.user.spent,
        user_budget=receipt.user.budget,
        user_remaining=receipt.user.remaining,
        period_ends=receipt.user.period_ends,
    )


def _site_record(caller: Caller, record: meta.SiteRecord) -> meta.SiteRecord:
    """A site's record as ``caller`` may see it: full for its operators; without the failed
    loads' messages for others; and without row counts (quarantine counts of one load) for
    protected roles, which read them, noised, from ``dataQuality``."""
    if allowed(caller, "site_operations", site=record.site):
        return record
    shown = meta.without_messages(record)
    return shown if caller.access == "governed" else meta.without_counts(shown)


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
