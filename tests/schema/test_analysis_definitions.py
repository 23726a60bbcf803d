"""Every question of every study analysis is a valid document of the API, pinned to one lake
version, within the query limits, and every table and figure names a field it asks."""

from __future__ import annotations

import pytest
from graphql import FieldNode, OperationDefinitionNode, parse, validate

from lake.analyses.definition import Question, definition_names, load_definition
from schema.limits import DEFAULT_LIMITS, limit_errors
from schema.schema import build_schema

SCHEMA = build_schema()
QUESTIONS = [(n, q) for n in definition_names() for q in load_definition(n).questions]


def _response_paths(document: str) -> set[str]:
    """Every response path of the operation (aliases as the answer keys them), fragments aside."""
    paths: set[str] = set()

    def walk(selections: object, prefix: str) -> None:
        for selection in getattr(selections, "selections", ()):
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                paths.add(prefix + key)
                walk(selection.selection_set, f"{prefix}{key}.")

    for definition in parse(document).definitions:
        if isinstance(definition, OperationDefinitionNode):
            walk(definition.selection_set, "")
    return paths


@pytest.mark.parametrize(("name", "asked"), QUESTIONS, ids=[f"{n}/{q.name}" for n, q in QUESTIONS])
def test_each_question_is_valid_pinned_and_within_limits(name: str, asked: Question) -> None:
    document = parse(asked.document)
    assert validate(SCHEMA._schema, document) == []
    assert limit_errors(SCHEMA._schema, document, DEFAULT_LIMITS) == []
    (operation,) = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    declared = {v.variable.name.value: v.type for v in operation.variable_definitions}
    assert "lakeVersion" in declared
    assert getattr(declared["lakeVersion"], "kind", "") == "non_null_type"
    paths = _response_paths(asked.document)
    for spec in (*asked.tables, *asked.plots):
        assert spec.path in paths, f"{name}: {spec.path} is not asked"
