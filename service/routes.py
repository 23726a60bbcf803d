"""Plain routes outside GraphQL: the front door, liveness, readiness, metrics and aggregate-table
downloads."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Final

import polars as pl
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from lake.access import Role
from lake.analyses.tables import rows_at
from lake.errors import HemalakeError
from lake.query.gateway import LakeGateway
from service.auth import Authenticator, Unauthenticated
from service.graphql_app import audit_refusal, error_response, execute_as
from service.middleware import Metrics
from service.response_cache import ResponseCache
from service.warmup import LakeWarmer

#: What ``GET /`` lists for a client that does not ask for HTML.
ROUTES: Final = {
    "graphql": "/graphql (POST or GET; GraphiQL for browsers where it is on)",
    "export": "/export.csv or /export.arrow ?query=&variables=&path= (aggregate tables)",
    "plot": "/plot.svg or /plot.png ?query=&variables=&path=&<figure options> (a plotUrl)",
    "live": "/livez (the process answers)",
    "ready": "/readyz (the lake opens; also /health)",
    "metrics": "/metrics (Prometheus text; for the roles of the metrics_roles setting)",
}


async def front_door(request: Request) -> Response:
    """``GET /``: browsers go to GraphiQL (``/graphql``); other clients get the route list."""
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse("/graphql", status_code=303)
    return JSONResponse({"service": "hemalake", "routes": ROUTES})


async def live(_: Request) -> JSONResponse:
    """Liveness: ``200`` whenever the process serves requests (the lake is not read)."""
    return JSONResponse({"status": "ok"})


async def health(request: Request) -> JSONResponse:
    """Readiness: ``200`` with the newest lake version when the lake opens, else ``503``.

    Opening the newest snapshot reads the manifest (blocking I/O): it runs in a worker thread.
    """
    gateway: LakeGateway = request.state.gateway
    try:
        version = await to_thread.run_sync(lambda: gateway.snapshot(None).version)
    except HemalakeError:
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok", "lake_version": version})


async def metrics(request: Request, *, roles: tuple[Role, ...]) -> Response:
    """Prometheus text format: requests by status, latency total, result and response cache
    hits/misses, the analysis store's bytes, budget, columns and evictions, and the lake version
    warmed last with how long it took; only for callers whose role is one of ``roles`` (``401``
    without credentials, ``403`` for other roles)."""
    authenticator: Authenticator = request.state.authenticator
    try:
        caller = await authenticator.authenticate(request.headers)
    except Unauthenticated as error:
        audit_refusal(request, status=401, code="UNAUTHENTICATED")
        return error_response(401, str(error), "UNAUTHENTICATED")
    if caller.role not in roles:
        audit_refusal(request, status=403, code="FORBIDDEN")
        return error_response(403, f"/metrics is for the roles {', '.join(roles)}", "FORBIDDEN")
    counters: Metrics = request.state.metrics
    gateway: LakeGateway = request.state.gateway
    lines = ["# TYPE hemalake_http_requests_total counter"]
    lines += [
        f'hemalake_http_requests_total{{status="{status}"}} {count}'
        for status, count in sorted(counters.by_status.items())
    ]
    lines += [
        "# TYPE hemalake_http_request_seconds_total counter",
        f"hemalake_http_request_seconds_total {counters.seconds_total:.6f}",
        "# TYPE hemalake_result_cache_hits_total counter",
        f"hemalake_result_cache_hits_total {gateway.results.hits}",
        "# TYPE hemalake_result_cache_misses_total counter",
        f"hemalake_result_cache_misses_total {gateway.results.misses}",
    ]
    responses: ResponseCache | None = request.state.responses
    if responses is not None:
        lines += [
            "# TYPE hemalake_response_cache_hits_total counter",
            f"hemalake_response_cache_hits_total {responses.hits}",
            "# TYPE hemalake_response_cache_misses_total counter",
            f"hemalake_response_cache_misses_total {responses.misses}",
            "# TYPE hemalake_response_cache_bytes gauge",
            f"hemalake_response_cache_bytes {responses.bytes}",
        ]
    store = gateway.store.use()
    lines += [
        "# TYPE hemalake_analysis_store_bytes gauge",
        f"hemalake_analysis_store_bytes {store.bytes}",
        "# TYPE hemalake_analysis_store_budget_bytes gauge",
        f"hemalake_analysis_store_budget_bytes {store.budget}",
        "# TYPE hemalake_analysis_store_columns gauge",
        f"hemalake_analysis_store_columns {store.columns}",
        "# TYPE hemalake_analysis_store_evictions_total counter",
        f"hemalake_analysis_store_evictions_total {store.evictions}",
    ]
    warmer: LakeWarmer | None = request.state.warmer
    if warmer is not None and warmer.last is not None:
        lines += [
            "# TYPE hemalake_warm_lake_version gauge",
            f"hemalake_warm_lake_version {warmer.last.lake_version}",
            "# TYPE hemalake_warm_seconds gauge",
            f"hemalake_warm_seconds {warmer.last.seconds:.6f}",
        ]
    return PlainTextResponse("\n".join(lines) + "\n")


def _csv(frame: pl.DataFrame, buffer: io.BytesIO) -> None:
    frame.write_csv(buffer)


def _arrow(frame: pl.DataFrame, buffer: io.BytesIO) -> None:
    frame.write_ipc(buffer)


#: The download formats: writer and media type by the extension of ``/export.<format>``.
FORMATS: Final[dict[str, tuple[Callable[[pl.DataFrame, io.BytesIO], None], str]]] = {
    "csv": (_csv, "text/csv"),
    "arrow": (_arrow, "application/vnd.apache.arrow.file"),
}


async def export(request: Request) -> Response:
    """An aggregate table of a GraphQL result as CSV (``/export.csv``) or Arrow IPC
    (``/export.arrow``); any other extension is ``404``.

    ``GET /export.csv?query=...&variables=...&operationName=...&path=cohort.breakdown.categories``
    runs the query exactly like ``/graphql`` (same caller, limits, disclosure and audit), then
    writes the list of objects at ``path`` as a table (:func:`lake.analyses.tables.rows_at`).
    The parameters are documented in README.md ("Downloading a table").
    """
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        valid = ", ".join(f"/export.{f}" for f in FORMATS)
        return error_response(404, f"no export format {fmt!r}; use {valid}", "NOT_FOUND")
    params = request.query_params
    authenticator: Authenticator = request.state.authenticator
    try:
        caller = await authenticator.authenticate(request.headers)
    except Unauthenticated as error:
        audit_refusal(request, status=401, code="UNAUTHENTICATED")
        return error_response(401, str(error), "UNAUTHENTICATED")
    if "query" not in params or "path" not in params:
        message = (
            "give query (the GraphQL document) and path (dot-separated fields to a list, e.g. "
            "cohort.breakdown.categories); optional: variables (JSON), operationName"
        )
        return error_response(400, message, "BAD_REQUEST")
    try:
        variables = json.loads(params.get("variables") or "{}")
    except json.JSONDecodeError:
        return error_response(400, "variables is not JSON", "BAD_REQUEST")
    result, _ = await execute_as(request, caller, params, variables)
    if result.errors:
        errors = [e.formatted for e in result.errors]
        return JSONResponse({"errors": errors}, status_code=400)
    try:
        frame = pl.DataFrame(rows_at(result.data, params["path"]))
    except KeyError as error:
        return error_response(400, str(error.args[0]), "BAD_REQUEST")
    write, media_type = FORMATS[fmt]
    buffer = io.BytesIO()
    write(frame, buffer)
    return Response(buffer.getvalue(), media_type=media_type)
