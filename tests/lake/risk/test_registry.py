"""The score registry: lookup by name or version, errors, disease applicability, immutability."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from lake.errors import AnalysisError
from lake.risk.registry import REGISTRY, Registry, compute
from tests.lake.risk.helpers import cohort


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
