"""Fixtures for in-process schema tests: the real schema over a seeded in-memory lake."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import strawberry

from lake.access import AuditRecord, Caller, Role
from lake.disclosure import DisclosurePolicy
from lake.query.gateway import LakeGateway
from schema.context import Context
from schema.schema import build_schema
from tests.schema.demo_frames import FrameLake, FrameSource, demo_frames


class ListSink:
    """Collects audit records in memory."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def record(self, entry: AuditRecord) -> None:
        self.records.append(entry)


@pytest.fixture(scope="session")
def schema() -> strawberry.Schema:
    return build_schema()


@pytest.fixture
def audit() -> ListSink:
    return ListSink()


@pytest.fixture
def lake() -> FrameLake:
    return FrameLake(FrameSource(demo_frames(200), version=3), FrameSource({}, version=2))


@pytest.fixture
def gateway(lake: FrameLake, audit: ListSink) -> LakeGateway:
    return LakeGateway(
        open_snapshot=lake.open,
        policy=DisclosurePolicy(min_cell_size=5),
        audit=audit,
        software_version="test",
    )


Execute = Callable[..., Awaitable[strawberry.types.ExecutionResult]]


@pytest.fixture
def execute(schema: strawberry.Schema, gateway: LakeGateway, audit: ListSink) -> Execute:
    async def run(
        query: str, variables: dict[str, Any] | None = None, *, role: Role = "statistician"
    ) -> strawberry.types.ExecutionResult:
        caller = Caller(user="tester", role=role, site="AMS")
        context = Context.for_request(caller=caller, gateway=gateway, audit=audit)
        return await schema.execute(query, variable_values=variables, context_value=context)

    return run
