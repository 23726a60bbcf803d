"""The committed SDL matches the schema; every type, field and argument is described; examples
validate."""

from __future__ import annotations

import strawberry
from graphql import GraphQLEnumType, GraphQLScalarType, parse, validate

from schema.export_sdl import main as export_sdl
from service.examples import EXAMPLES


def test_committed_sdl_is_current() -> None:
    assert export_sdl(["--check"]) == 0, "run: python -m schema.export_sdl"


def test_every_type_field_and_argument_has_a_description(schema: strawberry.Schema) -> None:
    missing = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or isinstance(graphql_type, GraphQLScalarType):
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, GraphQLEnumType):
            continue
        for field_name, definition in graphql_type.fields.items():
            if not definition.description:
                missing.append(f"{name}.{field_name}")
            arguments = getattr(definition, "args", {})  # input fields take no arguments
            missing += [
                f"{name}.{field_name}({a})" for a, d in arguments.items() if not d.description
            ]
    assert missing == []


def test_graphiql_examples_are_valid_queries(schema: strawberry.Schema) -> None:
    for example in EXAMPLES:
        assert validate(schema._schema, parse(example.query)) == [], example.query[:60]
