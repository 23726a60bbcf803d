"""The score registry: lookup by name or version, errors, disease applicability, immutability,
and versioning (C5): a policy change is a new version id, and the old version stays computable."""

from __future__ import annotations

import dataclasses
import itertools
import typing

import polars as pl
import pytest

from lake.errors import AnalysisError
from lake.risk.eln2022 import Eln2022Policies, eln2022_spec
from lake.risk.registry import REGISTRY, Registry, compute
from lake.risk.spec import RiskScore, ScoreSpec
from lake.risk.tristate import NOT_APPLICABLE, NOT_CLASSIFIABLE
from tests.lake.risk.helpers import cohort
from tests.lake.risk.test_eln2022 import case


def test_unknown_score_lists_valid_names() -> None:
    with pytest.raises(AnalysisError, match=r"unknown risk score 'isss'.*iss_greipp2005"):
        REGISTRY.get("isss")


def test_name_and_version_resolve_to_the_same_score() -> None:
    assert REGISTRY.get("iss") is REGISTRY.get("iss_greipp2005")


def test_every_score_declares_its_metadata() -> None:
    for score in REGISTRY.scores:
        assert score.version.startswith(score.name.split("_")[0])
        assert score.inputs
        assert all("." in i for i in score.inputs)
        assert (score.status == "UNCONFIRMED") == bool(score.unconfirmed_rules)


@pytest.mark.parametrize("score", REGISTRY.scores, ids=lambda s: s.version)
def test_every_score_declares_an_order_covering_all_its_categories(score: RiskScore) -> None:
    """The order every analysis follows: ranked categories, then those outside the scale.

    Each category is on the scale or declared outside it, exactly once; the lowest-risk one (the
    Cox reference) is on the scale; and the score's category Enum lists them in that order.
    """
    assert score.ranked
    assert (*score.ranked, *score.unranked) == score.categories
    assert len(set(score.categories)) == len(score.categories)
    assert sorted(score.by_risk) == sorted(score.categories)
    assert score.by_risk[: len(score.ranked)] in (score.ranked, score.ranked[::-1])
    assert score.reference in score.ranked
    assert score.reference == score.by_risk[0]


def test_a_score_cannot_leave_its_order_undeclared() -> None:
    iss = REGISTRY.get("iss")
    assert isinstance(iss, ScoreSpec)
    with pytest.raises(ValueError, match="listed twice"):
        dataclasses.replace(iss, categories=("I", "II", "I"))
    with pytest.raises(ValueError, match="must be the last categories"):
        dataclasses.replace(iss, unranked=("I",))
    with pytest.raises(ValueError, match="must be the last categories"):
        dataclasses.replace(iss, unranked=("I", "II", "III"))


def test_registry_is_immutable_and_refuses_duplicate_versions() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        REGISTRY.scores = ()  # type: ignore[misc]
    with pytest.raises(ValueError, match="registered twice"):
        Registry((REGISTRY.get("iss"), REGISTRY.get("iss")))


def test_compute_adds_one_struct_per_version_and_respects_disease() -> None:
    frame = cohort(
        [
            {"disease": "MM", "beta2m_mg_l": 2.8, "albumin_g_dl": 4.0},
            {"disease": "AML", "beta2m_mg_l": 2.8, "albumin_g_dl": 4.0},
        ]
    )
    out = compute(frame.lazy(), ["iss"]).collect()
    categories = out.get_column("iss_greipp2005").struct.field("category").cast(pl.String)
    assert categories.to_list() == ["I", "NOT_APPLICABLE"]


def test_single_expression_and_staged_paths_agree_on_every_score() -> None:
    from lake.risk.bench import synthetic_cohort

    frame = synthetic_cohort(300, seed=7).with_columns(
        cml_phase=pl.lit("chronic"),
        spleen_cm=pl.col("weight_kg") / 10,
        platelets_10e9_l=pl.col("ldh_u_l"),
        pb_blasts_pct=pl.col("albumin_g_dl"),
        basophils_pct=pl.col("albumin_g_dl") / 2,
        eosinophils_pct=pl.col("creatinine_mg_dl"),
    )
    for score in REGISTRY.scores:
        if not all(i.split(".", 1)[1] in frame.columns for i in score.inputs):
            continue
        parts = score.parts()
        direct = frame.select(parts.to_struct().alias("s"))
        staged = parts.apply(frame, "s").select("s")
        assert direct.equals(staged), score.version
        # the category Enum is the declared order, non-results last
        declared = pl.Enum([*score.categories, NOT_CLASSIFIABLE, NOT_APPLICABLE])
        assert direct.schema["s"].to_schema()["category"] == declared, score.version


def _every_eln2022_policy_variant() -> list[Eln2022Policies]:
    hints = typing.get_type_hints(Eln2022Policies)
    fields = [f.name for f in dataclasses.fields(Eln2022Policies)]
    choices = [typing.get_args(hints[name]) for name in fields]
    return [
        Eln2022Policies(**dict(zip(fields, values, strict=True)))
        for values in itertools.product(*choices)
    ]


def test_eln2022_policy_variants_get_distinct_version_ids() -> None:
    variants = _every_eln2022_policy_variant()
    assert len(variants) == 2**5  # U1-U5, two readings each (02-aml.md §2.1)
    specs = [eln2022_spec(p) for p in variants]
    versions = [s.version for s in specs]
    assert len(set(versions)) == len(versions)
    assert versions.count("eln2022_intensive") == 1  # the documented defaults keep the C5 id
    assert REGISTRY.get("eln2022").version == "eln2022_intensive"
    for policies, spec in zip(variants, specs, strict=True):
        assert spec.policy == policies.as_dict()
        assert spec.version.startswith("eln2022_intensive")
    Registry(tuple(specs))  # all of them can be registered side by side


def test_old_eln2022_version_stays_computable_next_to_a_new_one() -> None:
    """U1 TP53 with a favourable subtype: inv(16) + TP53 VAF 30% is ADVERSE by default and
    FAVORABLE under the alternative reading; both versions compute on the same cohort."""
    variant = eln2022_spec(Eln2022Policies(u1_tp53_with_favorable="FAVORABLE"))
    registry = REGISTRY.with_score(variant)
    assert REGISTRY.versions_of("eln2022") == (REGISTRY.get("eln2022_intensive"),)
    assert [s.version for s in registry.versions_of("eln2022")] == [
        "eln2022_intensive",
        variant.version,
    ]
    frame = cohort([case(inv16="present", tp53="present", tp53_vaf=30.0), case(npm1="present")])
    out = registry.compute(frame, ["eln2022_intensive", variant.version])
    got = {
        v: out.get_column(v).struct.field("category").cast(pl.String).to_list()
        for v in ("eln2022_intensive", variant.version)
    }
    assert got == {
        "eln2022_intensive": ["ADVERSE", "FAVORABLE"],
        variant.version: ["FAVORABLE", "FAVORABLE"],
    }


def test_crcl_records_its_body_weight_policy() -> None:
    """Cockcroft-Gault with actual body weight (Cockcroft 1976), stored with every result (C5)."""
    assert REGISTRY.get("crcl").policy == {"body_weight": "actual"}
    row = {"age_at_diagnosis": 60.0, "sex": "M", "weight_kg": 100.0, "creatinine_mg_dl": 1.0}
    out = compute(cohort([row]), ["crcl"]).get_column("crcl_cockcroft_gault1976")
    assert out.struct.field("points").item() == pytest.approx(80 * 100 / 72)
