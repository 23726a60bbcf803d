"""Kaplan-Meier summaries and the log-rank test as GraphQL types."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from lake.cohort import steps as km
from lake.cohort import survival as cs
from lake.query.release import Released
from lake.survival import QuantileEstimate, StatisticalResult
from strawberry.types import Info

from schema.context import Context
from schema.fields import resolver
from schema.figures import PLOT_URL, FigureOptionsInput, plot_url
from schema.times import as_asked
from schema.types.provenance import Provenance
from schema.types.survival_options import IntervalCounts, ObservedExpected, RestrictedMean


@strawberry.enum(description="Kaplan-Meier endpoints (lake/endpoints definitions).")
class KaplanMeierEndpoint(Enum):
    OS = "OS"
    PFS = "PFS"
    EFS = strawberry.enum_value(
        "EFS",
        description="AML event-free survival (ELN 2022): induction failure at time 0, relapse "
        "or death.",
    )
    RFS = strawberry.enum_value(
        "RFS", description="AML relapse-free survival from complete remission (ELN 2022)."
    )
    GRFS = "GRFS"
    MRFS = strawberry.enum_value(
        "MRFS", description="Molecular relapse-free survival after TKI stop (death = event)."
    )
    MRECTFS = strawberry.enum_value(
        "MRECTFS", description="Molecular recurrence / TKI-free survival (death = event)."
    )


@strawberry.enum(
    description="A cause of a competing-risk endpoint: EVENT, the endpoint's event (NRM: death "
    "without relapse), or COMPETING, its competing event (NRM: relapse)."
)
class CompetingCause(Enum):
    EVENT = "event"
    COMPETING = "competing"


@strawberry.enum(description="Endpoints with a competing event (cumulative incidence).")
class CompetingEndpoint(Enum):
    NRM = strawberry.enum_value("NRM", description="Non-relapse mortality; relapse competes.")
    RELAPSE = strawberry.enum_value("RELAPSE", description="Relapse incidence; death competes.")
    CIR = strawberry.enum_value(
        "CIR",
        description="AML cumulative incidence of relapse from complete remission (ELN 2022); "
        "death in remission competes.",
    )
    AGVHD = strawberry.enum_value("AGVHD", description="Acute GVHD II-IV; death competes.")
    CGVHD = strawberry.enum_value("CGVHD", description="Chronic GVHD; death competes.")
    MRFS_DEATH_COMPETING = strawberry.enum_value(
        "MRFS_DEATH_COMPETING", description="Loss of MMR after TKI stop; death competes."
    )


@strawberry.enum(description="Time zero of the endpoint.")
class TimeOrigin(Enum):
    DIAGNOSIS = "diagnosis"
    TREATMENT_LINE = "treatment_line"
    ALLO_TRANSPLANT = "allo_transplant"
    TKI_STOP = "tki_stop"
    COMPLETE_REMISSION = strawberry.enum_value(
        "complete_remission", description="The first complete remission (RFS, CIR)."
    )


@strawberry.enum(
    description="Unit of times in and out; the lake counts whole days, converted with the "
    "exact factor of each unit: DAYS 1, WEEKS 7, MONTHS 30.4375 (365.25 / 12), YEARS 365.25 "
    "days (a Julian year)."
)
class TimeUnit(Enum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"


@strawberry.enum(description="Confidence band transform, as R survfit(conf.type=).")
class ConfType(Enum):
    LOG = "log"
    LOG_LOG = "log-log"
    PLAIN = "plain"


@strawberry.type(
    description="A survival-time quantile with confidence limits (null: not reached, or beyond "
    "the released curve)."
)
class Quantile:
    probability: float = strawberry.field(
        description="Fraction that has had the event by then (0.5: the median), R quantile() probs."
    )
    estimate: float | None = strawberry.field(description="The quantile (e.g. the median).")
    lower: float | None = strawberry.field(description="Lower confidence limit.")
    upper: float | None = strawberry.field(description="Upper confidence limit.")

    @classmethod
    def of(cls, q: QuantileEstimate) -> Quantile:
        """The GraphQL view of a quantile estimate."""
        return cls(probability=q.probability, estimate=q.estimate, lower=q.lower, upper=q.upper)


@strawberry.type(description="Survival at one requested time.")
class SurvivalPoint:
    time: float = strawberry.field(description="The time, in the requested unit.")
    survival: float | None = strawberry.field(description="Kaplan-Meier S(t).")
    lower: float | None = strawberry.field(description="Lower confidence limit.")
    upper: float | None = strawberry.field(description="Upper confidence limit.")
    n_at_risk: int | None = strawberry.field(description="At risk at t (null when withheld).")
    reason: str | None = strawberry.field(description="Why values are null, if they are.")
    std_err: float | None = strawberry.field(
        description="Standard error of S(t), Greenwood (R summary(fit, times=)$std.err; "
        "survfit()$std.err is that of -log S, i.e. this divided by S)."
    )
    cumulative_hazard: float | None = strawberry.field(
        description="Nelson-Aalen cumulative hazard H(t) = sum of d/n (options.cumulativeHazard; "
        "R summary(fit, times=)$cumhaz)."
    )
    cumulative_hazard_std_err: float | None = strawberry.field(
        description="Standard error of H(t), sqrt(sum of d/n^2) (R $std.chaz)."
    )


@strawberry.type(
    description="One step of the Kaplan-Meier curve: S(t) holds from this time to the next step."
)
class SurvivalStep:
    time: float = strawberry.field(description="Event or censoring time, in the requested unit.")
    survival: float = strawberry.field(description="Kaplan-Meier S(t).")
    lower: float | None = strawberry.field(description="Lower confidence limit.")
    upper: float | None = strawberry.field(description="Upper confidence limit.")
    n_at_risk: int = strawberry.field(description="At risk at this time (at least the cell size).")
    events: int = strawberry.field(description="Events at this time.")
    censored: int = strawberry.field(description="Censored at this time.")

    @classmethod
    def of(cls, step: km.SurvivalStep) -> SurvivalStep:
        """The GraphQL view of a released step."""
        return cls(
            time=step.time,
            survival=step.survival,
            lower=step.lower,
            upper=step.upper,
            n_at_risk=step.n_at_risk,
            events=step.events,
            censored=step.censored,
        )


@strawberry.type(description="Kaplan-Meier summary of one group.")
class SurvivalGroup:
    group: str | None = strawberry.field(description="Group value (null: missing or no grouping).")
    n: int | None = strawberry.field(description="Patients (null when below the cell size).")
    events: int | None = strawberry.field(description="Events (null when withheld).")
    median: Quantile | None = strawberry.field(description="Median with confidence interval.")
    median_follow_up: Quantile | None = strawberry.field(
        description="Median follow-up by the reverse Kaplan-Meier method (Schemper & Smith 1996)."
    )
    at_times: list[SurvivalPoint] = strawberry.field(
        description="Survival at the requested times, in the order asked."
    )
    quartiles: list[Quantile] | None = strawberry.field(
        description="The 25 %, 50 % and 75 % quantiles with confidence limits (options.quartiles"
        "; null when not asked, empty when the group's curve is withheld)."
    )
    restricted_mean: RestrictedMean | None = strawberry.field(
        description="Restricted mean survival time (options.restrictedMeanTau; null when not "
        "asked)."
    )
    intervals: list[IntervalCounts] | None = strawberry.field(
        description="At risk, events and censored per interval (options.intervalEnds; null "
        "when not asked)."
    )
    released_steps: strawberry.Private[km.StepFunction]

    @classmethod
    def of(cls, g: cs.GroupSurvival, *, asked: tuple[float, ...]) -> SurvivalGroup:
        """The GraphQL view of a released group, time points in the order asked."""
        return cls(
            group=g.group,
            n=g.n,
            events=g.events,
            median=None if g.median is None else Quantile.of(g.median),
            median_follow_up=None
            if g.median_follow_up is None
            else Quantile.of(g.median_follow_up),
            at_times=[
                SurvivalPoint(
                    time=p.time,
                    survival=p.survival,
                    lower=p.lower,
                    upper=p.upper,
                    n_at_risk=p.n_at_risk,
                    reason=p.reason,
                    std_err=p.std_err,
                    cumulative_hazard=p.cumulative_hazard,
                    cumulative_hazard_std_err=p.cumulative_hazard_se,
                )
                for p in as_asked(g.at_times, asked)
            ],
            quartiles=None if g.quartiles is None else [Quantile.of(q) for q in g.quartiles],
            restricted_mean=None
            if g.restricted_mean is None
            else RestrictedMean.of(g.restricted_mean),
            intervals=None if g.intervals is None else [IntervalCounts.of(c) for c in g.intervals],
            released_steps=g.steps,
        )

    @resolver(
        description="The Kaplan-Meier step function for plotting, in the requested time unit and "
        "confidence band. Disclosure: it ends before the number at risk falls below the cell "
        "size (earlier if the patients left out would have 1 to cell size - 1 events), and no "
        "time point or quantile beyond its end is released; empty when the group's events are "
        "withheld."
    )
    def steps(self) -> list[SurvivalStep]:
        return [SurvivalStep.of(step) for step in self.released_steps]


@strawberry.type(description="A chi-square test across groups.")
class ChiSquareTest:
    test_name: str = strawberry.field(description="Which test (log-rank, Gray, ...).")
    statistic: float | None = strawberry.field(description="Chi-square statistic.")
    df: int = strawberry.field(description="Degrees of freedom.")
    p_value: float | None = strawberry.field(description="p-value.")
    reason: str | None = strawberry.field(description="Why the test is undefined, if it is.")
    groups: list[str] = strawberry.field(
        description="The groups compared, in order (a trend test scores them 1..K; "
        "NOT_CLASSIFIABLE, NOT_APPLICABLE and missing groups are never levels of a trend)."
    )
    observed_expected: list[ObservedExpected] = strawberry.field(
        description="Per group observed and expected events of a log-rank test (empty for "
        "other tests, and when a group's size or events are withheld)."
    )

    @classmethod
    def of(cls, test: StatisticalResult) -> ChiSquareTest:
        """The GraphQL view of a test result."""
        return cls(
            test_name=test.test_name,
            statistic=test.statistic,
            df=test.df,
            p_value=test.p_value,
            reason=test.reason,
            groups=list(test.groups),
            observed_expected=ObservedExpected.of(test),
        )


@strawberry.type(description="Kaplan-Meier by group and the log-rank test across groups.")
class SurvivalSummary:
    endpoint: str = strawberry.field(description="Endpoint name.")
    origin: str = strawberry.field(description="Time origin.")
    time_unit: TimeUnit = strawberry.field(description="Unit of every time.")
    excluded: int | None = strawberry.field(
        description="Cohort patients without the endpoint (no origin event, or ended before it); "
        "null when withheld."
    )
    groups: list[SurvivalGroup] = strawberry.field(description="One summary per group.")
    logrank: ChiSquareTest | None = strawberry.field(
        description="Log-rank test across groups (2+ groups), stratified when strata are given."
    )
    trend: ChiSquareTest | None = strawberry.field(
        description="Log-rank test for trend across the ordered groups (when asked)."
    )
    weighted_logrank: ChiSquareTest | None = strawberry.field(
        description="The Fleming-Harrington G(rho, gamma) test across groups (options.weights; "
        "stratified like logrank)."
    )
    provenance: Provenance = strawberry.field(description="Where the numbers come from.")

    @classmethod
    def of(
        cls, released: Released[cs.SurvivalSummary], *, asked: tuple[float, ...]
    ) -> SurvivalSummary:
        """The GraphQL view of a released survival summary."""
        value = released.value
        return cls(
            endpoint=value.endpoint,
            origin=value.origin,
            time_unit=TimeUnit(value.time_unit),
            excluded=value.n_excluded,
            groups=[SurvivalGroup.of(g, asked=asked) for g in value.groups],
            logrank=None if value.logrank is None else ChiSquareTest.of(value.logrank),
            trend=None if value.trend is None else ChiSquareTest.of(value.trend),
            weighted_logrank=None if value.weighted is None else ChiSquareTest.of(value.weighted),
            provenance=Provenance.of(released.provenance),
        )

    @resolver(description=PLOT_URL)
    def plot_url(
        self,
        info: Info[Context, None],
        options: Annotated[
            FigureOptionsInput | None, strawberry.argument(description="How to draw it.")
        ] = None,
    ) -> str:
        return plot_url(info, options)
