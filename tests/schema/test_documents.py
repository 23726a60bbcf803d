"""Validated documents kept per text: a repeated query is parsed and validated once, a refused
one every time; the audit hash of a kept document is the hash of its printed form."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
import strawberry
from graphql import ValidationRule, parse, print_ast
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.extensions import AddValidationRules

from lake.access import Caller
from lake.query.gateway import LakeGateway
from schema.audit import normalised_query_hash
from schema.context import Context
from schema.documents import DocumentCache
from schema.limits import Limits
from schema.off_loop import ParseAndValidateOffLoop
from schema.query import Query
from schema.schema import build_schema
from tests.schema.conftest import ListSink

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def counting_schema(documents: DocumentCache, visits: list[str]) -> strawberry.Schema:
    class Count(ValidationRule):
        def enter_document(self, *_: Any) -> None:
            visits.append("validated")

    return strawberry.Schema(
        query=Query,
        extensions=[
            partial(AddValidationRules, [Count]),
            partial(ParseAndValidateOffLoop, limits=Limits(max_fields=3), documents=documents),
        ],
    )


async def test_a_valid_document_is_validated_once() -> None:
    documents, visits = DocumentCache(), []
    schema = counting_schema(documents, visits)
    for _ in range(3):
        assert (await schema.execute("{ modelVersion }")).errors is None
    assert visits == ["validated"]
    assert len(documents) == 1
    assert documents.bytes > len("{ modelVersion }")
    assert (await schema.execute("{  modelVersion }")).errors is None  # another text
    assert visits == ["validated"] * 2


async def test_a_refused_document_is_checked_every_time() -> None:
    documents, visits = DocumentCache(), []
    schema = counting_schema(documents, visits)
    for _ in range(2):
        assert (await schema.execute("{ nope }")).errors
        refused = await schema.execute("{ cohort { size { value n } } }")  # past max_fields
        assert [e.message for e in refused.errors or []] == [
            "'anonymous' selects 4 fields (fragments counted at every spread); the limit is 3"
        ]
    assert visits == ["validated"] * 2  # the unknown field, each time; the limit refuses first
    assert len(documents) == 0


async def test_documents_are_bounded_by_bytes() -> None:
    documents = DocumentCache(max_bytes=20_000)
    schema = counting_schema(documents, [])
    for i in range(60):
        assert (await schema.execute(f"{{ modelVersion }} # {i}")).errors is None
    assert 0 < len(documents) < 60
    assert documents.bytes <= 20_000


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spaces=st.lists(st.sampled_from([" ", "\n", "  ", "\t"]), min_size=4, max_size=4))
async def test_the_audit_hash_of_a_kept_document_is_that_of_its_printed_form(
    spaces: list[str], gateway: LakeGateway
) -> None:
    a, b, c, d = spaces
    query = f"query Size{a}{{{b}cohort{c}{{ size {{{d}value }} }} }}"
    schema = build_schema(documents=DocumentCache())
    audit = ListSink()
    hashes = []
    for _ in range(2):  # validated, then kept
        context = Context.for_request(
            caller=Caller(user="u", role="statistician"), gateway=gateway, audit=audit
        )
        assert (await schema.execute(query, context_value=context)).errors is None
        hashes.append(context.operation_hash)
    expected = normalised_query_hash(None, None, None, "Size", print_ast(parse(query)))
    assert hashes == [expected, expected]
    assert expected == normalised_query_hash(parse(query), query, None, "Size")
