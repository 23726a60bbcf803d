"""A small typed client for scripts: one function per common question, Polars frames out.

Statisticians script their analyses; this client speaks hemalake's GraphQL over HTTP with httpx
(already a dependency of the package, so ``pip install hemalake`` is enough; gql stays a dev-only
example, ``examples/fetch_cohort.py``). It lives in ``service/`` because it is the HTTP edge seen
from the other side; it imports nothing of the server.

::

    from service.client import HemalakeClient

    with HemalakeClient.from_env() as hl:        # HEMALAKE_URL, HEMALAKE_API_KEY
        size = hl.size({"diseases": ["MM"]})
        os_by_riss = hl.survival({"diseases": ["MM"]}, group_by={"score": "riss"}, times=[12, 24])
        print(os_by_riss.frame, os_by_riss.provenance.lake_version)

Every answer is an :class:`Answer`: a Polars frame, the :class:`Provenance` of the release
(quote the lake version and query hash with a result: the same question on the same lake
version gives the same numbers) and the tests or totals beside the frame. Withheld counts stay
null (typed ``Int64``/``Float64``), never 0. Errors raise :class:`HemalakeQueryError` carrying
each error's ``extensions.code`` (``FORBIDDEN``, ``EMPTY_COHORT``, ``BAD_REQUEST``...; see
schema/README.md). A study analysis (:meth:`HemalakeClient.analysis`) gives its report: the
tables as frames, the HTML page and every file's bytes. Questions without a function go through
:meth:`HemalakeClient.query`.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx
import polars as pl

DEFAULT_URL = "http://127.0.0.1:8000/graphql"
JSON = dict[str, Any]
PROVENANCE = """provenance { lakeVersion queryHash modelVersion softwareVersion minCellSize
  access operationHash }"""
TEST = "testName statistic df pValue reason"


class HemalakeQueryError(Exception):
    """The server answered with errors; ``code`` is the first one's ``extensions.code``.

    ``errors`` holds every error as sent, ``data`` the partial answer (fields that did answer).
    """

    def __init__(self, errors: Sequence[JSON], data: JSON | None = None) -> None:
        self.errors = list(errors)
        self.data = data
        self.codes = [str(e.get("extensions", {}).get("code", "NO_CODE")) for e in self.errors]
        self.code = self.codes[0] if self.codes else "NO_CODE"
        super().__init__(
            "; ".join(
                f"{c}: {e.get('message', '')}" for c, e in zip(self.codes, self.errors, strict=True)
            )
        )


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a released result comes from (``Provenance`` in the schema)."""

    lake_version: int
    query_hash: str
    model_version: str
    software_version: str
    min_cell_size: int
    access: str
    operation_hash: str

    @classmethod
    def of(cls, data: JSON) -> Provenance:
        """From the ``provenance`` object of an answer."""
        return cls(
            lake_version=int(data["lakeVersion"]),
            query_hash=str(data["queryHash"]),
            model_version=str(data["modelVersion"]),
            software_version=str(data["softwareVersion"]),
            min_cell_size=int(data["minCellSize"]),
            access=str(data["access"]),
            operation_hash=str(data["operationHash"]),
        )


@dataclass(frozen=True, slots=True)
class Answer:
    """A frame with the provenance of the release it came from and what sits beside it
    (``extra``: tests, totals, excluded counts, as the server named them)."""

    frame: pl.DataFrame
    provenance: Provenance
    extra: Mapping[str, Any] = field(default_factory=dict)


def _frame(rows: Sequence[JSON], schema: Mapping[str, type[pl.DataType]]) -> pl.DataFrame:
    """Rows as a frame with a fixed schema, so nulls (withheld values) keep their type."""
    return pl.DataFrame(list(rows), schema=dict(schema), orient="row")


@dataclass(frozen=True, slots=True)
class StudyReport:
    """A study analysis's report (``AnalysisReport``): its tables as frames (by file stem, read
    from the Arrow files, which carry the provenance in their schema metadata), the page, every
    file's bytes (write them to reproduce what ``hemalake analyse`` writes) and the provenance."""

    name: str
    version: int
    lake_version: int
    access: str
    unanswered: tuple[str, ...]
    tables: Mapping[str, pl.DataFrame]
    files: Mapping[str, bytes]

    @property
    def html(self) -> str:
        """The report page (figures inline as SVG)."""
        return self.files["report.html"].decode("utf-8")


INT, FLOAT, STR, BOOL = pl.Int64, pl.Float64, pl.String, pl.Boolean


class HemalakeClient:
    """A hemalake GraphQL endpoint; use as a context manager (or call :meth:`close`).

    Parameters
    ----------
    url
        The GraphQL endpoint, e.g. ``https://hemalake.hospital.example/graphql``.
    api_key
        Sent as ``Authorization: Bearer``; ``None`` for a demo that admits anonymous callers.
    timeout
        Seconds per request.
    transport
        An httpx transport (tests: ``httpx.ASGITransport``); default the network.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeout: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"accept": "application/graphql-response+json, application/json"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        self.url = url
        self._http = httpx.Client(headers=headers, timeout=timeout, transport=transport)

    @classmethod
    def from_env(cls) -> Self:
        """URL and key from ``HEMALAKE_URL`` and ``HEMALAKE_API_KEY`` (keys never in code)."""
        return cls(
            os.environ.get("HEMALAKE_URL", DEFAULT_URL),
            api_key=os.environ.get("HEMALAKE_API_KEY"),
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- the generic way in ---------------------------------------------------------------

    def query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
    ) -> JSON:
        """POST one GraphQL document; its ``data``, or :class:`HemalakeQueryError`.

        Any field of the schema (schema/schema.graphql) is reachable this way, e.g. a field
        added after this client.
        """
        body: JSON = {"query": document, "variables": dict(variables or {})}
        if operation_name is not None:
            body["operationName"] = operation_name
        response = self._http.post(self.url, json=body)
        try:
            payload: JSON = response.json()
        except ValueError:
            response.raise_for_status()
            raise
        if payload.get("errors"):
            raise HemalakeQueryError(payload["errors"], payload.get("data"))
        response.raise_for_status()
        data: JSON = payload["data"]
        return data

    def _cohort(
        self, selection: str, arguments: str, variables: JSON, lake_version: int | None
    ) -> JSON:
        declared = ", ".join(
            a for a in ("$filter: CohortFilterInput", "$lakeVersion: Int", arguments) if a
        )
        document = (
            f"query Ask({declared}) {{ cohort(filter: $filter, "
            f"lakeVersion: $lakeVersion) {{ {selection} }} }}"
        )
        data = self.query(document, {**variables, "lakeVersion": lake_version})
        cohort: JSON = data["cohort"]
        return cohort

    # -- one function per common question --------------------------------------------------

    def size(
        self, cohort: Mapping[str, Any] | None = None, *, lake_version: int | None = None
    ) -> Answer:
        """How many patients match ``cohort`` (a ``CohortFilterInput`` as a dict)."""
        answer = self._cohort(
            f"size {{ value suppressed {PROVENANCE} }}", "", {"filter": cohort}, lake_version
        )["size"]
        return Answer(
            _frame(
                [{"n": answer["value"], "suppressed": answer["suppressed"]}],
                {"n": INT, "suppressed": BOOL},
            ),
            Provenance.of(answer["provenance"]),
        )

    def breakdown(
        self,
        attribute: str,
        cohort: Mapping[str, Any] | None = None,
        *,
        lake_version: int | None = None,
    ) -> Answer:
        """Patients per category of ``attribute`` (a ``CategoricalAttribute``, e.g. ``SITE``)."""
        answer = self._cohort(
            f"breakdown(attribute: $attribute) {{ total categories {{ category n suppressed }} "
            f"{PROVENANCE} }}",
            "$attribute: CategoricalAttribute!",
            {"filter": cohort, "attribute": attribute},
            lake_version,
        )["breakdown"]
        return Answer(
            _frame(answer["categories"], {"category": STR, "n": INT, "suppressed": BOOL}),
            Provenance.of(answer["provenance"]),
            {"total": answer["total"]},
        )

    def survival(
        self,
        cohort: Mapping[str, Any] | None = None,
        *,
        endpoint: str = "OS",
        time_zero: Mapping[str, Any] | None = None,
        group_by: Mapping[str, Any] | None = None,
        times: Sequence[float] = (),
        time_unit: str = "MONTHS",
        lake_version: int | None = None,
    ) -> Answer:
        """Kaplan-Meier by group (``time_zero``: a ``TimeZeroInput``, default from diagnosis):
        one row per group (n, events, median with its CI) and, when
        ``times`` are given, ``points``: survival at each time per group (in ``extra``)."""
        answer = self._cohort(
            "survival(endpoint: $endpoint, timeZero: $timeZero, groupBy: $groupBy, times: $times,"
            " timeUnit: $unit) {"
            " timeUnit excluded groups { group n events median { estimate lower upper }"
            " atTimes { time survival lower upper nAtRisk } }"
            f" logrank {{ {TEST} }} {PROVENANCE} }}",
            "$endpoint: KaplanMeierEndpoint, $timeZero: TimeZeroInput, $groupBy: GroupingInput, "
            "$times: [Float!], "
            "$unit: TimeUnit!",
            {
                "filter": cohort,
                "endpoint": endpoint,
                "timeZero": time_zero,
                "groupBy": group_by,
                "times": list(times) or None,
                "unit": time_unit,
            },
            lake_version,
        )["survival"]
        groups = answer["groups"]
        frame = _frame(
            [
                {"group": g["group"], "n": g["n"], "events": g["events"], **_median(g["median"])}
                for g in groups
            ],
            {
                "group": STR,
                "n": INT,
                "events": INT,
                "median": FLOAT,
                "median_lower": FLOAT,
                "median_upper": FLOAT,
            },
        )
        points = _frame(
            [
                {
                    "group": g["group"],
                    "time": p["time"],
                    "survival": p["survival"],
                    "lower": p["lower"],
                    "upper": p["upper"],
                    "n_at_risk": p["nAtRisk"],
                }
                for g in groups
                for p in g["atTimes"]
            ],
            {
                "group": STR,
                "time": FLOAT,
                "survival": FLOAT,
                "lower": FLOAT,
                "upper": FLOAT,
                "n_at_risk": INT,
            },
        )
        return Answer(
            frame,
            Provenance.of(answer["provenance"]),
            {
                "points": points,
                "logrank": answer["logrank"],
                "time_unit": answer["timeUnit"],
                "excluded": answer["excluded"],
            },
        )

    def cox(
        self,
        covariates: Sequence[Mapping[str, Any]],
        cohort: Mapping[str, Any] | None = None,
        *,
        endpoint: str = "OS",
        time_zero: Mapping[str, Any] | None = None,
        ties: str = "EFRON",
        lake_version: int | None = None,
    ) -> Answer:
        """A Cox model on ``covariates`` (``CovariateInput`` dicts): one row per coefficient
        (hazard ratio and 95% CI); the likelihood-ratio test, n and events in ``extra``."""
        answer = self._cohort(
            "coxModel(endpoint: $endpoint, timeZero: $timeZero, covariates: $covariates,"
            " ties: $ties)"
            " { n events"
            " coefficients { name coef hazardRatio se pValue lower upper }"
            f" likelihoodRatio {{ {TEST} }} concordance {{ cIndex }} {PROVENANCE} }}",
            "$endpoint: KaplanMeierEndpoint, $timeZero: TimeZeroInput, "
            "$covariates: [CovariateInput!], $ties: Ties!",
            {
                "filter": cohort,
                "endpoint": endpoint,
                "timeZero": time_zero,
                "covariates": list(covariates),
                "ties": ties,
            },
            lake_version,
        )["coxModel"]
        frame = _frame(
            [
                {
                    "name": c["name"],
                    "coef": c["coef"],
                    "hazard_ratio": c["hazardRatio"],
                    "se": c["se"],
                    "p_value": c["pValue"],
                    "lower": c["lower"],
                    "upper": c["upper"],
                }
                for c in answer["coefficients"]
            ],
            {
                "name": STR,
                "coef": FLOAT,
                "hazard_ratio": FLOAT,
                "se": FLOAT,
                "p_value": FLOAT,
                "lower": FLOAT,
                "upper": FLOAT,
            },
        )
        return Answer(
            frame,
            Provenance.of(answer["provenance"]),
            {
                "n": answer["n"],
                "events": answer["events"],
                "likelihood_ratio": answer["likelihoodRatio"],
                "concordance": answer["concordance"],
            },
        )

    def cumulative_incidence(
        self,
        cohort: Mapping[str, Any] | None = None,
        *,
        endpoint: str,
        times: Sequence[float],
        time_zero: Mapping[str, Any] | None = None,
        group_by: Mapping[str, Any] | None = None,
        time_unit: str = "MONTHS",
        lake_version: int | None = None,
    ) -> Answer:
        """Cumulative incidence with competing risks (``CompetingEndpoint``, e.g. ``NRM``): one
        row per group, cause and time; Gray's tests in ``extra``."""
        answer = self._cohort(
            "cumulativeIncidence(endpoint: $endpoint, timeZero: $timeZero, groupBy: $groupBy,"
            " times: $times,"
            " timeUnit: $unit) { excluded groups { group n causes { cause events"
            " atTimes { time estimate lower upper nAtRisk } } }"
            f" grayTests {{ cause test {{ {TEST} }} }} {PROVENANCE} }}",
            "$endpoint: CompetingEndpoint, $timeZero: TimeZeroInput, $groupBy: GroupingInput, "
            "$times: [Float!], "
            "$unit: TimeUnit!",
            {
                "filter": cohort,
                "endpoint": endpoint,
                "timeZero": time_zero,
                "groupBy": group_by,
                "times": list(times),
                "unit": time_unit,
            },
            lake_version,
        )["cumulativeIncidence"]
        frame = _frame(
            [
                {
                    "group": g["group"],
                    "n": g["n"],
                    "cause": c["cause"],
                    "events": c["events"],
                    "time": p["time"],
                    "estimate": p["estimate"],
                    "lower": p["lower"],
                    "upper": p["upper"],
                    "n_at_risk": p["nAtRisk"],
                }
                for g in answer["groups"]
                for c in g["causes"]
                for p in c["atTimes"]
            ],
            {
                "group": STR,
                "n": INT,
                "cause": STR,
                "events": INT,
                "time": FLOAT,
                "estimate": FLOAT,
                "lower": FLOAT,
                "upper": FLOAT,
                "n_at_risk": INT,
            },
        )
        return Answer(
            frame,
            Provenance.of(answer["provenance"]),
            {"gray_tests": answer["grayTests"], "excluded": answer["excluded"]},
        )

    def analysis(self, name: str, *, lake_version: int | None = None) -> StudyReport:
        """Run the study analysis ``name`` (``lake/analyses/definitions/NAME.toml``) as this
        caller, on ``lake_version`` (the newest when ``None``): a :class:`StudyReport`."""
        report = self.query(
            "query Analysis($name: String!, $lakeVersion: Int) { analysis(name: $name, "
            "lakeVersion: $lakeVersion) { name version lakeVersion access unanswered "
            "files { name encoding content } } }",
            {"name": name, "lakeVersion": lake_version},
        )["analysis"]
        files = {
            f["name"]: base64.b64decode(f["content"])
            if f["encoding"] == "base64"
            else f["content"].encode("utf-8")
            for f in report["files"]
        }
        tables = {
            file.removesuffix(".arrow"): pl.read_ipc(io.BytesIO(content))
            for file, content in files.items()
            if file.endswith(".arrow")
        }
        return StudyReport(
            name=report["name"],
            version=int(report["version"]),
            lake_version=int(report["lakeVersion"]),
            access=str(report["access"]),
            unanswered=tuple(report["unanswered"]),
            tables=tables,
            files=files,
        )


def _median(quantile: JSON | None) -> JSON:
    q = quantile or {}
    return {
        "median": q.get("estimate"),
        "median_lower": q.get("lower"),
        "median_upper": q.get("upper"),
    }
