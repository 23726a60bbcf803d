"""Cumulative incidence and staging comparisons as GraphQL types (Cox and Fine-Gray models:
:mod:`schema.types.regression`)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from lake.cohort import incidence as ci
from lake.cohort import models as cm
from lake.query.release import Released
from lake.survival import ConcordanceResult
from strawberry.types import Info

from schema.context import Context
from schema.fields import resolver
from schema.figures import PLOT_URL, FigureOptionsInput, plot_url
from schema.times import as_asked
from schema.types.provenance import Provenance
from schema.types.survival import ChiSquareTest, CompetingCause, TimeUnit


@strawberry.type(description="F(t) of one cause at one requested time (95 % log(-log) limits).")
class IncidencePoint:
    time: float = strawberry.field(description="The time, in the requested unit.")
    estimate: float | None = strawberry.field(description="Cumulative incidence F(t).")
    lower: float | None = strawberry.field(description="Lower confidence limit.")
    upper: float | None = strawberry.field(description="Upper confidence limit.")
    n_at_risk: int | None = strawberry.field(
        description="Patients of the group at risk at t (null when withheld)."
    )
    reason: str | None = strawberry.field(description="Why values are null, if they are.")


@strawberry.type(
    description="One step of a cause's cumulative incidence: F(t) holds from this time to the "
    "next step."
)
class IncidenceStep:
    time: float = strawberry.field(description="Event or censoring time, in the requested unit.")
    estimate: float = strawberry.field(description="Cumulative incidence F(t) (Aalen-Johansen).")
    lower: float | None = strawberry.field(description="Lower 95 % limit (log(-log), cmprsk).")
    upper: float | None = strawberry.field(description="Upper 95 % limit.")
    n_at_risk: int = strawberry.field(description="At risk at this time (at least the cell size).")
    events: int = strawberry.field(description="Events of this cause at this time.")

    @classmethod
    def of(cls, step: ci.IncidenceStep) -> IncidenceStep:
        """The GraphQL view of a released step."""
        return cls(
            time=step.time,
            estimate=step.estimate,
            lower=step.lower,
            upper=step.upper,
            n_at_risk=step.n_at_risk,
            events=step.events,
        )


@strawberry.type(description="One cause's cumulative incidence in one group.")
class CauseIncidence:
    cause: str = strawberry.field(description="event (of interest) or competing.")
    events: int | None = strawberry.field(description="Events of this cause (null: withheld).")
    at_times: list[IncidencePoint] = strawberry.field(
        description="F(t) at the requested times, in the order asked."
    )
    released_steps: strawberry.Private[tuple[ci.IncidenceStep, ...]]

    @resolver(
        description="The cumulative-incidence step function for plotting, in the requested "
        "time unit (one step per distinct time of the group; a protected release: one per "
        "interval end of its life table). Disclosure as Kaplan-Meier steps: it ends before the "
        "number at risk falls below the cell size (earlier if the patients left out would have "
        "1 to cell size - 1 events or censorings), and is empty when this cause's events are "
        "withheld."
    )
    def steps(self) -> list[IncidenceStep]:
        return [IncidenceStep.of(step) for step in self.released_steps]


@strawberry.type(description="Cumulative incidence of each cause in one group.")
class IncidenceGroup:
    group: str | None = strawberry.field(description="Group value (null: missing or no grouping).")
    n: int | None = strawberry.field(description="Patients (null when below the cell size).")
    causes: list[CauseIncidence] = strawberry.field(description="The event and competing cause.")


@strawberry.type(description="Gray's test comparing one cause's incidence across groups.")
class CauseTest:
    cause: str = strawberry.field(description="event or competing.")
    test: ChiSquareTest = strawberry.field(description="Gray's K-sample test.")


@strawberry.type(description="Cumulative incidence with competing risks (Aalen-Johansen, cmprsk).")
class CumulativeIncidence:
    endpoint: str = strawberry.field(description="Endpoint name.")
    origin: str = strawberry.field(description="Time origin (with landmark, if any).")
    time_unit: TimeUnit = strawberry.field(description="Unit of every time.")
    excluded: int | None = strawberry.field(
        description="Cohort patients without the endpoint (null when withheld)."
    )
    groups: list[IncidenceGroup] = strawberry.field(description="One entry per group.")
    gray_tests: list[CauseTest] = strawberry.field(
        description="Gray's test per cause (statistic null, with the reason, for one group)."
    )
    provenance: Provenance = strawberry.field(description="Where the numbers come from.")

    @classmethod
    def of(
        cls, released: Released[ci.IncidenceSummary], *, asked: tuple[float, ...]
    ) -> CumulativeIncidence:
        """The GraphQL view of a released incidence summary."""
        value = released.value
        return cls(
            endpoint=value.endpoint,
            origin=value.origin,
            time_unit=TimeUnit(value.time_unit),
            excluded=value.n_excluded,
            groups=[
                IncidenceGroup(
                    group=g.group,
                    n=g.n,
                    causes=[
                        CauseIncidence(
                            cause=c.cause,
                            events=c.events,
                            at_times=[
                                IncidencePoint(
                                    time=p.time,
                                    estimate=p.estimate,
                                    lower=p.lower,
                                    upper=p.upper,
                                    n_at_risk=p.n_at_risk,
                                    reason=p.reason,
                                )
                                for p in as_asked(c.at_times, asked)
                            ],
                            released_steps=c.steps,
                        )
                        for c in g.causes
                    ],
                )
                for g in value.groups
            ],
            gray_tests=[CauseTest(cause=c, test=ChiSquareTest.of(t)) for c, t in value.gray_tests],
            provenance=Provenance.of(released.provenance),
        )

    @resolver(description=PLOT_URL)
    def plot_url(
        self,
        info: Info[Context, None],
        options: Annotated[
            FigureOptionsInput | None, strawberry.argument(description="How to draw it.")
        ] = None,
        causes: Annotated[
            list[CompetingCause] | None,
            strawberry.argument(
                description="The causes drawn (default EVENT; the competing cause dashed)."
            ),
        ] = None,
    ) -> str:
        return plot_url(info, options, tuple(c.value for c in causes or ()))


@strawberry.type(description="Harrell's C with its infinitesimal-jackknife 95 % interval.")
class Concordance:
    c_index: float | None = strawberry.field(description="Harrell's C.")
    std_err: float | None = strawberry.field(description="Standard error (R concordance()).")
    lower: float | None = strawberry.field(description="Lower 95 % limit.")
    upper: float | None = strawberry.field(description="Upper 95 % limit.")

    @classmethod
    def of(cls, c: ConcordanceResult) -> Concordance:
        """The GraphQL view of a concordance result."""
        return cls(c_index=c.c_index, std_err=c.std_err, lower=c.lower, upper=c.upper)


@strawberry.type(description="One staging system's discrimination and fit.")
class StagingSystem:
    system: str = strawberry.field(description="Score version id.")
    stages: list[str] = strawberry.field(
        description="Its stages in the score's declared order (first = reference)."
    )
    concordance: Concordance = strawberry.field(description="Harrell's C of the Cox model.")
    lr_statistic: float = strawberry.field(description="Likelihood-ratio chi-square vs null.")
    lr_df: int = strawberry.field(description="Degrees of freedom of the LR test.")
    lr_p_value: float = strawberry.field(description="p-value of the LR test.")
    aic: float = strawberry.field(description="AIC (lower is better).")
    n: int | None = strawberry.field(
        description="Patients (complete cases, the same for every system; null when withheld)."
    )
    events: int | None = strawberry.field(description="Events among them (null when withheld).")


@strawberry.type(description="Staging systems side by side on the patients staged by all.")
class StagingComparison:
    endpoint: str = strawberry.field(description="Endpoint name.")
    origin: str = strawberry.field(description="Time origin.")
    systems: list[StagingSystem] = strawberry.field(description="One row per system.")
    dropped: int | None = strawberry.field(
        description=(
            "Cohort patients not staged by every system or without the endpoint "
            "(null when withheld)."
        )
    )
    provenance: Provenance = strawberry.field(description="Where the numbers come from.")

    @classmethod
    def of(cls, released: Released[cm.StagingSummary]) -> StagingComparison:
        """The GraphQL view of a released comparison."""
        v = released.value
        return cls(
            endpoint=v.endpoint,
            origin=v.origin,
            systems=[
                StagingSystem(
                    system=s.system,
                    stages=list(s.stages),
                    concordance=Concordance.of(s.concordance),
                    lr_statistic=s.lr_statistic,
                    lr_df=s.lr_df,
                    lr_p_value=s.lr_p_value,
                    aic=s.aic,
                    n=v.n,
                    events=v.n_events,
                )
                for s in v.systems
            ],
            dropped=v.n_dropped,
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
