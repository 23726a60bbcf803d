"""A study analysis's report: its answers cut into tables, with the run's provenance, written as
HTML (:mod:`lake.analyses.html`), CSV and Arrow.

Everything here is a pure function of the answers and the run's stamp: the same answers on the
same lake version give the same bytes. The report holds no clock time; the only date in it is
the commit time of the lake version it read, so a rerun on a pinned version reproduces it byte
for byte.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

# pyarrow ships no type information; only its IPC writer is used, for the schema metadata
# polars' write_ipc cannot set
import pyarrow as pa  # type: ignore[import-untyped]

from lake.analyses.definition import AnalysisDefinition, Question
from lake.analyses.tables import columns, rows_at


@dataclass(frozen=True, slots=True)
class Answer:
    """One question's GraphQL answer: its data (``None`` when nothing was answered), its
    errors as ``(code, message)`` pairs (refused fields, e.g. models for a protected role), and
    the released value of each lake field it asked, by response path (``cohort.survival``), which
    the figures draw."""

    question: Question
    data: Mapping[str, object] | None
    errors: tuple[tuple[str, str], ...] = ()
    released: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunStamp:
    """The provenance of one run: what was asked, of which lake version, by which software."""

    analysis: str
    analysis_version: int
    lake_version: int
    #: commit time of the lake version (ISO 8601, UTC): the only date in a report
    lake_committed_at: str
    software_version: str
    model_version: str
    role: str
    access: str
    #: (score, rule version) of every risk score the answers used, sorted
    score_versions: tuple[tuple[str, str], ...]

    def rows(self) -> list[dict[str, str]]:
        """The stamp as (field, value) rows: the provenance table of the report."""
        fields: list[tuple[str, object]] = [
            ("analysis", self.analysis),
            ("analysis_version", self.analysis_version),
            ("lake_version", self.lake_version),
            ("lake_committed_at", self.lake_committed_at),
            ("software_version", self.software_version),
            ("model_version", self.model_version),
            ("role", self.role),
            ("access", self.access),
            *((f"score_version.{s}", v) for s, v in self.score_versions),
        ]
        return [{"field": k, "value": str(v)} for k, v in fields]


@dataclass(frozen=True, slots=True)
class ReportTable:
    """One table of the report; ``frame`` is ``None`` when the answer has no such list, and
    ``missing`` says why (the question's errors)."""

    name: str
    question: str
    path: str
    frame: pl.DataFrame | None
    missing: str | None = None


def score_versions(answers: Sequence[Answer]) -> tuple[tuple[str, str], ...]:
    """Every ``scoreVersions`` entry of the answers' provenance, sorted and without repeats."""
    found: set[tuple[str, str]] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "scoreVersions" and isinstance(value, list):
                    found.update((str(s["score"]), str(s["version"])) for s in value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for answer in answers:
        walk(answer.data)
    return tuple(sorted(found))


def table_rows(data: object, path: str) -> list[dict[str, object]]:
    """The rows at ``path``: one per object of a list (:func:`lake.analyses.tables.rows_at`),
    or one row for an object reached through objects only (a test, a model's concordance)."""
    node = data
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        return [columns(node)]
    return rows_at(data, path)


def cut_tables(answers: Sequence[Answer]) -> tuple[ReportTable, ...]:
    """Each declared table of each answer, cut as ``/export.csv`` cuts it (:func:`table_rows`)."""
    tables = []
    for answer in answers:
        for spec in answer.question.tables:
            name, question = spec.name, answer.question.name
            try:
                frame = pl.DataFrame(table_rows(answer.data, spec.path))
            except KeyError as error:
                reason = "; ".join(f"{c}: {m}" for c, m in answer.errors) or str(error.args[0])
                tables.append(ReportTable(name, question, spec.path, None, reason))
                continue
            tables.append(ReportTable(name, question, spec.path, frame))
    return tuple(tables)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as CSV (UTF-8, a header row, ``\\n`` line ends, nulls empty)."""
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def arrow_bytes(frame: pl.DataFrame, metadata: Mapping[str, str]) -> bytes:
    """The frame as an Arrow IPC file (uncompressed) with ``metadata`` in its schema."""
    table = frame.to_arrow()
    table = table.replace_schema_metadata(dict(metadata))
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


@dataclass(frozen=True, slots=True)
class Report:
    """A rendered report: the HTML page and its tables with the run's provenance."""

    definition: AnalysisDefinition
    stamp: RunStamp
    html: str
    tables: tuple[ReportTable, ...]

    def files(self) -> dict[str, bytes]:
        """Every file of the report by name: ``report.html``, ``provenance.csv`` and
        ``.arrow``, and ``<table>.csv`` and ``<table>.arrow`` for each table answered. Each
        Arrow file carries the provenance as schema metadata (``hemalake.*`` keys)."""
        metadata = {f"hemalake.{r['field']}": r["value"] for r in self.stamp.rows()}
        frames = {"provenance": pl.DataFrame(self.stamp.rows())}
        frames |= {t.name: t.frame for t in self.tables if t.frame is not None}
        files = {"report.html": self.html.encode()}
        for name, frame in frames.items():
            files[f"{name}.csv"] = csv_bytes(frame)
            files[f"{name}.arrow"] = arrow_bytes(frame, {**metadata, "hemalake.table": name})
        return files
