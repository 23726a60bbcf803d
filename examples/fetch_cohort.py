"""Fetch cohort summaries from hemalake into Polars frames, with a standard HTTP client.

Run a server first (``hemalake serve --lake demo-lake``), then::

    HEMALAKE_URL=http://127.0.0.1:8000/graphql HEMALAKE_API_KEY=... python examples/fetch_cohort.py

GraphQL over HTTP is plain JSON: POST ``{"query", "variables", "operationName"}`` and read
``data`` / ``errors``. Suppressed counts (below the minimum cell size) arrive as null.
"""

from __future__ import annotations

import os
import sys

import httpx
import polars as pl

QUERY = """
query SurvivalBySex($filter: CohortFilterInput) {
  cohort(filter: $filter) {
    size { value provenance { lakeVersion queryHash softwareVersion } }
    breakdown(attribute: SITE) { categories { category n suppressed } }
    survival(endpoint: OS, groupBy: SEX, times: [12, 24], timeUnit: MONTHS) {
      groups { group n events median { estimate lower upper } }
      logrank { statistic df pValue }
    }
  }
}
"""


def fetch(url: str, api_key: str | None, variables: dict[str, object]) -> dict[str, object]:
    """Run the query; raise with the server's error messages and codes if it fails."""
    headers = {"accept": "application/graphql-response+json"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    response = httpx.post(
        url,
        json={"query": QUERY, "variables": variables, "operationName": "SurvivalBySex"},
        headers=headers,
        timeout=120,
    )
    payload = response.json()
    if payload.get("errors"):
        problems = "; ".join(
            f"{e['message']} ({e.get('extensions', {}).get('code')})" for e in payload["errors"]
        )
        raise RuntimeError(f"hemalake answered {response.status_code}: {problems}")
    data: dict[str, object] = payload["data"]["cohort"]
    return data


def main() -> int:
    """Print the cohort's site breakdown and survival by sex as Polars frames."""
    url = os.environ.get("HEMALAKE_URL", "http://127.0.0.1:8000/graphql")
    cohort = fetch(url, os.environ.get("HEMALAKE_API_KEY"), {"filter": {"diseases": ["MM"]}})
    sites = pl.DataFrame(cohort["breakdown"]["categories"])  # type: ignore[index]
    survival = pl.json_normalize(cohort["survival"]["groups"])  # type: ignore[index]
    sys.stdout.write(f"cohort size: {cohort['size']['value']}\n{sites}\n{survival}\n")  # type: ignore[index]
    sys.stdout.write(f"log-rank: {cohort['survival']['logrank']}\n")  # type: ignore[index]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
