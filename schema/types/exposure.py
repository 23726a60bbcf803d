"""The effect of a time-dependent exposure as a GraphQL type."""

from __future__ import annotations

import strawberry
from lake.cohort import exposure_effect as ee
from lake.query.release import Released

from schema.types.provenance import Provenance
from schema.types.regression import ModelCoefficient
from schema.types.survival import ChiSquareTest, SurvivalGroup, TimeUnit

#: The exposure's column is an indicator: exposed against the reference, unexposed.
EXPOSED_UNIT = "vs unexposed"


@strawberry.type(
    description="A dated exposure as a time-varying covariate (counting-process data, R tmerge): "
    "each patient is unexposed from time zero to the exposure and exposed after it, so no "
    "patient is credited with the time before their exposure (no immortal-time bias)."
)
class ExposureEffect:
    endpoint: str = strawberry.field(description="Endpoint name.")
    origin: str = strawberry.field(description="Time zero (origin, with landmark if any).")
    exposure: str = strawberry.field(description="The exposure, e.g. first allogeneic transplant.")
    time_unit: TimeUnit = strawberry.field(description="Unit of every time.")
    n: int | None = strawberry.field(description="Patients analysed (null when withheld).")
    events: int | None = strawberry.field(description="Events among them (null when withheld).")
    exposed: int | None = strawberry.field(
        description="Patients exposed during follow-up, at time zero included (null when withheld)."
    )
    excluded: int | None = strawberry.field(
        description="Cohort patients without the endpoint or followed for no time after time "
        "zero (null when withheld)."
    )
    hazard_ratio: ModelCoefficient = strawberry.field(
        description="Exposed vs unexposed, Cox model with the exposure as a time-varying "
        "covariate: R coxph(Surv(tstart, tstop, status) ~ exposed), Efron ties."
    )
    likelihood_ratio: ChiSquareTest = strawberry.field(description="Likelihood-ratio test.")
    wald: ChiSquareTest = strawberry.field(description="Wald test.")
    score: ChiSquareTest = strawberry.field(description="Score test of the Cox model (Efron).")
    mantel_byar: ChiSquareTest = strawberry.field(
        description="Mantel-Byar test: the log-rank on the time-varying groups, U = sum over "
        "event times of d1 - d n1/n, V = sum of d (n - d)/(n - 1) (n1/n)(1 - n1/n), chi-square "
        "U^2/V on 1 df (each patient at risk in the group they are in at t). It equals "
        "coxph(Surv(tstart, tstop, status) ~ exposed, ties = 'exact')$score, and the score "
        "test above when no event times are tied."
    )
    curves: list[SurvivalGroup] = strawberry.field(
        description="Simon-Makuch curves, unexposed then exposed: Kaplan-Meier on the "
        "counting-process rows, each patient moving from the unexposed risk set to the exposed "
        "one at exposure (R survfit(Surv(tstart, tstop, status) ~ exposed)); n counts the "
        "patients who spend time in the state. They describe staying in one state, not a "
        "group of patients; medianFollowUp is not given."
    )
    provenance: Provenance = strawberry.field(description="Where the numbers come from.")

    @classmethod
    def of(
        cls, released: Released[ee.ExposureEffectSummary], *, asked: tuple[float, ...]
    ) -> ExposureEffect:
        """The GraphQL view of a released exposure effect."""
        v = released.value
        return cls(
            endpoint=v.endpoint,
            origin=v.origin,
            exposure=v.exposure,
            time_unit=TimeUnit(v.time_unit),
            n=v.n,
            events=v.n_events,
            exposed=v.n_exposed,
            excluded=v.n_excluded,
            hazard_ratio=ModelCoefficient.all_of([v.hazard_ratio], [EXPOSED_UNIT])[0],
            likelihood_ratio=ChiSquareTest.of(v.likelihood_ratio),
            wald=ChiSquareTest.of(v.wald),
            score=ChiSquareTest.of(v.score),
            mantel_byar=ChiSquareTest.of(v.mantel_byar),
            curves=[SurvivalGroup.of(c, asked=asked) for c in v.curves],
            provenance=Provenance.of(released.provenance),
        )
