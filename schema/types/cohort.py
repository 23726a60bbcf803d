"""The Cohort type: a view of (lake version, filter); fields ask the lake boundary."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Concatenate, ParamSpec, TypeVar

import strawberry
from lake.access import Caller
from lake.cohort.exposure_effect import ExposureEffectRequest
from lake.cohort.fine_gray import FineGrayRequest
from lake.cohort.incidence import IncidenceRequest
from lake.cohort.models import CoxRequest, StagingRequest
from lake.cohort.survival import SurvivalRequest
from lake.cohort.survival_options import NO_OPTIONS
from lake.errors import HemalakeError
from lake.query.gateway import Cohort as LakeCohort
from lake.value.real_world import RealWorldRequest
from strawberry.types import Info

from schema.context import Context
from schema.dataloaders.cohorts import Key
from schema.distinct import require_distinct
from schema.errors import BadRequestError, public_error
from schema.fields import resolver
from schema.figures import keep_figure
from schema.inputs.cohort_filter import CohortFilterInput
from schema.inputs.covariates import CovariateInput, InteractionInput, Ties, model_terms
from schema.inputs.endpoint import EndpointDefinitionInput, chosen_endpoint
from schema.inputs.exposure import ExposureInput
from schema.inputs.grouping import GroupingInput, grouping, user_groups
from schema.inputs.survival_options import SurvivalOptionsInput
from schema.inputs.time_zero import TimeZeroInput, endpoint_key
from schema.inputs.value import QualityOfLifeDifference, ToxicityDifference, ValueEndpoint
from schema.lake_calls import call_lake
from schema.scores import score_version
from schema.selection import selects, selects_within
from schema.times import checked_times, lake_times
from schema.types.enums import CategoricalAttribute, GroupingAttribute, NumericAttribute
from schema.types.exposure import ExposureEffect
from schema.types.models import CumulativeIncidence, StagingComparison
from schema.types.regression import CoxModel, FineGrayModel
from schema.types.risk import NotClassifiedPolicy, Reclassification, RiskDistribution
from schema.types.summaries import Breakdown, Completeness, Count, Histogram
from schema.types.survival import (
    CompetingCause,
    CompetingEndpoint,
    ConfType,
    KaplanMeierEndpoint,
    SurvivalSummary,
    TimeUnit,
)
from schema.types.value import ComparisonDesign, LakeEsmoGrade

P = ParamSpec("P")
T = TypeVar("T")

# Argument descriptions (defined before the class: its annotations are read when it is built).
SCORE = "A registered risk score: name (e.g. riss) or version id (e.g. riss_palumbo2015)."
SCORES = "Registered risk scores (names or version ids)."
TIME_ZERO = "When the clock starts (omitted: from diagnosis, no landmark)."
GROUP_BY = "The groups compared (omitted: one group, all patients)."
TIMES = (
    "Times (in timeUnit) at which to report estimates; at most 50, none negative. Answered "
    "in the order given, one point per time asked (a repeated time is answered again)."
)
TIME_UNIT = "Unit of every time, requested and answered."
COVARIATES = (
    "The covariates, each once: a categorical attribute or a score (levels against a reference, "
    "or asTrend), or a numeric attribute (optionally transformed). Only complete cases are "
    "modelled."
)
INTERACTIONS = "Product terms between two covariates of the list (answered as a:b, like R)."
DEFINED_ENDPOINT = (
    "A user-defined endpoint instead of the catalogue's `endpoint` (give exactly one)."
)
DELAYED_ENTRY = (
    "Delayed entry (left truncation): count each patient at risk only from their registry "
    "entry (days after the origin; 0 when registered at or before it or without an entry "
    "date), as R Surv(entry, time, status). Patients followed no longer than their entry are "
    "excluded. Governed roles only (exact); protected roles are refused (FORBIDDEN)."
)


@strawberry.type(description="A set of patients selected by a filter on one lake version.")
class Cohort:
    key: strawberry.Private[Key]

    async def _resolve(self, info: Info[Context, None]) -> LakeCohort:
        cohort = await info.context.loaders.cohorts.load(self.key)
        info.context.lake_versions.add(cohort.lake_version)
        return cohort

    async def _ask(
        self,
        info: Info[Context, None],
        query: Callable[Concatenate[Caller, LakeCohort, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``query(caller, cohort, ...)`` on this cohort, off the event loop (see call_lake)."""
        cohort = await self._resolve(info)
        return await call_lake(query, info.context.caller, cohort, *args, **kwargs)

    @resolver(description="Number of patients (null when below the minimum cell size).")
    async def size(self, info: Info[Context, None]) -> Count | None:
        return Count.of(await self._ask(info, info.context.gateway.cohort_size))

    @resolver(description="Counts by the values of a categorical attribute.")
    async def breakdown(
        self,
        info: Info[Context, None],
        attribute: Annotated[
            CategoricalAttribute,
            strawberry.argument(
                description="The attribute to count by (list attributes: a patient counts in "
                "each of their values)."
            ),
        ],
    ) -> Breakdown | None:
        released = await self._ask(info, info.context.gateway.breakdown, attribute=attribute.value)
        return Breakdown.of(released)

    @resolver(description="Equal-width histogram of a numeric attribute.")
    async def histogram(
        self,
        info: Info[Context, None],
        attribute: Annotated[
            NumericAttribute, strawberry.argument(description="The attribute to bin.")
        ],
        bins: Annotated[
            int, strawberry.argument(description="Number of equal-width bins (1 to 100).")
        ] = 10,
        lower: Annotated[
            float | None,
            strawberry.argument(description="Lower edge of the first bin (default: the minimum)."),
        ] = None,
        upper: Annotated[
            float | None,
            strawberry.argument(description="Upper edge of the last bin (default: the maximum)."),
        ] = None,
    ) -> Histogram | None:
        if not 1 <= bins <= 100:
            raise BadRequestError(f"histogram.bins must be between 1 and 100 (got {bins})")
        if lower is not None and upper is not None and not math.isfinite(upper - lower):
            raise BadRequestError(
                f"histogram: lower and upper are too far apart ({lower}, {upper})"
            )
        released = await self._ask(
            info,
            info.context.gateway.histogram,
            attribute=attribute.value,
            bins=bins,
            lower=lower,
            upper=upper,
        )
        return Histogram.of(released)

    @resolver(description="Known / not tested / missing counts of the attributes given.")
    async def completeness(
        self,
        info: Info[Context, None],
        categorical: Annotated[
            list[CategoricalAttribute] | None,
            strawberry.argument(description="Categorical attributes to check."),
        ] = None,
        numeric: Annotated[
            list[NumericAttribute] | None,
            strawberry.argument(description="Numeric attributes to check."),
        ] = None,
    ) -> Completeness | None:
        attributes = tuple(a.value for a in (categorical or [])) + tuple(
            a.value for a in (numeric or [])
        )
        if not attributes:
            raise BadRequestError(
                "completeness: give at least one categorical or numeric attribute"
            )
        require_distinct("completeness", attributes)
        released = await self._ask(info, info.context.gateway.completeness, attributes=attributes)
        return Completeness.of(released)

    @resolver(description="Distribution of a registered risk score, with NOT_CLASSIFIABLE inputs.")
    async def risk(
        self,
        info: Info[Context, None],
        score: Annotated[str, strawberry.argument(description=SCORE)],
    ) -> RiskDistribution | None:
        version = score_version(score)
        released = await self._ask(info, info.context.gateway.risk, score_name=version)
        return RiskDistribution.of(released)

    @resolver(description="Cross-tab of two risk scores and the share of patients that moved.")
    async def reclassification(
        self,
        info: Info[Context, None],
        before: Annotated[
            str, strawberry.argument(description="The score patients move from. " + SCORE)
        ],
        after: Annotated[
            str, strawberry.argument(description="The score patients move to. " + SCORE)
        ],
        not_classified: Annotated[
            NotClassifiedPolicy,
            strawberry.argument(description="How to count patients a score cannot classify."),
        ] = NotClassifiedPolicy.EXCLUDE,
    ) -> Reclassification | None:
        first, second = score_version(before), score_version(after)
        require_distinct("reclassification before and after", (first, second))
        released = await self._ask(
            info,
            info.context.gateway.reclassification,
            before=first,
            after=second,
            not_classified=not_classified.value,
        )
        return Reclassification.of(released)

    @resolver(
        description="Kaplan-Meier summaries by group with log-rank (plain, stratified, trend) "
        "and median follow-up (cost 10)."
    )
    async def survival(
        self,
        info: Info[Context, None],
        *,
        endpoint: Annotated[
            KaplanMeierEndpoint | None,
            strawberry.argument(description="The Kaplan-Meier endpoint of the catalogue."),
        ] = None,
        defined_endpoint: Annotated[
            EndpointDefinitionInput | None, strawberry.argument(description=DEFINED_ENDPOINT)
        ] = None,
        time_zero: Annotated[
            TimeZeroInput | None, strawberry.argument(description=TIME_ZERO)
        ] = None,
        group_by: Annotated[GroupingInput | None, strawberry.argument(description=GROUP_BY)] = None,
        strata: Annotated[
            GroupingAttribute | None,
            strawberry.argument(description="Stratify the log-rank test by this attribute."),
        ] = None,
        trend: Annotated[
            bool,
            strawberry.argument(
                description="Also test for trend across the groups in their declared order "
                "(a risk score or an ordinal attribute such as cmlPhase; not a nominal one)."
            ),
        ] = False,
        times: Annotated[list[float] | None, strawberry.argument(description=TIMES)] = None,
        time_unit: Annotated[TimeUnit, strawberry.argument(description=TIME_UNIT)] = (
            TimeUnit.MONTHS
        ),
        conf_type: Annotated[
            ConfType,
            strawberry.argument(description="Transform of the confidence bands (R conf.type)."),
        ] = ConfType.LOG,
        options: Annotated[
            SurvivalOptionsInput | None,
            strawberry.argument(
                description="Quartiles, Nelson-Aalen, restricted mean, counts per interval, "
                "Fleming-Harrington weights: each computed only when asked."
            ),
        ] = None,
        delayed_entry: Annotated[bool, strawberry.argument(description=DELAYED_ENTRY)] = False,
    ) -> SurvivalSummary | None:
        asked = checked_times(times)
        request = SurvivalRequest(
            endpoint=chosen_endpoint(endpoint, defined_endpoint, time_zero, competing=False),
            grouping=grouping(group_by),
            times=lake_times(asked),
            time_unit=time_unit.value,
            conf_type=conf_type.value,
            strata=None if strata is None else strata.value,
            trend=trend,
            options=NO_OPTIONS if options is None else options.to_options(),
            delayed_entry=delayed_entry,
            follow_up=selects_within(info, "groups", "medianFollowUp"),
        )
        released = await self._ask(info, info.context.gateway.survival, request=request)
        keep_figure(info, released)
        return SurvivalSummary.of(released, asked=asked)

    @resolver(description="Cumulative incidence with competing risks and Gray's test (cost 10).")
    async def cumulative_incidence(
        self,
        info: Info[Context, None],
        *,
        endpoint: Annotated[
            CompetingEndpoint | None,
            strawberry.argument(description="The catalogue endpoint with a competing event."),
        ] = None,
        defined_endpoint: Annotated[
            EndpointDefinitionInput | None, strawberry.argument(description=DEFINED_ENDPOINT)
        ] = None,
        time_zero: Annotated[
            TimeZeroInput | None, strawberry.argument(description=TIME_ZERO)
        ] = None,
        group_by: Annotated[GroupingInput | None, strawberry.argument(description=GROUP_BY)] = None,
        times: Annotated[list[float] | None, strawberry.argument(description=TIMES)] = None,
        time_unit: Annotated[TimeUnit, strawberry.argument(description=TIME_UNIT)] = (
            TimeUnit.MONTHS
        ),
    ) -> CumulativeIncidence | None:
        asked = checked_times(times)
        request = IncidenceRequest(
            endpoint=chosen_endpoint(endpoint, defined_endpoint, time_zero, competing=True),
            grouping=grouping(group_by),
            times=lake_times(asked),
            time_unit=time_unit.value,
        )
        released = await self._ask(info, info.context.gateway.incidence, request=request)
        keep_figure(info, released)
        return CumulativeIncidence.of(released, asked=asked)

    @resolver(
        description="A Cox model with the chosen covariates (complete cases, cost 10). "
        "Governed roles only (exact); protected roles are refused (FORBIDDEN)."
    )
    async def cox_model(
        self,
        info: Info[Context, None],
        *,
        endpoint: Annotated[
            KaplanMeierEndpoint | None,
            strawberry.argument(description="The catalogue endpoint modelled."),
        ] = None,
        defined_endpoint: Annotated[
            EndpointDefinitionInput | None, strawberry.argument(description=DEFINED_ENDPOINT)
        ] = None,
        covariates: Annotated[
            list[CovariateInput] | None, strawberry.argument(description=COVARIATES)
        ] = None,
        interactions: Annotated[
            list[InteractionInput] | None, strawberry.argument(description=INTERACTIONS)
        ] = None,
        time_zero: Annotated[
            TimeZeroInput | None, strawberry.argument(description=TIME_ZERO)
        ] = None,
        strata: Annotated[
            GroupingAttribute | None,
            strawberry.argument(description="Stratify the baseline hazard by this attribute."),
        ] = None,
        ties: Annotated[
            Ties, strawberry.argument(description="How tied event times are handled.")
        ] = Ties.EFRON,
        delayed_entry: Annotated[bool, strawberry.argument(description=DELAYED_ENTRY)] = False,
        group_by: Annotated[
            GroupingInput | None,
            strawberry.argument(
                description="User-defined groups (groupBy.groups only) as one categorical "
                "covariate `group`, dummy-coded against the first group; patients in no group "
                "are excluded. Attributes and scores enter as categorical / scores."
            ),
        ] = None,
    ) -> CoxModel | None:
        groups = user_groups(group_by, field="coxModel.groupBy")
        terms = model_terms(covariates or [], interactions, groups=tuple(g.name for g in groups))
        request = CoxRequest(
            endpoint=chosen_endpoint(endpoint, defined_endpoint, time_zero, competing=False),
            terms=terms,
            strata=None if strata is None else strata.value,
            delayed_entry=delayed_entry,
            ties=ties.value,
            proportional_hazards=selects(info, "proportionalHazards"),
            concordance=selects(info, "concordance"),
            groups=groups,
        )
        require_distinct(
            "coxModel covariates and strata", (*terms.of_source("attribute"), request.strata)
        )
        released = await self._ask(info, info.context.gateway.cox, request=request)
        keep_figure(info, released)
        return CoxModel.of(released)

    @resolver(
        description="ESMO-MCBS v1.1 grade of two groups of this cohort compared by the engine: "
        "the control balanced on the experimental group by propensity weighting (ATT), weighted "
        "Cox HR (robust CI), weighted Kaplan-Meier medians and 2/3/5-year landmarks, balance "
        "diagnostics, the evidence level in the label (cost 10). Governed roles only (exact, "
        "patient-level weights); protected roles are refused (FORBIDDEN)."
    )
    async def esmo_mcbs(
        self,
        info: Info[Context, None],
        *,
        experimental: Annotated[
            CohortFilterInput,
            strawberry.argument(description="The experimental group (first match)."),
        ],
        control: Annotated[
            CohortFilterInput, strawberry.argument(description="The control group.")
        ],
        design: Annotated[
            ComparisonDesign,
            strawberry.argument(description="Two arms, or a single arm vs an external control."),
        ] = ComparisonDesign.ARMS,
        endpoint: Annotated[
            ValueEndpoint, strawberry.argument(description="OS (Form 2a) or PFS (Form 2b).")
        ] = ValueEndpoint.OS,
        time_zero: Annotated[
            TimeZeroInput | None, strawberry.argument(description=TIME_ZERO)
        ] = None,
        balance_numeric: Annotated[
            list[NumericAttribute] | None,
            strawberry.argument(description="Numeric covariates of the propensity model."),
        ] = None,
        balance_categorical: Annotated[
            list[GroupingAttribute] | None,
            strawberry.argument(description="Categorical covariates (one indicator per level)."),
        ] = None,
        toxicity: Annotated[
            ToxicityDifference,
            strawberry.argument(description="Grade 3-4 toxicity difference (not in the lake)."),
        ] = ToxicityDifference.NOT_REPORTED,
        quality_of_life: Annotated[
            QualityOfLifeDifference,
            strawberry.argument(description="Quality-of-life difference (not in the lake)."),
        ] = QualityOfLifeDifference.NOT_REPORTED,
    ) -> LakeEsmoGrade | None:
        try:
            request = RealWorldRequest(
                endpoint=endpoint_key(endpoint.value.upper(), time_zero),
                experimental=experimental.to_filter(),
                control=control.to_filter(),
                design=design.value,
                numeric=tuple(a.value for a in balance_numeric or ()),
                categorical=tuple(a.value for a in balance_categorical or ()),
                toxicity=toxicity.value,
                quality_of_life=quality_of_life.value,
            )
        except HemalakeError as error:
            raise public_error(error) from error
        released = await self._ask(info, info.context.gateway.value_from_lake, request=request)
        return LakeEsmoGrade.of(released)

    @resolver(
        description="A Fine-Gray subdistribution hazards model of one cause of a competing "
        "endpoint (R cmprsk::crr; complete cases, cost 10). Governed roles only (exact); "
        "protected roles are refused (FORBIDDEN)."
    )
    async def fine_gray(
        self,
        info: Info[Context, None],
        *,
        endpoint: Annotated[
            CompetingEndpoint,
            strawberry.argument(description="The endpoint with a competing event."),
        ],
        covariates: Annotated[list[CovariateInput], strawberry.argument(description=COVARIATES)],
        interactions: Annotated[
            list[InteractionInput] | None, strawberry.argument(description=INTERACTIONS)
        ] = None,
        time_zero: Annotated[
            TimeZeroInput | None, strawberry.argument(description=TIME_ZERO)
        ] = None,
        cause: Annotated[
            CompetingCause,
            strawberry.argument(
                description="The cause whose subdistribution hazard is modelled (the other "
                "competes)."
            ),
        ] = CompetingCause.EVENT,
    ) -> FineGrayModel | None:
        request = FineGrayRequest(
            endpoint=endpoint_key(endpoint.name, time_zero),
            terms=model_terms(covariates, interactions),
            cause=cause.value,
        )
        released = await self._ask(info, info.context.gateway.fine_gray, request=request)
        return FineGrayModel.of(released)

    @resolver(
        description="The effect of a dated exposure (a transplant, a treatment line, an event) "
        "on an endpoint without immortal-time bias: Cox model with the exposure as a "
        "time-varying covariate, Mantel-Byar test and Simon-Makuch curves (cost 10). Governed "
        "roles only; protected roles are refused (FORBIDDEN)."
    )
    async def exposure_effect(
        self,
        info: Info[Context, None],
        *,
        endpoint: Annotated[
            KaplanMeierEndpoint | None,
            strawberry.argument(description="The Kaplan-Meier endpoint of the catalogue."),
        ] = None,
        defined_endpoint: Annotated[
            EndpointDefinitionInput | None, strawberry.argument(description=DEFINED_ENDPOINT)
        ] = None,
        exposure: Annotated[
            ExposureInput,
            strawberry.argument(description="The exposure whose status changes in follow-up."),
        ],
        time_zero: Annotated[
            TimeZeroInput | None, strawberry.argument(description=TIME_ZERO)
        ] = None,
        times: Annotated[list[float] | None, strawberry.argument(description=TIMES)] = None,
        time_unit: Annotated[TimeUnit, strawberry.argument(description=TIME_UNIT)] = (
            TimeUnit.MONTHS
        ),
        conf_type: Annotated[
            ConfType,
            strawberry.argument(description="Transform of the confidence bands (R conf.type)."),
        ] = ConfType.LOG,
    ) -> ExposureEffect | None:
        asked = checked_times(times)
        request = ExposureEffectRequest(
            endpoint=chosen_endpoint(endpoint, defined_endpoint, time_zero, competing=False),
            exposure=exposure.to_exposure(argument="exposure"),
            times=lake_times(asked),
            time_unit=time_unit.value,
            conf_type=conf_type.value,
        )
        released = await self._ask(info, info.context.gateway.exposure_effect, request=request)
        return ExposureEffect.of(released, asked=asked)

    @resolver(description="Risk scores compared as staging systems: C-index, LR, AIC (cost 10).")
    async def staging_comparison(
        self,
        info: Info[Context, None],
        *,
        scores: Annotated[
            list[str], strawberry.argument(description="The staging systems compared. " + SCORES)
        ],
        endpoint: Annotated[
            KaplanMeierEndpoint,
            strawberry.argument(description="The endpoint the systems are compared on."),
        ] = KaplanMeierEndpoint.OS,
        time_zero: Annotated[
            TimeZeroInput | None, strawberry.argument(description=TIME_ZERO)
        ] = None,
    ) -> StagingComparison | None:
        request = StagingRequest(
            endpoint=endpoint_key(endpoint.name, time_zero),
            scores=tuple(score_version(s) for s in scores),
        )
        require_distinct("stagingComparison scores", request.scores)
        released = await self._ask(info, info.context.gateway.staging, request=request)
        keep_figure(info, released)
        return StagingComparison.of(released)
