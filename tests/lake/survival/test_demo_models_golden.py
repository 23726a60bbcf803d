"""The lake's model glue (lake.cohort.covariates, cox_summary, fine_gray_summary) against R.

The demo lake's model cohorts (golden/inputs/demo_mm_os_cov.csv, demo_allo_nrm_cov.csv) are
shaped as the service's cohort frame (scores as their category struct, attributes by their
model names) and fitted through the same functions the gateway calls; every number equals
golden/models.json (R survival 3.5.3 coxph / cox.zph, cmprsk 2.2.11 crr) to 1e-6. The
reparametrisation tests check what a covariate's coding must not change.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import polars as pl
import pytest

from lake.cohort.covariates import Interaction, Levelled, ModelTerms, Numeric, Transform
from lake.cohort.endpoints import EndpointKey
from lake.cohort.fine_gray import FineGrayRequest, fine_gray_summary
from lake.cohort.models import CoxRequest, CoxSummary, cox_summary
from lake.errors import AnalysisError
from lake.survival._typing import Ties
from tests.lake.survival.conftest import GOLDEN, as_array

OS = EndpointKey(endpoint="OS", origin="diagnosis")
NRM = EndpointKey(endpoint="NRM", origin="allo_transplant")
RISS = "riss_palumbo2015"
ISS = "iss_greipp2005"


def _score(column: str, version: str) -> pl.Expr:
    return pl.struct(pl.col(column).alias("category")).alias(version)


@pytest.fixture(scope="module")
def mm() -> pl.DataFrame:
    """Myeloma OS rows as the cohort frame holds them."""
    d = pl.read_csv(GOLDEN / "inputs" / "demo_mm_os_cov.csv")
    return d.select(
        _score("riss", RISS),
        _score("iss", ISS),
        time_days=pl.col("time").cast(pl.Float64),
        status="status",
        sex="sex",
        age_at_diagnosis="age",
        beta2m_mg_l="b2m",
    )


@pytest.fixture(scope="module")
def models() -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = json.loads((GOLDEN / "models.json").read_text())
    return cases


def _cox(frame: pl.DataFrame, *covariates: Any, **options: Any) -> CoxSummary:
    interactions = options.pop("interactions", ())
    terms = ModelTerms(tuple(covariates), tuple(interactions))
    return cox_summary(frame, CoxRequest(endpoint=OS, terms=terms, **options))


def close(mine: Any, theirs: Any) -> None:
    np.testing.assert_allclose(as_array(mine), as_array(theirs), rtol=1e-6, atol=1e-300)


def _check(fit: CoxSummary, r: dict[str, Any]) -> None:
    assert (fit.n, fit.n_events, fit.ties) == (r["n"], r["events"], r["ties"])
    close([c.coef for c in fit.coefficients], r["coef"])
    close([c.se for c in fit.coefficients], r["se"])
    close(
        [fit.likelihood_ratio.statistic, fit.wald.statistic, fit.score.statistic, fit.aic],
        [r["lr"], r["wald"], r["score"], r["aic"]],
    )
    assert fit.concordance is not None
    close(fit.concordance.c_index, r["concordance"])
    zph = fit.proportional_hazards
    assert zph is not None
    tests = [*zph.covariates.values(), zph.global_test]
    close([t.statistic for t in tests], r["zph_chisq"])
    close([t.p_value for t in tests], r["zph_p"])
    assert [t.df for t in tests] == r["zph_df"]


def test_breslow_with_a_score_as_trend(mm: pl.DataFrame, models: dict[str, Any]) -> None:
    fit = _cox(
        mm,
        Levelled("score", ISS, trend=True),
        Levelled("attribute", "sex"),
        Numeric("age_at_diagnosis"),
        ties="breslow",
        proportional_hazards=True,
    )
    _check(fit, models["mm_os/breslow_trend"])
    assert fit.n_dropped == mm.height - fit.n  # type: ignore[operator]  # NOT_CLASSIFIABLE ISS


def test_reference_per_10_log_and_interaction(mm: pl.DataFrame, models: dict[str, Any]) -> None:
    fit = _cox(
        mm,
        Levelled("score", RISS, reference="II"),
        Numeric("age_at_diagnosis", "per", 10.0),
        Numeric("beta2m_mg_l", "log"),
        Levelled("attribute", "sex"),
        interactions=[Interaction("age_at_diagnosis", "sex")],
        proportional_hazards=True,
    )
    _check(fit, models["mm_os/reference_log_per10_interaction"])
    assert list(fit.proportional_hazards.covariates) == [  # type: ignore[union-attr]
        RISS,
        "age_at_diagnosis",
        "log(beta2m_mg_l)",
        "sex",
        "age_at_diagnosis:sex",
    ]


def test_log2_with_strata(mm: pl.DataFrame, models: dict[str, Any]) -> None:
    fit = _cox(
        mm,
        Numeric("age_at_diagnosis", "log2"),
        Levelled("score", RISS),
        strata="sex",
        proportional_hazards=True,
    )
    _check(fit, models["mm_os/log2_strata"])


@pytest.mark.parametrize(("failcode", "cause"), [(1, "event"), (2, "competing")])
def test_fine_gray_equals_crr(models: dict[str, Any], failcode: int, cause: str) -> None:
    d = pl.read_csv(GOLDEN / "inputs" / "demo_allo_nrm_cov.csv").select(
        time_days=pl.col("time").cast(pl.Float64),
        status="cause",
        disease="disease",
        age_at_diagnosis="age",
    )
    terms = ModelTerms(
        (Levelled("attribute", "disease", reference="AML"), Numeric("age_at_diagnosis", "per", 10))
    )
    fit = fine_gray_summary(d, FineGrayRequest(NRM, terms, cause))  # type: ignore[arg-type]
    r = models[f"allo_nrm/crr{failcode}"]
    assert (fit.n, fit.n_events, fit.converged) == (r["n"], r["events"], r["converged"])
    assert [c.name for c in fit.coefficients] == ["disease=MM", "age_at_diagnosis"]
    for field, column in (("coef", "coef"), ("se", "se"), ("hazard_ratio", "shr")):
        close([getattr(c, field) for c in fit.coefficients], r[column])
    close(fit.likelihood_ratio.statistic, 2 * (r["loglik"] - r["loglik_null"]))


# -- what the coding of a covariate must not change --------------------------------------------


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_another_reference_reparametrises_the_same_model(mm: pl.DataFrame, ties: Ties) -> None:
    """β(level vs II) = β(level vs I) − β(II vs I); ℓ, tests and C unchanged."""
    by_i = _cox(mm, Levelled("score", RISS), ties=ties)
    by_ii = _cox(mm, Levelled("score", RISS, reference="II"), ties=ties)
    b_ii, b_iii = (c.coef for c in by_i.coefficients)
    assert [c.name for c in by_ii.coefficients] == [f"{RISS}=I", f"{RISS}=III"]
    close([c.coef for c in by_ii.coefficients], [-b_ii, b_iii - b_ii])
    assert by_ii.aic == pytest.approx(by_i.aic, rel=1e-12)
    assert by_ii.score.statistic == pytest.approx(by_i.score.statistic, rel=1e-9)


@pytest.mark.parametrize(
    ("transform", "per", "factor"),
    [("per", 10.0, 10.0), ("per", 0.5, 0.5), ("log2", 1.0, math.log(2))],
)
def test_a_rescaled_covariate_rescales_its_coefficient(
    mm: pl.DataFrame, transform: Transform, per: float, factor: float
) -> None:
    """x / k multiplies β by k (log₂ x = log x / log 2 by log 2); the fit is otherwise the same."""
    base = "log" if transform == "log2" else "none"
    plain = _cox(mm, Numeric("age_at_diagnosis", base))  # type: ignore[arg-type]
    scaled = _cox(mm, Numeric("age_at_diagnosis", transform, per))
    (b,), (s,) = plain.coefficients, scaled.coefficients
    assert s.coef == pytest.approx(b.coef * factor, rel=1e-9)
    assert s.p_value == pytest.approx(b.p_value, rel=1e-9)
    assert scaled.aic == pytest.approx(plain.aic, rel=1e-12)


def test_interaction_order_does_not_change_the_model(mm: pl.DataFrame) -> None:
    covariates = (Numeric("age_at_diagnosis"), Levelled("attribute", "sex"))
    ab = _cox(mm, *covariates, interactions=[Interaction("age_at_diagnosis", "sex")])
    ba = _cox(mm, *covariates, interactions=[Interaction("sex", "age_at_diagnosis")])
    assert [c.name for c in ba.coefficients][-1] == "sex=F:age_at_diagnosis"
    close([c.coef for c in ba.coefficients], [c.coef for c in ab.coefficients])


@pytest.mark.parametrize(
    ("covariate", "message"),
    [
        (Levelled("score", RISS, reference="IV"), "not one of its levels (I, II, III)"),
        (
            Levelled("score", RISS, reference="NOT_CLASSIFIABLE"),
            "not one of its levels (I, II, III)",
        ),
        (Levelled("attribute", "sex", trend=True), "sex is not ordinal"),
    ],
)
def test_a_covariate_that_cannot_be_modelled_says_why(
    mm: pl.DataFrame, covariate: Any, message: str
) -> None:
    with pytest.raises(AnalysisError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _cox(mm, covariate)


def test_per_must_be_positive() -> None:
    with pytest.raises(AnalysisError, match="per must be a positive number"):
        Numeric("beta2m_mg_l", "per", 0.0)


@pytest.mark.parametrize(("zeros", "count"), [(7, "7"), (5, "5"), (4, "fewer than 5")])
def test_a_log_of_non_positive_values_names_their_count(
    mm: pl.DataFrame, zeros: int, count: str
) -> None:
    """The count is released like any count: withheld below the minimum cell size."""
    frame = mm.with_columns(
        beta2m_mg_l=pl.when(pl.int_range(pl.len()) < zeros).then(0.0).otherwise("beta2m_mg_l")
    )
    terms = ModelTerms((Numeric("beta2m_mg_l", "log"),))
    with pytest.raises(AnalysisError, match=rf"but {count} complete case\(s\) have beta2m_mg_l"):
        cox_summary(frame, CoxRequest(endpoint=OS, terms=terms), min_cell=5)
