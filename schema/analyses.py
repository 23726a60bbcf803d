"""Run a study analysis (:mod:`lake.analyses.definition`): ask each of its GraphQL questions
through the schema, as the caller, on one lake version, and render the report.

The questions go through the same schema as any request (limits, error masking and the request
audit of :class:`schema.audit.AuditRequests`) and, through their resolvers, the same boundary
(:class:`lake.query.gateway.LakeGateway`: the caller's role, disclosure control, privacy budget,
audit). A protected caller therefore gets a protected report: noisy counts and curves, and the
models refused with their reasons in the report, as the API itself answers.

The lake version is fixed once per run: the one pinned, else the newest when the run starts; every
question is asked with it (``$lakeVersion``), so a run reads one consistent version and a rerun
pinned to it gives the same bytes.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Final

import strawberry
from anyio import to_thread
from lake.analyses.definition import AnalysisDefinition
from lake.analyses.html import render_html
from lake.analyses.report import Answer, Report, RunStamp, cut_tables, score_versions
from lake.errors import ConfigError, UnknownVersionError
from lake.model import MODEL_VERSION

from schema.context import Context
from schema.errors import error_code

#: The lake's versions with their commit times (lake metadata: every role may read it).
VERSIONS: Final = "query AnalysisLakeVersions { lake { versions { lakeVersion committedAt } } }"
#: Error codes of a document the schema refuses: a fault of the definition, not of the lake.
_DEFINITION_FAULTS: Final = frozenset({"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"})


async def _execute(
    schema: strawberry.Schema,
    context: Context,
    document: str,
    variables: Mapping[str, object],
    where: str,
) -> tuple[dict[str, Any] | None, tuple[tuple[str, str], ...]]:
    result = await schema.execute(document, variable_values=dict(variables), context_value=context)
    errors = tuple(
        (str((e.extensions or {}).get("code") or error_code(e)), e.message)
        for e in result.errors or ()
    )
    faults = [m for c, m in errors if c in _DEFINITION_FAULTS]
    if faults:
        raise ConfigError(f"{where}: the schema refuses the document: {'; '.join(faults)}")
    return result.data, errors


async def _lake_version(
    schema: strawberry.Schema, context: Context, pinned: int | None
) -> tuple[int, str]:
    """The version to read (``pinned``, else the newest) and its commit time (ISO, UTC)."""
    data, errors = await _execute(schema, context, VERSIONS, {}, "lake versions")
    if data is None or data["lake"]["versions"] is None:
        reasons = "; ".join(f"{code}: {message}" for code, message in errors)
        raise ConfigError(f"cannot read the lake's versions ({reasons}); is it a Delta lake?")
    versions = {v["lakeVersion"]: v["committedAt"] for v in data["lake"]["versions"]}
    if not versions:
        raise UnknownVersionError("the lake has no version yet: load a site first")
    version = max(versions) if pinned is None else pinned
    if version not in versions:
        raise UnknownVersionError(
            f"lake version {pinned} does not exist; the versions are "
            f"{min(versions)}..{max(versions)}"
        )
    return version, str(versions[version])


async def run_analysis(
    schema: strawberry.Schema,
    new_context: Callable[[], Context],
    definition: AnalysisDefinition,
    *,
    lake_version: int | None = None,
) -> Report:
    """Ask every question of ``definition`` (each in a fresh context from ``new_context``, as
    one request is) on one lake version and render the report.

    Raises :class:`ConfigError` when the schema refuses a question's document (a definition to
    fix) and :class:`UnknownVersionError` for a pinned version the lake does not have. Refusals
    of single fields (a model for a protected role, a spent privacy budget) are reported in the
    page beside the question, not raised.
    """
    context = new_context()
    version, committed_at = await _lake_version(schema, context, lake_version)
    answers = []
    for question in definition.questions:
        asking = new_context()
        data, errors = await _execute(
            schema,
            asking,
            question.document,
            {**question.variables, "lakeVersion": version},
            f"analysis {definition.name}, question {question.name}",
        )
        answers.append(Answer(question=question, data=data, errors=errors, released=asking.figures))
    caller = context.caller
    stamp = RunStamp(
        analysis=definition.name,
        analysis_version=definition.version,
        lake_version=version,
        lake_committed_at=committed_at,
        software_version=importlib.metadata.version("hemalake"),
        model_version=MODEL_VERSION,
        role=caller.role,
        access=caller.access,
        score_versions=score_versions(answers),
    )
    return await to_thread.run_sync(partial(_render, definition, stamp, answers))


def _render(definition: AnalysisDefinition, stamp: RunStamp, answers: list[Answer]) -> Report:
    """Cut the tables, draw the figures and render the page (pure, CPU-bound: off the loop)."""
    tables = cut_tables(answers)
    return Report(
        definition=definition,
        stamp=stamp,
        html=render_html(definition, stamp, answers, tables),
        tables=tables,
    )
