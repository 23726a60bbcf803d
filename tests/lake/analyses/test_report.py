"""A report's tables, files and page: cut as /export.csv cuts, provenance in every file, the same
bytes for the same answers, and nothing of the answers unescaped in the page."""

from __future__ import annotations

import io

import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]  # no type information; reads Arrow back

from lake.analyses.definition import AnalysisDefinition, PlotSpec, Question, TableSpec
from lake.analyses.html import render_html
from lake.analyses.report import (
    Answer,
    Report,
    RunStamp,
    cut_tables,
    score_versions,
    table_rows,
)

QUESTION = Question(
    name="os",
    title="Overall survival <by stage>",
    document="query ($lakeVersion: Int!) { ... }",
    variables={},
    tables=(
        TableSpec("groups", "cohort.survival.groups"),
        TableSpec("logrank", "cohort.survival.logrank"),
        TableSpec("hazard-ratios", "cohort.coxModel.coefficients"),
    ),
    plots=(PlotSpec("kaplan_meier", "cohort.survival", "OS by stage"),),
)
DEFINITION = AnalysisDefinition(
    name="study", version=2, title="A study", seed="000", summary="s", questions=(QUESTION,)
)
DATA = {
    "cohort": {
        "survival": {
            "groups": [
                {"group": "I", "n": 10, "median": {"estimate": 12.5}},
                {"group": "<script>", "n": None, "median": {"estimate": None}},
            ],
            "logrank": {"statistic": 4.0, "df": 1, "pValue": 0.0455},
            "provenance": {"scoreVersions": [{"score": "riss", "version": "riss_p2015"}]},
        },
        "coxModel": None,
    }
}
ANSWER = Answer(QUESTION, DATA, errors=(("FORBIDDEN", "models are refused"),))
STAMP = RunStamp(
    analysis="study",
    analysis_version=2,
    lake_version=7,
    lake_committed_at="2026-01-02T03:04:05+00:00",
    software_version="0.1.0",
    model_version="1.2.0",
    role="statistician",
    access="governed",
    score_versions=score_versions([ANSWER]),
)


def _report() -> Report:
    tables = cut_tables([ANSWER])
    return Report(DEFINITION, STAMP, render_html(DEFINITION, STAMP, [ANSWER], tables), tables)


def test_a_table_is_a_list_cut_like_export_or_one_object_as_one_row() -> None:
    groups = table_rows(DATA, "cohort.survival.groups")
    assert groups[0] == {"group": "I", "n": 10, "median.estimate": 12.5}
    assert table_rows(DATA, "cohort.survival.logrank") == [
        {"statistic": 4.0, "df": 1, "pValue": 0.0455}
    ]


def test_a_refused_field_leaves_its_table_unanswered_with_the_reason() -> None:
    tables = {t.name: t for t in cut_tables([ANSWER])}
    assert tables["groups"].frame is not None
    assert tables["groups"].frame.height == 2
    refused = tables["hazard-ratios"]
    assert refused.frame is None
    assert refused.missing == "FORBIDDEN: models are refused"


def test_score_versions_are_gathered_from_every_provenance() -> None:
    assert STAMP.score_versions == (("riss", "riss_p2015"),)


def test_files_carry_provenance_and_are_the_same_bytes_each_time() -> None:
    files = _report().files()
    assert sorted(files) == [
        "groups.arrow",
        "groups.csv",
        "logrank.arrow",
        "logrank.csv",
        "provenance.arrow",
        "provenance.csv",
        "report.html",
    ]
    assert files == _report().files()
    provenance = pl.read_csv(io.BytesIO(files["provenance.csv"]))
    assert dict(provenance.iter_rows())["lake_version"] == "7"
    with pa.ipc.open_file(io.BytesIO(files["groups.arrow"])) as reader:
        metadata = reader.schema.metadata
        table = reader.read_all()
    assert metadata[b"hemalake.lake_version"] == b"7"
    assert metadata[b"hemalake.analysis_version"] == b"2"
    assert metadata[b"hemalake.table"] == b"groups"
    assert table.column("group").to_pylist() == ["I", "<script>"]
    assert pl.read_csv(io.BytesIO(files["groups.csv"])).get_column("n").to_list() == [10, None]


def test_the_page_escapes_answers_shows_refusals_and_an_empty_slot() -> None:
    page = _report().html
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "Overall survival &lt;by stage&gt;" in page
    assert "FORBIDDEN: models are refused" in page
    # nothing was released to draw (no recorded value): the slot stays, saying so
    assert 'data-kind="kaplan_meier"' in page
    assert "plot not drawn" in page
    # the only date is the lake version's commit time
    assert "2026-01-02T03:04:05+00:00" in page
    assert "12.5" in page
    assert "–" in page
