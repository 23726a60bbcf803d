"""Seeded request generators for the fuzz suite: GraphQL documents from the committed SDL, and
malformed HTTP.

Documents are drawn field by field from ``schema/schema.graphql``: random fields of each type
(sometimes aliased, sometimes through a fragment), arguments of every type with values that are
valid, extreme or wrong (ints past 32 bits, floats at ±1e308, repeated list items, unknown enum
values and scores, missing required arguments), and sometimes the cohort filter as a variable.
Values come from small sets, so requests repeat and stay cheap (the result cache answers them).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlencode

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
    get_named_type,
    is_leaf_type,
)

SDL: Final = Path(__file__).parents[2] / "schema" / "schema.graphql"
SCALARS: Final[dict[str, tuple[str, ...]]] = {
    "Int": ("0", "1", "2", "5", "24", "-1", "100", "2147483647", "2147483648", "99999"),
    "Float": ("0", "1.5", "24", "60", "-1", "365.25", "1e308", "-1e308", "1e-320"),
    "String": (
        '"iss"',
        '"riss"',
        '"eln2022"',
        '"sokal"',
        '"nope"',
        '"AMS"',
        '"patients"',
        '""',
        '"é\\u00e9"',
        '"\\ud83d\\ude00"',
        '"a\\nb"',
        '"\\u0000"',
    ),
    "Boolean": ("true", "false"),
    "Date": ('"2020-01-01"', '"1900-02-30"', '"soon"'),
}


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request: method, path with query string, headers, body."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


class DocumentGenerator:
    """Random documents over ``schema``, reproducible from ``rng``."""

    def __init__(self, schema: GraphQLSchema, rng: random.Random) -> None:
        self.schema = schema
        self.rng = rng

    def value(self, type_: GraphQLInputType, depth: int = 0) -> str:
        """A GraphQL literal for ``type_``: usually valid, sometimes not."""
        rng = self.rng
        if isinstance(type_, GraphQLNonNull):
            return self.value(type_.of_type, depth)
        if isinstance(type_, GraphQLList):
            items = [self.value(type_.of_type, depth + 1) for _ in range(rng.randint(0, 3))]
            if items and rng.random() < 0.2:
                items.append(items[0])  # a repeated item
            return "[" + ", ".join(items) + "]"
        if isinstance(type_, GraphQLEnumType):
            values = list(type_.values)
            return rng.choice(values) if rng.random() < 0.95 else "NOT_A_VALUE"
        if isinstance(type_, GraphQLInputObjectType):
            if depth > 2:
                return "{}"
            chosen = rng.sample(list(type_.fields.items()), k=min(2, len(type_.fields)))
            required = [
                (n, f) for n, f in type_.fields.items() if isinstance(f.type, GraphQLNonNull)
            ]
            fields = dict(chosen + required)
            inner = ", ".join(f"{n}: {self.value(f.type, depth + 1)}" for n, f in fields.items())
            return "{" + inner + "}"
        assert isinstance(type_, GraphQLScalarType)
        return rng.choice(SCALARS.get(type_.name, ('"x"',)))

    def arguments(self, arguments: dict[str, GraphQLArgument]) -> str:
        given = []
        for name, argument in arguments.items():
            required = isinstance(argument.type, GraphQLNonNull)
            if required and self.rng.random() < 0.03:
                continue  # a required argument missing
            if required or self.rng.random() < 0.4:
                given.append(f"{name}: {self.value(argument.type)}")
        return f"({', '.join(given)})" if given else ""

    def selection(self, type_: GraphQLObjectType, depth: int) -> str:
        rng = self.rng
        fields = list(type_.fields.items())
        count = 2 if rng.random() < 0.3 else 1  # small documents validate fast
        chosen: list[tuple[str, GraphQLField]] = rng.sample(fields, k=min(len(fields), count))
        parts = []
        for index, (name, field_) in enumerate(chosen):
            alias = f"a{depth}_{index}: " if rng.random() < 0.1 else ""
            named = get_named_type(field_.type)
            text = f"{alias}{name}{self.arguments(field_.args)}"
            if not is_leaf_type(named):
                assert isinstance(named, GraphQLObjectType)
                inner = self.selection(named, depth + 1) if depth < 3 else "__typename"
                text += f" {{ {inner} }}"
            parts.append(text)
        if rng.random() < 0.05:
            parts.append("__typename")
        return " ".join(parts)

    def document(self) -> tuple[str, dict[str, object] | None]:
        """A document and its variables (``None`` when it has none)."""
        rng = self.rng
        query_type = self.schema.query_type
        assert query_type is not None
        roll = rng.random()
        if roll < 0.15:  # the cohort filter as a variable, with JSON values
            filter_ = {"sites": rng.choice([["AMS"], ["AMS", "AMS"], [], ["x" * 300]])}
            if rng.random() < 0.5:
                filter_["age"] = {"min": rng.choice([0, -1, 1e308, "old", 2**40])}
            body = self.selection(query_type.fields["cohort"].type, 1)  # type: ignore[arg-type]
            text = f"query Q($f: CohortFilterInput) {{ cohort(filter: $f) {{ {body} }} }}"
            return text, {"f": filter_}
        body = self.selection(query_type, 0)
        if roll < 0.25:
            return f"query Frag {{ ...F }} fragment F on Query {{ {body} }}", None
        return f"{{ {body} }}", None


GRAPHQL_RESPONSE: Final = "application/graphql-response+json"
ACCEPTS: Final = (
    GRAPHQL_RESPONSE,
    "application/json",
    "*/*",
    f"application/json, {GRAPHQL_RESPONSE};q=0.5",
    "",
)


def document_request(generator: DocumentGenerator, key: str) -> Request:
    """A POST (mostly) or GET of a generated document."""
    rng = generator.rng
    query, variables = generator.document()
    headers = {"x-api-key": key, "accept": rng.choice(ACCEPTS)}
    if rng.random() < 0.1 and variables is None:
        return Request("GET", "/graphql?" + urlencode({"query": query}), headers)
    payload = {"query": query, "variables": variables}
    headers["content-type"] = "application/json"
    return Request("POST", "/graphql", headers, json.dumps(payload).encode())


MALFORMED_BODIES: Final = (
    b"",
    b"{",
    b"1",
    b"null",
    b'"text"',
    b"[]",
    b"[" * 5_000 + b"]" * 5_000,
    b'{"query": 1}',
    b'{"query": "{ modelVersion }", "variables": "x"}',
    b'{"query": "{ modelVersion }", "variables": {"a": ' + b"9" * 4_400 + b"}}",
    b'{"query": "{ modelVersion }", "operationName": "\\udfff"}',
    b'{"query": "{ modelVersion }", "operationName": "Nope"}',
    b'{"query": "{ modelVersion }", "extensions": [1]}',
    b'{"query": "\xff\xfe{ modelVersion }"}',
    b'{"query": "mutation { x }"}',
    b'{"query": "subscription { x }"}',
    b'{"query": "{ modelVersion } { modelVersion }"}',
    b'{"query": "' + b"{ a " * 1_000 + b'"}',
)


def malformed_request(rng: random.Random, key: str) -> Request:
    """A request that is not a well-formed GraphQL request, or not an acceptable one."""
    roll = rng.random()
    json_headers = {"x-api-key": key, "content-type": "application/json"}
    if roll < 0.55:
        return Request("POST", "/graphql", json_headers, rng.choice(MALFORMED_BODIES))
    if roll < 0.65:
        content_type = rng.choice(["text/plain", "application/xml", "multipart/form-data", ""])
        return Request("POST", "/graphql", {"x-api-key": key, "content-type": content_type}, b"{}")
    if roll < 0.72:
        method = rng.choice(["PUT", "DELETE", "PATCH"])
        return Request(method, "/graphql", json_headers, b'{"query": "{ modelVersion }"}')
    if roll < 0.8:
        headers = {**json_headers, "accept": rng.choice(["text/xml", "application/json;q=0"])}
        return Request("POST", "/graphql", headers, b'{"query": "{ modelVersion }"}')
    if roll < 0.87:
        headers = {"content-type": "application/json", "x-api-key": rng.choice(["", "wrong"])}
        return Request("POST", "/graphql", headers, b'{"query": "{ modelVersion }"}')
    if roll < 0.94:
        query = rng.choice(["variables=%5B%5B%5B", "query=%7B&variables=1", "operationName=x", ""])
        return Request("GET", f"/graphql?{query}", {"x-api-key": key})
    path = rng.choice(
        [
            "/export.xml?query=%7BmodelVersion%7D&path=x",
            "/export.csv?query=%7BmodelVersion%7D",
            "/export.csv?query=%7Bnope%7D&path=x",
            "/export.csv?query=%7BmodelVersion%7D&path=modelVersion&variables=%5B",
        ]
    )
    return Request("GET", path, {"x-api-key": key})


def sdl_schema() -> GraphQLSchema:
    return build_schema(SDL.read_text(encoding="utf-8"))
