"""Fetch cohort summaries from hemalake into Polars frames with the standard GraphQL client, gql.

Install the client next to Polars (``pip install 'gql[httpx]>=4' polars``; hemalake's dev
environment has both), start the demo (``make demo``: the demo lake in ``.demo/lake`` served on
http://127.0.0.1:8000, anonymous visitors admitted as analysts, so no key is needed), then::

    .venv/bin/python examples/fetch_cohort.py

An optional argument is the cohort filter as JSON (a ``CohortFilterInput``; default
``{"diseases": ["MM"]}``; the demo's sites are the folders of ``loaders/sites``)::

    .venv/bin/python examples/fetch_cohort.py '{"diseases": ["MM"], "sites": ["DE-MMRW"]}'

A server that asks for credentials (``uv run hemalake serve --lake .demo/lake --settings
hemalake.toml``, or a deployment) takes its URL and your API key from the environment::

    export HEMALAKE_URL=https://hemalake.hospital.example/graphql
    export HEMALAKE_API_KEY="$(cat ~/.config/hemalake/key)"   # never in the command line
    .venv/bin/python examples/fetch_cohort.py

What it does: one named operation (``CohortSummary``) with the filter as a variable, sent by gql's
httpx transport with the API key as an ``Authorization: Bearer`` header. The same request in
another client is a ``POST`` of ``{"query", "variables", "operationName"}``.

What it prints: the cohort size with its provenance (lake version, query hash and software
version: quote them with a result, the same query on the same lake version gives the same
numbers); the breakdown by site as a frame (``category``, ``n``, ``suppressed``); overall
survival by sex as a frame (``group``, ``n``, ``events``, ``median`` with ``median_lower`` /
``median_upper``, in months); and the log-rank test.

Suppressed values: counts below the server's minimum cell size (and the counts that would give
them back by subtraction) arrive as null, and so does an estimate resting on them (a median is
also null when it is not reached). The frames keep them null, typed (``Int64`` / ``Float64``),
never 0: a null count means "withheld", not "none", so do not fill it before summing or plotting.

Errors: when the server answers with GraphQL errors, gql raises ``TransportQueryError`` holding
them; the script prints each message with its ``extensions.code`` (``UNAUTHENTICATED`` without a
valid key, ``EMPTY_COHORT``, ``BAD_REQUEST``, ``COST_LIMIT_EXCEEDED``...: see schema/README.md)
to stderr and exits 1. Validation errors (an unknown field, a value outside an enum) carry a
message only and show ``no code``. A field that fails is null in the answer with its own error
(its ``path`` names it) while the fields beside it answer: gql raises all the same, and the
partial answer is in the exception's ``data``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import polars as pl
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport

DEFAULT_URL = "http://127.0.0.1:8000/graphql"
DEFAULT_FILTER: dict[str, Any] = {"diseases": ["MM"]}
OPERATION = "CohortSummary"
QUERY = """
query CohortSummary($filter: CohortFilterInput) {
  cohort(filter: $filter) {
    size { value provenance { lakeVersion queryHash softwareVersion } }
    breakdown(attribute: SITE) { categories { category n suppressed } }
    survival(endpoint: OS, groupBy: {attribute: SEX}, timeUnit: MONTHS) {
      groups { group n events median { estimate lower upper } }
      logrank { statistic df pValue }
    }
  }
}
"""

#: Frame schemas, so that a column of nulls (every cell withheld) keeps its type.
BREAKDOWN_SCHEMA = {"category": pl.String, "n": pl.Int64, "suppressed": pl.Boolean}
SURVIVAL_SCHEMA = {
    "group": pl.String,
    "n": pl.Int64,
    "events": pl.Int64,
    "median": pl.Float64,
    "median_lower": pl.Float64,
    "median_upper": pl.Float64,
}


def fetch_cohort(
    url: str, api_key: str | None, cohort_filter: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run ``CohortSummary`` for one cohort and return its ``cohort`` object.

    Parameters
    ----------
    url
        The GraphQL endpoint, e.g. ``http://127.0.0.1:8000/graphql``.
    api_key
        Sent as ``Authorization: Bearer <key>``; ``None`` sends none (the demo answers as for
        an anonymous analyst; a server that asks for credentials answers ``UNAUTHENTICATED``).
    cohort_filter
        A ``CohortFilterInput`` as a dict (``None``: every patient the key may see).

    Raises
    ------
    gql.transport.exceptions.TransportQueryError
        When the server answers with GraphQL errors (its ``errors`` attribute holds them).
    """
    headers = {"accept": "application/graphql-response+json"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    client = Client(transport=HTTPXTransport(url=url, headers=headers, timeout=120))
    request = GraphQLRequest(
        QUERY, variable_values={"filter": cohort_filter}, operation_name=OPERATION
    )
    data = client.execute(request)
    cohort: dict[str, Any] = data["cohort"]
    return cohort


def breakdown_frame(cohort: dict[str, Any]) -> pl.DataFrame:
    """The site breakdown, one row per site; a withheld count is null with ``suppressed`` true."""
    return pl.DataFrame(cohort["breakdown"]["categories"], schema=BREAKDOWN_SCHEMA)


def survival_frame(cohort: dict[str, Any]) -> pl.DataFrame:
    """Overall survival by sex, one row per group; withheld counts and estimates are null."""
    rows = [
        {
            "group": group["group"],
            "n": group["n"],
            "events": group["events"],
            "median": (group["median"] or {}).get("estimate"),
            "median_lower": (group["median"] or {}).get("lower"),
            "median_upper": (group["median"] or {}).get("upper"),
        }
        for group in cohort["survival"]["groups"]
    ]
    return pl.DataFrame(rows, schema=SURVIVAL_SCHEMA)


def describe_errors(error: TransportQueryError) -> str:
    """One line per GraphQL error: its message and its ``extensions.code``."""
    errors = error.errors or [{"message": str(error)}]
    return "\n".join(
        f"{e.get('message')} ({(e.get('extensions') or {}).get('code', 'no code')})" for e in errors
    )


def main(argv: list[str]) -> int:
    """Print the cohort's size, site breakdown, survival by sex and log-rank test."""
    cohort_filter = json.loads(argv[0]) if argv else DEFAULT_FILTER
    url = os.environ.get("HEMALAKE_URL", DEFAULT_URL)
    try:
        cohort = fetch_cohort(url, os.environ.get("HEMALAKE_API_KEY"), cohort_filter)
    except TransportQueryError as error:
        sys.stderr.write(f"hemalake refused the query:\n{describe_errors(error)}\n")
        return 1
    size = cohort["size"]
    provenance = size["provenance"]
    sys.stdout.write(
        f"cohort size: {size['value']} (lake version {provenance['lakeVersion']}, "
        f"query hash {provenance['queryHash']}, hemalake {provenance['softwareVersion']})\n"
        f"{breakdown_frame(cohort)}\n{survival_frame(cohort)}\n"
        f"log-rank: {cohort['survival']['logrank']}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
