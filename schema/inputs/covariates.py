"""The right-hand side of a regression model: the covariate input shared by coxModel and fineGray.

``covariates: [CovariateInput!]!`` names each covariate once, as exactly one of a categorical
``attribute``, a risk ``score`` or a ``numeric`` attribute; ``interactions: [InteractionInput!]``
adds product terms between two of them. Both become one :class:`lake.cohort.covariates.ModelTerms`
here, so the two fields offer the same model language, declared once in the SDL.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

import strawberry
from lake.cohort.covariates import Covariate, Interaction, Levelled, ModelTerms, Numeric
from lake.cohort.risk import score
from lake.errors import HemalakeError

from schema.errors import BadRequestError, public_error
from schema.scores import score_version
from schema.types.enums import GroupingAttribute, NumericAttribute

SCORE = "A registered risk score: name (e.g. riss) or version id (e.g. riss_palumbo2015)."


@strawberry.enum(
    description="How a numeric covariate enters a model: NONE as measured (per 1 unit), LOG "
    "natural log and LOG2 log base 2 (per doubling; both need values > 0), PER_UNITS per `per` "
    "units, e.g. per 10 years (R I(x/10))."
)
class NumericTransform(Enum):
    NONE = "none"
    LOG = "log"
    LOG2 = "log2"
    PER_UNITS = "per"


@strawberry.enum(
    description="How tied event times enter the Cox partial likelihood (R ties=): EFRON "
    "(Efron 1977, R's default) or BRESLOW (Breslow 1974)."
)
class Ties(Enum):
    EFRON = "efron"
    BRESLOW = "breslow"


@strawberry.input(
    description="One covariate of a model: give exactly one of attribute, score, numeric. "
    "Categories are indicators against a reference level (R factor); asTrend makes an ordinal "
    "attribute or a score one linear term over its declared order; numeric values may be "
    "transformed."
)
class CovariateInput:
    attribute: GroupingAttribute | None = strawberry.field(
        default=None, description="A categorical attribute with one value per patient."
    )
    score: str | None = strawberry.field(
        default=None, description="A risk score's categories (non-results are missing). " + SCORE
    )
    numeric: NumericAttribute | None = strawberry.field(
        default=None, description="A numeric attribute (a linear term, see transform)."
    )
    reference: str | None = strawberry.field(
        default=None,
        description="attribute or score: the reference level, one of its codes as the "
        'dictionary spells them (e.g. "F", "II"); omitted: a score\'s lowest-risk '
        "category, an attribute's first declared code.",
    )
    as_trend: bool = strawberry.field(
        default=False,
        description="attribute or score: one linear term scoring the ordered levels 1..K "
        "(a score, or an ordinal attribute such as cmlPhase); levels off the scale are missing.",
    )
    transform: NumericTransform = strawberry.field(
        default=NumericTransform.NONE, description="numeric: how the value enters the model."
    )
    per: float | None = strawberry.field(
        default=None, description="numeric with transform PER_UNITS: the units per step (> 0)."
    )

    def to_covariate(self) -> Covariate:
        """The lake covariate; an inconsistent combination is a bad request naming it."""
        given = [n for n, v in self._kinds() if v is not None]
        if len(given) != 1:
            raise BadRequestError(
                "covariates: give exactly one of attribute, score, numeric per covariate "
                f"(got {', '.join(given) or 'none'})"
            )
        if self.numeric is not None:
            if self.reference is not None or self.as_trend:
                raise BadRequestError(
                    f"covariates: {self.numeric.value} is numeric; reference and asTrend "
                    "apply to attribute and score covariates"
                )
            per_units = self.transform is NumericTransform.PER_UNITS
            if per_units != (self.per is not None):
                raise BadRequestError(
                    f"covariates: {self.numeric.value}: give per exactly with transform PER_UNITS"
                )
            return Numeric(self.numeric.value, self.transform.value, self.per or 1.0)
        if self.transform is not NumericTransform.NONE or self.per is not None:
            raise BadRequestError("covariates: transform and per apply to numeric covariates only")
        if self.attribute is not None:
            return Levelled("attribute", self.attribute.value, self.reference, self.as_trend)
        return Levelled("score", score_version(self.score or ""), self.reference, self.as_trend)

    def aliases(self) -> set[str]:
        """The names an interaction may use for this covariate: enum name or code; a score's
        name as given, its name or version id."""
        if self.score is not None:
            declared = score(score_version(self.score))
            return {self.score, declared.name, declared.version}
        value = self.attribute or self.numeric
        return set() if value is None else {value.name, value.value}

    def _kinds(self) -> list[tuple[str, object]]:
        return [("attribute", self.attribute), ("score", self.score), ("numeric", self.numeric)]


@strawberry.input(
    description="Product terms between two covariates of the list, answered as a:b (R). Name "
    "each as given: an attribute (SEX or sex), a numeric attribute, a score (riss)."
)
class InteractionInput:
    a: str = strawberry.field(description="The first covariate.")
    b: str = strawberry.field(description="The second covariate.")


def model_terms(
    covariates: Sequence[CovariateInput],
    interactions: Sequence[InteractionInput] | None,
    *,
    groups: tuple[str, ...] = (),
) -> ModelTerms:
    """The lake's model terms; a covariate or interaction the lake refuses is a bad request.

    User-defined ``groups`` (their names, in order) come first, as the categorical covariate
    ``group`` against the first group.
    """
    try:
        built: list[Covariate] = [c.to_covariate() for c in covariates]
        names: dict[str, str] = {}
        for given, lake in zip(covariates, built, strict=True):
            names.update(dict.fromkeys(given.aliases(), lake.name))
        if groups:
            built.insert(0, Levelled(source="groups", name="group", names=groups))
            names["group"] = "group"

        def named(side: str) -> str:
            if side not in names:
                raise BadRequestError(
                    f"interactions: {side} is not a covariate of the model (covariates: "
                    f"{', '.join(c.name for c in built)})"
                )
            return names[side]

        return ModelTerms(
            covariates=tuple(built),
            interactions=tuple(Interaction(named(i.a), named(i.b)) for i in interactions or []),
        )
    except HemalakeError as error:
        raise public_error(error) from error
