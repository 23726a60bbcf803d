"""Analysis definitions: the repository's load, and an invalid one is refused naming the fix."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lake.analyses.definition import (
    DEFINITIONS_DIR,
    PLOT_KINDS,
    definition_names,
    load_definition,
    parse_definition,
)
from lake.errors import ConfigError

QUESTION = (
    """query Q($lakeVersion: Int!) { cohort(lakeVersion: $lakeVersion) { size { value } } }"""
)


def _raw(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": "study",
        "version": 1,
        "title": "A study",
        "seed": "000",
        "summary": "What it asks.",
        "questions": [
            {
                "name": "size",
                "title": "How many",
                "document": QUESTION,
                "tables": [{"name": "sizes", "path": "cohort.size"}],
                "plots": [{"kind": "forest", "path": "cohort.coxModel", "title": "HRs"}],
            }
        ],
    }
    return raw | overrides


def test_the_four_seed_studies_are_defined_and_load() -> None:
    assert definition_names() == (
        "allo-transplant-myeloma",
        "aml-npm1-comutation",
        "cml-treatment-free-remission",
        "myeloma-staging",
    )
    for name in definition_names():
        definition = load_definition(name)
        assert definition.name == name
        assert definition.version >= 1
        assert all(p.kind in PLOT_KINDS for q in definition.questions for p in q.plots)
        assert any(q.plots for q in definition.questions), f"{name} draws no figure"


def test_a_valid_definition_parses() -> None:
    definition = parse_definition(_raw(), where="test", name="study")
    (question,) = definition.questions
    assert question.tables[0].path == "cohort.size"
    assert question.plots[0].kind == "forest"
    assert question.variables == {}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "other"}, "name must be 'study'"),
        ({"version": 0}, "version must be a whole number"),
        ({"version": True}, "version must be a whole number"),
        ({"questions": []}, "at least one question"),
        ({"title": ""}, "title must be a non-empty string"),
    ],
)
def test_an_invalid_definition_is_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_definition(_raw(**overrides), where="test", name="study")


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ({"document": "{ cohort { size { value } } }"}, "$lakeVersion"),
        ({"variables": {"lakeVersion": 3}}, "without lakeVersion"),
        ({"plots": [{"kind": "pie", "path": "cohort", "title": "t"}]}, "plot kind 'pie'"),
        ({"name": "Size Table"}, "lower case letters"),
        ({"tables": {"name": "x"}}, "array of tables"),
    ],
)
def test_an_invalid_question_is_refused(question: dict[str, Any], message: str) -> None:
    raw = _raw()
    raw["questions"] = [raw["questions"][0] | question]
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_definition(raw, where="test", name="study")


def test_table_names_are_unique_they_name_files() -> None:
    raw = _raw()
    first = raw["questions"][0]
    raw["questions"] = [first, first | {"name": "again"}]
    with pytest.raises(ConfigError, match="table names must be unique"):
        parse_definition(raw, where="test", name="study")


def test_an_unknown_analysis_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="myeloma-staging"):
        load_definition("no-such-study")


@given(st.text(min_size=1, max_size=30).filter(lambda s: not re.fullmatch(r"[a-z][a-z0-9_-]*", s)))
def test_a_name_that_is_not_a_plain_file_stem_is_refused(name: str) -> None:
    """Names become file paths: ../ or any other character never reaches the file system."""
    with pytest.raises(ConfigError, match="no analysis named"):
        load_definition(name)


def test_a_definition_file_that_is_not_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text("name = ")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML"):
        load_definition("broken", tmp_path)
    assert DEFINITIONS_DIR.is_dir()
