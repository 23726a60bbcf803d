"""Regression models as GraphQL types: Cox (with its proportional-hazards check) and Fine-Gray."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import strawberry
from lake.cohort import fine_gray as fg
from lake.cohort import models as cm
from lake.query.release import Released
from lake.survival import CoxCoefficient, ProportionalHazardsTest
from strawberry.types import Info

from schema.context import Context
from schema.fields import resolver
from schema.figures import PLOT_URL, FigureOptionsInput, plot_url
from schema.inputs.covariates import Ties
from schema.types.models import Concordance
from schema.types.provenance import Provenance
from schema.types.survival import ChiSquareTest, CompetingCause


@strawberry.type(description="One column of a model (a covariate, a level or an interaction).")
class ModelCoefficient:
    name: str = strawberry.field(
        description="The column as R labels it: an attribute or score level reads "
        "attribute=level, a transformed numeric log(x) or log2(x), an interaction a:b."
    )
    unit: str | None = strawberry.field(
        description="What one unit of the column is: 'per 10 years', 'per doubling of U/L', "
        "'per step of I < II < III', 'vs I' (a level against the reference); null for an "
        "interaction (the product of its columns)."
    )
    coef: float = strawberry.field(description="Log hazard ratio (log subdistribution HR).")
    hazard_ratio: float = strawberry.field(
        description="exp(coef): the hazard ratio (Cox) or subdistribution hazard ratio (Fine-Gray)."
    )
    se: float = strawberry.field(
        description="Standard error of coef (Fine-Gray: robust sandwich, as crr)."
    )
    p_value: float = strawberry.field(description="Wald p-value.")
    lower: float = strawberry.field(description="Lower 95 % limit of exp(coef).")
    upper: float = strawberry.field(description="Upper 95 % limit of exp(coef).")

    @classmethod
    def all_of(
        cls, coefficients: Sequence[CoxCoefficient], units: Sequence[str | None]
    ) -> list[ModelCoefficient]:
        """The GraphQL view of a fitted model's coefficients with their units."""
        return [
            cls(
                name=c.name,
                unit=unit,
                coef=c.coef,
                hazard_ratio=c.hazard_ratio,
                se=c.se,
                p_value=c.p_value,
                lower=c.lower,
                upper=c.upper,
            )
            for c, unit in zip(coefficients, units, strict=True)
        ]


@strawberry.type(description="The proportional-hazards test of one term.")
class TermTest:
    term: str = strawberry.field(
        description="The term: a covariate (all its levels together, as R) or an interaction."
    )
    test: ChiSquareTest = strawberry.field(description="Score test, df = the term's columns.")


@strawberry.type(
    description='Test of proportional hazards (R survival 3.5 cox.zph, transform "km"): '
    "score tests of a time-varying coefficient g(t)·x, per term and globally; a small p "
    "suggests the hazard ratio changes over time."
)
class ProportionalHazardsCheck:
    transform: str = strawberry.field(description="g(t): km, 1 - KM(t-) of the pooled data.")
    terms: list[TermTest] = strawberry.field(description="One test per term, in model order.")
    global_test: ChiSquareTest = strawberry.field(description="GLOBAL: every term at once.")

    @classmethod
    def of(cls, test: ProportionalHazardsTest) -> ProportionalHazardsCheck:
        """The GraphQL view of a cox.zph result."""
        return cls(
            transform=test.transform,
            terms=[TermTest(term=t, test=ChiSquareTest.of(r)) for t, r in test.covariates.items()],
            global_test=ChiSquareTest.of(test.global_test),
        )


@strawberry.type(description="A Cox proportional-hazards model (R coxph).")
class CoxModel:
    endpoint: str = strawberry.field(description="Endpoint name.")
    origin: str = strawberry.field(description="Time origin.")
    ties: Ties = strawberry.field(description="Tie handling of the fit.")
    n: int | None = strawberry.field(
        description="Patients with every covariate (complete cases; null when withheld)."
    )
    events: int | None = strawberry.field(description="Events among them (null when withheld).")
    dropped: int | None = strawberry.field(
        description="Patients dropped for a missing covariate (null when withheld)."
    )
    excluded: int | None = strawberry.field(
        description="Cohort patients without the endpoint (null when withheld)."
    )
    coefficients: list[ModelCoefficient] = strawberry.field(
        description="One per model column: covariates in the order given, then interactions."
    )
    likelihood_ratio: ChiSquareTest = strawberry.field(description="Likelihood-ratio test.")
    wald: ChiSquareTest = strawberry.field(description="Wald test.")
    score: ChiSquareTest = strawberry.field(description="Score (log-rank) test.")
    concordance: Concordance | None = strawberry.field(
        description="Harrell's C (computed only when this field is selected)."
    )
    aic: float = strawberry.field(description="AIC = -2 log L + 2k.")
    proportional_hazards: ProportionalHazardsCheck | None = strawberry.field(
        description="The proportional-hazards check (cox.zph), computed only when this field "
        "is selected."
    )
    provenance: Provenance = strawberry.field(description="Where the numbers come from.")

    @classmethod
    def of(cls, released: Released[cm.CoxSummary]) -> CoxModel:
        """The GraphQL view of a released Cox model."""
        v = released.value
        zph = v.proportional_hazards
        return cls(
            endpoint=v.endpoint,
            origin=v.origin,
            ties=Ties(v.ties),
            n=v.n,
            events=v.n_events,
            dropped=v.n_dropped,
            excluded=v.n_excluded,
            coefficients=ModelCoefficient.all_of(v.coefficients, v.units),
            likelihood_ratio=ChiSquareTest.of(v.likelihood_ratio),
            wald=ChiSquareTest.of(v.wald),
            score=ChiSquareTest.of(v.score),
            concordance=None if v.concordance is None else Concordance.of(v.concordance),
            aic=v.aic,
            proportional_hazards=None if zph is None else ProportionalHazardsCheck.of(zph),
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


@strawberry.type(
    description="A Fine-Gray proportional subdistribution hazards model of one cause "
    "(R cmprsk::crr): subdistribution hazard ratios with robust standard errors."
)
class FineGrayModel:
    endpoint: str = strawberry.field(description="Endpoint name.")
    origin: str = strawberry.field(description="Time origin.")
    cause: CompetingCause = strawberry.field(description="The cause modelled.")
    n: int | None = strawberry.field(
        description="Patients with every covariate (complete cases; null when withheld)."
    )
    events: int | None = strawberry.field(
        description="Events of the modelled cause among them (null when withheld)."
    )
    dropped: int | None = strawberry.field(
        description="Patients dropped for a missing covariate (null when withheld)."
    )
    excluded: int | None = strawberry.field(
        description="Cohort patients without the endpoint (null when withheld)."
    )
    coefficients: list[ModelCoefficient] = strawberry.field(
        description="One per model column; hazardRatio is the subdistribution hazard ratio."
    )
    likelihood_ratio: ChiSquareTest = strawberry.field(
        description="Pseudo likelihood-ratio test (summary.crr's logtest)."
    )
    wald: ChiSquareTest = strawberry.field(description="Wald test with the robust variance.")
    converged: bool = strawberry.field(description="Whether crr's iterations converged.")
    provenance: Provenance = strawberry.field(description="Where the numbers come from.")

    @classmethod
    def of(cls, released: Released[fg.FineGraySummary]) -> FineGrayModel:
        """The GraphQL view of a released Fine-Gray model."""
        v = released.value
        return cls(
            endpoint=v.endpoint,
            origin=v.origin,
            cause=CompetingCause(v.cause),
            n=v.n,
            events=v.n_events,
            dropped=v.n_dropped,
            excluded=v.n_excluded,
            coefficients=ModelCoefficient.all_of(v.coefficients, v.units),
            likelihood_ratio=ChiSquareTest.of(v.likelihood_ratio),
            wald=ChiSquareTest.of(v.wald),
            converged=v.converged,
            provenance=Provenance.of(released.provenance),
        )
