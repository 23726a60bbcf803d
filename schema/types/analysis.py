"""A study analysis's report (:mod:`lake.analyses`), as the ``analysis`` field returns it."""

from __future__ import annotations

import base64
from typing import Final

import strawberry
from lake.analyses.report import Report

from schema.types.provenance import Access, ScoreVersion

#: Media type of each report file, by extension.
MEDIA_TYPES: Final = {
    "html": "text/html",
    "csv": "text/csv",
    "arrow": "application/vnd.apache.arrow.file",
}


@strawberry.type(description="One file of a report, as `hemalake analyse` writes it.")
class ReportFile:
    name: str = strawberry.field(description="File name (report.html, <table>.csv, .arrow).")
    media_type: str = strawberry.field(description="Its media type.")
    encoding: str = strawberry.field(
        description="How content is written: utf-8 (HTML, CSV) or base64 (Arrow IPC)."
    )
    content: str = strawberry.field(description="The file's bytes in that encoding.")

    @classmethod
    def of(cls, name: str, content: bytes) -> ReportFile:
        """The file ``name`` with its bytes: text as UTF-8, Arrow as base64."""
        extension = name.rsplit(".", 1)[-1]
        binary = extension == "arrow"
        return cls(
            name=name,
            media_type=MEDIA_TYPES[extension],
            encoding="base64" if binary else "utf-8",
            content=base64.b64encode(content).decode() if binary else content.decode(),
        )


@strawberry.type(
    description="A study analysis's report: the HTML page (plots inline, numbers as tables) and "
    "its tables as CSV and Arrow, computed under the caller's role, with provenance. The same "
    "analysis version on the same lake version gives the same bytes."
)
class AnalysisReport:
    name: str = strawberry.field(description="The analysis.")
    version: int = strawberry.field(description="Version of its definition.")
    title: str = strawberry.field(description="What the study asks.")
    lake_version: int = strawberry.field(description="Lake version every question read.")
    lake_committed_at: str = strawberry.field(
        description="Commit time of that lake version (ISO 8601, UTC): the report's only date."
    )
    software_version: str = strawberry.field(description="Version of hemalake.")
    model_version: str = strawberry.field(description="Version of the harmonised model.")
    access: Access = strawberry.field(
        description="GOVERNED: exact numbers. PROTECTED: differentially private releases, "
        "models refused (the page says which and why)."
    )
    score_versions: list[ScoreVersion] = strawberry.field(
        description="Every risk score the answers used, with the version of its rules."
    )
    unanswered: list[str] = strawberry.field(
        description="Tables of the definition the caller's answers do not hold (refused or "
        "withheld), each with the reason."
    )
    html: str = strawberry.field(description="The report page (report.html).")
    files: list[ReportFile] = strawberry.field(
        description="Every file of the report: report.html, provenance and each table as CSV "
        "and Arrow (the provenance also in each Arrow file's schema metadata)."
    )

    @classmethod
    def of(cls, report: Report) -> AnalysisReport:
        """The GraphQL view of a rendered report."""
        stamp = report.stamp
        return cls(
            name=stamp.analysis,
            version=stamp.analysis_version,
            title=report.definition.title,
            lake_version=stamp.lake_version,
            lake_committed_at=stamp.lake_committed_at,
            software_version=stamp.software_version,
            model_version=stamp.model_version,
            access=Access(stamp.access),
            score_versions=[ScoreVersion(score=s, version=v) for s, v in stamp.score_versions],
            unanswered=[f"{t.name}: {t.missing}" for t in report.tables if t.frame is None],
            html=report.html,
            files=[ReportFile.of(n, c) for n, c in sorted(report.files().items())],
        )
