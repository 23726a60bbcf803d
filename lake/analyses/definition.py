"""A study analysis as a reviewable, versioned definition: which GraphQL questions it asks,
which tables of their answers it reports and which plots it draws.

A definition is a TOML file in :data:`DEFINITIONS_DIR`, named ``<name>.toml``::

    name = "myeloma-staging"            # the file's stem; what `hemalake analyse NAME` takes
    version = 1                         # raise it whenever a question, table or plot changes
    title = "..."
    seed = "000 ..."                    # the seed document whose analysis set this is
    summary = "..."

    [[questions]]
    name = "os_by_riss"
    title = "Overall survival by R-ISS"
    document = '''query ($lakeVersion: Int!) { cohort(..., lakeVersion: $lakeVersion) { ... } }'''
    variables = { }                     # optional, beside lakeVersion

      [[questions.tables]]               # a list of objects of the answer, as /export.csv cuts it
      name = "os_by_riss_groups"
      path = "cohort.survival.groups"

      [[questions.plots]]                # a figure of the field at path (lake.plots)
      kind = "kaplan_meier"
      path = "cohort.survival"

The questions are the API's own GraphQL documents, asked through the same schema and boundary
as any other query (:mod:`schema.analyses`): there is no second query language, and the caller's
role, disclosure control and audit apply to each question. Every document declares
``$lakeVersion: Int!`` and passes it to each ``cohort``, so one run reads one lake version.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, TypeAlias, cast, get_args

from lake.errors import ConfigError

#: Where the repository's analysis definitions live.
DEFINITIONS_DIR: Final = Path(__file__).with_name("definitions")
#: Plot kinds a definition may declare (drawn by :mod:`lake.analyses.figures`).
PlotKind: TypeAlias = Literal[
    "kaplan_meier", "cumulative_incidence", "forest", "staging_comparison"
]
PLOT_KINDS: Final = get_args(PlotKind)
#: Names of analyses, questions and tables: they become file names.
_NAME: Final = re.compile(r"[a-z][a-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One table of an answer: the list of objects at ``path`` (dot-separated from ``data``)."""

    name: str
    path: str


@dataclass(frozen=True, slots=True)
class PlotSpec:
    """One figure: ``kind`` drawn from the released value of the field at ``path`` (response
    keys, aliases included: ``cohort.survival``, ``cohort.sokal``)."""

    kind: PlotKind
    path: str
    title: str


@dataclass(frozen=True, slots=True)
class Question:
    """One GraphQL document of the analysis, with its variables and what is reported of it."""

    name: str
    title: str
    document: str
    variables: Mapping[str, object]
    tables: tuple[TableSpec, ...]
    plots: tuple[PlotSpec, ...]


@dataclass(frozen=True, slots=True)
class AnalysisDefinition:
    """A study's analysis set, as read from ``definitions/<name>.toml``."""

    name: str
    version: int
    title: str
    seed: str
    summary: str
    questions: tuple[Question, ...]


def definition_names() -> tuple[str, ...]:
    """The names of the repository's analyses, sorted."""
    return tuple(sorted(p.stem for p in DEFINITIONS_DIR.glob("*.toml")))


def load_definition(name: str, directory: Path = DEFINITIONS_DIR) -> AnalysisDefinition:
    """The analysis ``name`` of ``directory``; an unknown name or an invalid file is a
    :class:`ConfigError` naming the file and what to fix."""
    path = directory / f"{name}.toml"
    if not _NAME.fullmatch(name) or not path.is_file():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.toml")))
        raise ConfigError(f"no analysis named {name!r}; the analyses are: {known}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    return parse_definition(raw, where=str(path), name=name)


def parse_definition(raw: Mapping[str, object], *, where: str, name: str) -> AnalysisDefinition:
    """The definition in ``raw`` (a parsed TOML document from ``where``); its ``name`` must be
    ``name``, and question, table and plot names unique (tables become files)."""
    fields = _Fields(raw, where)
    if fields.text("name") != name:
        raise ConfigError(f"{where}: name must be {name!r}, the file's name")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ConfigError(f"{where}: version must be a whole number, 1 or more")
    questions = tuple(
        _question(q, f"{where} questions[{i}]") for i, q in enumerate(fields.tables("questions"))
    )
    if not questions:
        raise ConfigError(f"{where}: an analysis asks at least one question ([[questions]])")
    for kind, names in (
        ("question", [q.name for q in questions]),
        ("table", [t.name for q in questions for t in q.tables]),
    ):
        if len(set(names)) != len(names):
            raise ConfigError(f"{where}: {kind} names must be unique (got {', '.join(names)})")
    return AnalysisDefinition(
        name=name,
        version=version,
        title=fields.text("title"),
        seed=fields.text("seed"),
        summary=fields.text("summary"),
        questions=questions,
    )


def _question(raw: Mapping[str, object], where: str) -> Question:
    fields = _Fields(raw, where)
    variables = raw.get("variables", {})
    if not isinstance(variables, dict) or "lakeVersion" in variables:
        raise ConfigError(f"{where}: variables is a table without lakeVersion (the run sets it)")
    document = fields.text("document")
    if "$lakeVersion" not in document:
        raise ConfigError(f"{where}: the document must declare and use $lakeVersion: Int!")
    tables = tuple(
        TableSpec(name=t.name("name"), path=t.text("path"))
        for t in (_Fields(r, f"{where} tables") for r in fields.tables("tables"))
    )
    plots = []
    for raw_plot in fields.tables("plots"):
        plot = _Fields(raw_plot, f"{where} plots")
        kind = plot.text("kind")
        if kind not in PLOT_KINDS:
            raise ConfigError(f"{where}: plot kind {kind!r} is not one of {', '.join(PLOT_KINDS)}")
        plots.append(
            PlotSpec(kind=cast(PlotKind, kind), path=plot.text("path"), title=plot.text("title"))
        )
    return Question(
        name=fields.name("name"),
        title=fields.text("title"),
        document=document,
        variables=variables,
        tables=tables,
        plots=tuple(plots),
    )


class _Fields:
    """Typed reads of one TOML table, each failure a :class:`ConfigError` naming the field."""

    def __init__(self, raw: Mapping[str, object], where: str) -> None:
        self.raw, self.where = raw, where

    def text(self, key: str) -> str:
        value = self.raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{self.where}: {key} must be a non-empty string")
        return value

    def name(self, key: str) -> str:
        value = self.text(key)
        if not _NAME.fullmatch(value):
            raise ConfigError(
                f"{self.where}: {key} {value!r} must be lower case letters, digits, _ and -"
            )
        return value

    def tables(self, key: str) -> list[Mapping[str, object]]:
        value = self.raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ConfigError(f"{self.where}: {key} must be an array of tables ([[{key}]])")
        return value
