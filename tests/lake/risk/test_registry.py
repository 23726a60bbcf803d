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
