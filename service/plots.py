"""``GET /plot.svg`` and ``GET /plot.png``: the figure of a survival, incidence, Cox or staging
result, drawn from what the caller may see.

The request carries a GraphQL document and its variables, as ``/export.*`` does (a result's
``plotUrl`` field writes this URL), the response ``path`` of the result to draw and the figure
options (:mod:`lake.plots.params`). The document runs exactly as at ``/graphql``: the same
authentication, query limits and cost, disclosure control or protected release, and audit record.
The route then draws the released value the result's resolver kept
(:func:`schema.figures.keep_figure`), with its provenance as the footnote; nothing is drawn
that the JSON answer would not give this caller.

Limits: the query string is at most :data:`MAX_QUERY_CHARS` characters; the figure's size and
pixels are bounded by :class:`lake.plots.FigureOptions`; at most :data:`RENDERERS` figures are
drawn at once, in worker threads, so figures never hold the event loop or every thread.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import partial
from typing import Final

from anyio import CapacityLimiter, to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from lake.errors import AnalysisError
from lake.plots import figure, provenance_note
from lake.plots.params import from_params
from service.auth import Authenticator, Unauthenticated
from service.graphql_app import audit_refusal, error_response, execute_as

#: Media type of each figure format (the extension of ``/plot.<format>``).
MEDIA_TYPES: Final = {"svg": "image/svg+xml", "png": "image/png"}
#: Longest query string accepted (the document, variables and options).
MAX_QUERY_CHARS: Final = 32_768
#: Figures drawn at once (matplotlib draws one at a time anyway: :mod:`lake.plots.canvas`).
RENDERERS: Final = CapacityLimiter(2)
#: HTTP status of an execution error, by its code (others: 400).
STATUS_OF: Final = {"FORBIDDEN": 403, "PRIVACY_BUDGET_EXCEEDED": 429, "LAKE_UNAVAILABLE": 503}


async def plot(request: Request) -> Response:
    """The figure of one result of ``query`` (see the module docstring); any extension other
    than ``svg`` or ``png`` is ``404``."""
    fmt = request.path_params["fmt"]
    if fmt not in MEDIA_TYPES:
        return error_response(
            404, f"no figure format {fmt!r}; use /plot.svg or /plot.png", "NOT_FOUND"
        )
    authenticator: Authenticator = request.state.authenticator
    try:
        caller = await authenticator.authenticate(request.headers)
    except Unauthenticated as error:
        audit_refusal(request, status=401, code="UNAUTHENTICATED")
        return error_response(401, str(error), "UNAUTHENTICATED")
    params = request.query_params
    if len(request.url.query) > MAX_QUERY_CHARS:
        message = f"the query string is longer than {MAX_QUERY_CHARS} characters"
        return error_response(400, message, "BAD_REQUEST")
    if "query" not in params:
        message = (
            "give query (a GraphQL document with a survival, cumulativeIncidence, coxModel or "
            "stagingComparison field; a result's plotUrl writes it); optional: variables "
            "(JSON), operationName, path (of the result to draw), figure options"
        )
        return error_response(400, message, "BAD_REQUEST")
    try:
        options = from_params(params, format="svg" if fmt == "svg" else "png")
        variables = json.loads(params.get("variables") or "{}")
    except AnalysisError as error:
        return error_response(400, str(error), "BAD_REQUEST")
    except json.JSONDecodeError:
        return error_response(400, "variables is not JSON", "BAD_REQUEST")
    result, context = await execute_as(request, caller, params, variables)
    if result.errors:
        errors = [e.formatted for e in result.errors]
        code = (errors[0].get("extensions") or {}).get("code")
        return JSONResponse({"errors": errors}, status_code=STATUS_OF.get(str(code), 400))
    path = params.get("path")
    if path is None and len(context.figures) == 1:
        (path,) = context.figures
    released = context.figures.get(path or "")
    if released is None:
        drawable = ", ".join(sorted(context.figures)) or "none"
        message = f"path {path!r} names no result that draws; drawable paths: {drawable}"
        return error_response(400, message, "BAD_REQUEST")
    drawn = replace(options, footnote=provenance_note(released.provenance))
    try:
        body = await to_thread.run_sync(partial(figure, released.value, drawn), limiter=RENDERERS)
    except AnalysisError as error:
        return error_response(400, str(error), "BAD_REQUEST")
    provenance = released.provenance
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "cache-control": "private, no-store",
            "x-hemalake-lake-version": str(provenance.lake_version),
            "x-hemalake-access": provenance.access,
            "x-hemalake-query-hash": provenance.query_hash,
        },
    )
