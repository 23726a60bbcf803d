"""The data dictionary, generated from the code so it can never drift from it.

``render_markdown()`` produces ``docs/data-dictionary.md`` (committed; a test fails when it is
stale) and ``entries()`` gives the columns as plain records for the API. Sources:

- the tables, their columns and OMOP homes: :mod:`lake.model`, per-code OMOP concepts and unit
  concepts: :mod:`lake.model_omop`;
- the derived patient attributes: :data:`lake.cohort.attributes.DERIVED`;
- the derived endpoints analysts can ask for: :mod:`lake.dictionary.endpoints` (from the endpoint
  catalogue of :mod:`lake.cohort.endpoints`);
- the risk scores, with every UNCONFIRMED rule: the registry (:mod:`lake.risk.registry`), and
  where each can be used on a cohort: :func:`lake.cohort.risk.cohort_use`.

The dictionary carries :data:`~lake.model.MODEL_VERSION` and its structure fingerprint. It has no
version of its own: annotation changes (descriptions, OMOP homes, concepts) do not change the data
contract, so they change this document and git history, not the model version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

from lake.cohort.attributes import DERIVED
from lake.cohort.risk import cohort_use
from lake.dictionary.endpoints import derived_kinds, endpoint_entries
from lake.model import (
    CLINICAL_TABLES,
    MODEL_VERSION,
    Column,
    Table,
    structure_fingerprint,
)
from lake.model_omop import UNIT_CONCEPTS, CodeHome, Concept
from lake.risk.registry import REGISTRY, Registry
from lake.risk.spec import RiskScore

NO_OMOP_HOME = "no OMOP home"


@dataclass(frozen=True, slots=True)
class DictionaryEntry:
    """One column of the dictionary as plain values (what the API publishes)."""

    table: str
    column: str
    dtype: str
    description: str
    required: bool
    unit: str | None
    codes: tuple[str, ...] | None
    valid_range: tuple[float, float] | None
    omop: str | None
    loinc: str | None
    no_omop: str | None
    omop_codes: tuple[CodeHome, ...]


_DTYPE_NAMES: dict[object, str] = {
    pl.String: "string",
    pl.Float64: "float",
    pl.Int16: "integer",
    pl.Int32: "integer",
    pl.Int64: "integer",
    pl.Date: "date",
    pl.Boolean: "boolean",
}


def _dtype_name(dtype: object) -> str:
    if isinstance(dtype, pl.List):
        return f"list[{_dtype_name(dtype.inner)}]"
    key = dtype if isinstance(dtype, type) else type(dtype)
    return _DTYPE_NAMES.get(key, str(dtype))


def _entry(table: Table, col: Column) -> DictionaryEntry:
    return DictionaryEntry(
        table=table.name,
        column=col.name,
        dtype=_dtype_name(col.dtype),
        description=col.description,
        required=col.required,
        unit=col.unit,
        codes=col.codes,
        valid_range=col.valid_range,
        omop=col.omop,
        loinc=col.loinc,
        no_omop=col.no_omop,
        omop_codes=col.omop_codes,
    )


def entries() -> list[DictionaryEntry]:
    """Every column of every harmonised table, in model order."""
    return [_entry(t, c) for t in CLINICAL_TABLES for c in t.columns]


def _cell(text: object) -> str:
    return "" if text is None else str(text).replace("|", "\\|")


def _codes(codes: Iterable[str]) -> str:
    return ", ".join(f"`{c}`" for c in codes)


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


def _range(valid_range: tuple[float, float] | None) -> str:
    if valid_range is None:
        return ""
    low, high = valid_range
    return f"{low:g} – {high:g}"


def _omop(entry: DictionaryEntry) -> str:
    return entry.omop if entry.omop is not None else f"**{NO_OMOP_HOME}**: {entry.no_omop}"


def _concept_cells(concept: Concept | None) -> tuple[str, str, str, str]:
    if concept is None:
        return ("", "", "", "")
    concept_id = "" if concept.concept_id is None else str(concept.concept_id)
    return (concept.vocabulary, concept.lookup, concept_id, concept.status)


_CONCEPT_HEADER = ("vocabulary", "concept (code or name)", "concept_id", "status")


def _code_maps(tbl: Table) -> list[str]:
    """One table per distinct per-code map of the table, naming the columns that use it."""
    users: dict[tuple[CodeHome, ...], list[str]] = {}
    for col in tbl.columns:
        if col.omop_codes:
            users.setdefault(col.omop_codes, []).append(col.name)
    lines: list[str] = []
    for homes, columns in users.items():
        lines += [f"OMOP home and concept by code of {_codes(columns)}:", ""]
        lines += _table(
            ("code", "OMOP home", *_CONCEPT_HEADER),
            ((f"`{h.code}`", h.home, *_concept_cells(h.concept)) for h in homes),
        )
    return lines


def _table_section(tbl: Table) -> list[str]:
    lines = [
        f"## `{tbl.name}`",
        "",
        tbl.description,
        "",
        f"Key: {', '.join(f'`{k}`' for k in tbl.key)}. OMOP: {tbl.omop}.",
        "",
    ]
    lines += _table(
        (
            "column",
            "type",
            "required",
            "unit",
            "codes",
            "valid range",
            "OMOP",
            "LOINC",
            "description",
        ),
        (
            (
                f"`{e.column}`",
                e.dtype,
                "yes" if e.required else "",
                e.unit,
                _codes(e.codes or ()),
                _range(e.valid_range),
                _omop(e),
                e.loinc,
                e.description,
            )
            for e in (_entry(tbl, c) for c in tbl.columns)
        ),
    )
    return lines + _code_maps(tbl)


def _unit_section() -> list[str]:
    stored = [
        (c.unit, f"{t.name}.{c.name}")
        for t in CLINICAL_TABLES
        for c in t.columns
        if c.unit is not None and c.omop is not None
    ]
    lines = [
        "## Unit concepts",
        "",
        "`unit_concept_id` (UCUM) of every canonical unit of a stored measurement. The source "
        "unit stays in `unit_source_value` (07-omop.md §7.3).",
        "",
    ]
    return lines + _table(
        ("unit", *_CONCEPT_HEADER, "columns"),
        (
            (unit, *_concept_cells(concept), _codes(col for u, col in stored if u == unit))
            for unit, concept in UNIT_CONCEPTS.items()
        ),
    )


def _attribute_section() -> list[str]:
    lines = [
        "## Derived patient attributes",
        "",
        "Per-patient attributes derived at query time from the long tables, declared once in "
        "`lake/cohort/attributes.py` (with the stored columns of `patients`, `baseline`, "
        "`genetics` and `comorbidities`, they are the attributes a cohort can be filtered, "
        "grouped, stratified or modelled by). Kinds: `categorical` and `ordinal` (one code; "
        "ordinal codes form a scale, lowest first, apart from the unranked codes listed last), "
        "`flag` (true/false), `numeric` (filter by range, group by cut points: the range is "
        "the public range of protected histograms), `list` (several codes: filter by any/all "
        "membership, count). Unknown (null) values never match a filter.",
        "",
    ]
    return lines + _table(
        ("attribute", "kind", "description", "codes", "unit", "range", "from"),
        (
            (
                f"`{a.name}`",
                a.kind,
                a.description,
                _codes(a.codes or ()),
                a.unit,
                _range(a.valid_range),
                f"`{a.source}`",
            )
            for a in DERIVED
        ),
    )


def _endpoint_section() -> list[str]:
    lines = [
        "## Derived endpoints",
        "",
        "Endpoints are derived at query time from `events` and `bcr_abl1` (`lake/endpoints`), "
        "never stored. The event kinds below are read off each definition; a same-day tie goes "
        "to the event of interest or to the competing event as listed; a censoring event "
        "censors only when strictly before the event. Follow-up of a patient without an event "
        "ends at the last contact (latest dated row) or the last BCR::ABL1 sample. Any origin "
        "can be moved by `landmark_days` (landmark analysis).",
        "",
        "Outcome kinds derived from stored rows:",
        "",
    ]
    lines += _table(
        ("kind", "from", "definition"),
        ((f"`{k.kind}`", f"`{k.source}`", k.definition) for k in derived_kinds()),
    )
    lines += _table(
        (
            "endpoint",
            "label",
            "definition",
            "events",
            "competing events",
            "censored by",
            "follow-up ends at",
            "same-day ties go to",
            "time origins",
        ),
        (
            (
                f"`{e.name}`",
                e.label,
                e.definition,
                _codes(e.events),
                _codes(e.competing),
                _codes(e.censored_by),
                e.follow_up,
                e.ties_go_to,
                _codes(e.origins),
            )
            for e in endpoint_entries()
        ),
    )
    return lines


def _score_status(score: RiskScore) -> str:
    return f"**{score.status}**" if score.status == "UNCONFIRMED" else score.status


def _cohort_use(score: RiskScore) -> str:
    use = cohort_use(score)
    if not use.usable:
        return f"Not usable on a cohort: {use.per_patient}"
    if use.per_patient is None:
        return "On a cohort: one value per patient"
    return f"On a cohort, per patient: {use.per_patient}"


def _score_section(registry: Registry) -> list[str]:
    lines = [
        "## Risk scores",
        "",
        "Every registered score version (`lake/risk/registry.py`). A result stores the version "
        "id and policy values with it. Where a rule is UNCONFIRMED the score's status is "
        "UNCONFIRMED and the rule is listed with the value in use.",
        "",
    ]
    lines += _table(
        ("name", "version", "disease", "status", "categories", "UNCONFIRMED rules"),
        (
            (
                f"`{s.name}`",
                f"`{s.version}`",
                s.disease,
                _score_status(s),
                _codes(s.categories),
                len(s.unconfirmed_rules),
            )
            for s in registry.scores
        ),
    )
    for s in registry.scores:
        lines += [
            f"### `{s.version}`",
            "",
            f"- Name: `{s.name}`; disease: {s.disease}; status: {_score_status(s)}",
            f"- Citation: {s.citation}" + (f" doi:{s.doi}" if s.doi else ""),
            f"- Inputs: {_codes(s.inputs)}",
            f"- Categories: {_codes(s.categories)}",
            f"- {_cohort_use(s)}",
        ]
        if s.policy:
            policy = ", ".join(f"`{k}` = `{v}`" for k, v in s.policy.items())
            lines.append(f"- Policy: {policy}")
        lines += [f"- **UNCONFIRMED**: {rule}" for rule in s.unconfirmed_rules]
        lines.append("")
    return lines


def render_markdown(registry: Registry = REGISTRY) -> str:
    """The whole dictionary as Markdown: tables, unit concepts, endpoints, risk scores."""
    lines = [
        "# hemalake data dictionary",
        "",
        f"Model version **{MODEL_VERSION}** (structure fingerprint "
        f"`{structure_fingerprint()[:16]}`). Generated from the code by `hemalake dictionary`; "
        "do not edit by hand.",
        "",
        "The model version changes with the structure (tables, keys, columns, types, required "
        "flags, units, codes, valid ranges); descriptions and OMOP annotations are documentation "
        "and change without a version bump.",
        "",
        "Markers are tri-state: `present`, `absent`, `not_tested`; a missing value is unknown, "
        "never absent. Measurements are in the canonical unit named in the column. Every table "
        "is a Delta table partitioned by `site`.",
        "",
        "OMOP: each column names its home in OMOP CDM v5.4 (+ Oncology extension, "
        "07-omop.md) or why it has none. Concept status: CONFIRMED in 07-omop.md; UNCONFIRMED = "
        "an ID from a secondary source, verify against the OMOP vocabulary before use; LOOK_UP = "
        "no ID recorded, resolve by vocabulary and code or name.",
        "",
    ]
    for tbl in CLINICAL_TABLES:
        lines += _table_section(tbl)
    lines += _unit_section()
    lines += _attribute_section()
    lines += _endpoint_section()
    lines += _score_section(registry)
    return "\n".join(lines).rstrip("\n")
