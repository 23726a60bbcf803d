"""The data dictionary is generated from the code, complete, and the committed copy is current."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path
from typing import get_args

import polars as pl
import pytest

from lake.cohort.endpoints import CATALOGUE, EndpointKey
from lake.dictionary.endpoints import (
    OUTCOME_KINDS,
    EndpointEntry,
    derived_kinds,
    endpoint_entries,
    matching_kinds,
)
from lake.dictionary.entries import NO_OMOP_HOME, entries, render_markdown
from lake.endpoints import Origin, derive_endpoint
from lake.endpoints.definitions import MMR_LOSS, MOLECULAR_SAMPLE
from lake.endpoints.origins import OriginKind
from lake.model import (
    AGENTS,
    BASELINE,
    CLINICAL_TABLES,
    EVENT_TYPES,
    EVENTS,
    MARKER_CODES,
    TREATMENT_LINES,
    Column,
)
from lake.model_omop import UNIT_CONCEPTS, CodeHome
from lake.risk import iss
from lake.risk.registry import REGISTRY

DICTIONARY = Path(__file__).parents[2] / "docs" / "data-dictionary.md"
MARKDOWN = render_markdown()


def _row(column: str) -> str:
    """The dictionary's table row of a column (its first cell is the column name in backticks)."""
    return next(line for line in MARKDOWN.splitlines() if line.startswith(f"| `{column}` |"))


def test_committed_dictionary_matches_the_code() -> None:
    assert DICTIONARY.read_text(encoding="utf-8") == MARKDOWN + "\n", (
        "docs/data-dictionary.md is stale: run `hemalake dictionary > docs/data-dictionary.md`"
    )


def test_every_column_of_every_table_is_listed_once() -> None:
    listed = [(e.table, e.column) for e in entries()]
    expected = [(t.name, c.name) for t in CLINICAL_TABLES for c in t.columns]
    assert listed == expected
    assert len(set(listed)) == len(listed)


def test_every_table_is_keyed_by_patient_and_partitioned_by_site() -> None:
    for tbl in CLINICAL_TABLES:
        names = [c.name for c in tbl.columns]
        assert names[:2] == ["patient_id", "site"], tbl.name
        assert set(tbl.key) <= set(names), tbl.name


def test_markdown_tables_keep_their_shape() -> None:
    cells = 0
    for line in MARKDOWN.splitlines():
        if not line.startswith("|"):
            cells = 0
            continue
        count = line.replace("\\|", "").count("|") - 1
        if cells == 0:
            cells = count
        assert count == cells, line


def test_every_column_has_an_omop_home_or_says_why_not() -> None:
    for e in entries():
        assert (e.omop is None) != (e.no_omop is None), (e.table, e.column)
        if e.no_omop is not None:
            assert f"{NO_OMOP_HOME}**: {e.no_omop}" in MARKDOWN, e.column
        else:
            assert e.omop.strip(), (e.table, e.column)


def test_a_column_without_home_or_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="either its OMOP home"):
        Column("x", pl.String(), "no home, no reason")
    with pytest.raises(ValueError, match="not both or neither"):
        Column("x", pl.String(), "both", omop="observation", no_omop="none")


def test_a_code_map_must_cover_exactly_the_columns_codes() -> None:
    with pytest.raises(ValueError, match="omop_codes must map exactly"):
        Column(
            "x",
            pl.String(),
            "one code unmapped",
            codes=("a", "b"),
            omop="observation",
            omop_codes=(CodeHome("a", "observation"),),
        )


def test_each_event_type_and_agent_has_its_own_home() -> None:
    event_type = EVENTS.column("event_type")
    assert tuple(h.code for h in event_type.omop_codes) == EVENT_TYPES
    homes = {h.code: h.home for h in event_type.omop_codes}
    assert homes["death"].startswith("death.death_date")
    assert homes["last_follow_up"].startswith("observation_period.observation_period_end_date")
    assert homes["progression"].startswith("episode.")
    agents = TREATMENT_LINES.column("agents")
    assert tuple(h.code for h in agents.omop_codes) == AGENTS
    assert {h.concept.vocabulary for h in agents.omop_codes if h.concept} == {"RxNorm (Ingredient)"}
    for code in (*EVENT_TYPES, *AGENTS):
        assert f"| `{code}` |" in MARKDOWN, code


def test_laboratory_loinc_codes_are_those_of_the_domain_reference() -> None:
    # 07-omop.md §7.2 (CONFIRMED rows)
    expected = {
        "beta2m_mg_l": "1952-1",
        "albumin_g_dl": "1751-7",
        "ldh_u_l": "2532-0",
        "creatinine_mg_dl": "2160-0",
    }
    for column, loinc in expected.items():
        assert BASELINE.column(column).loinc == loinc
        assert f"| {loinc} |" in _row(column)
    assert "69380-4" in _row("is_pct")


def test_unit_concepts_follow_the_domain_reference_and_cover_every_stored_unit() -> None:
    # 07-omop.md §7.3: third-party IDs, UNCONFIRMED
    given = {"mg/dL": 8840, "g/dL": 8713, "U/L": 8645, "%": 8554}
    for unit, concept in UNIT_CONCEPTS.items():
        assert concept.vocabulary == "UCUM"
        if unit in given:
            assert (concept.concept_id, concept.status) == (given[unit], "UNCONFIRMED")
        else:
            assert (concept.concept_id, concept.status) == (None, "LOOK_UP")
    stored = {c.unit for t in CLINICAL_TABLES for c in t.columns if c.unit and c.omop}
    assert stored <= set(UNIT_CONCEPTS)


def test_concept_ids_are_only_recorded_with_a_status_that_allows_them() -> None:
    homes = [h for t in CLINICAL_TABLES for c in t.columns for h in c.omop_codes]
    for concept in [h.concept for h in homes if h.concept] + list(UNIT_CONCEPTS.values()):
        assert (concept.concept_id is None) == (concept.status == "LOOK_UP"), concept


def test_marker_codes_map_the_positivity_call_and_not_tested_writes_no_row() -> None:
    genetics_markers = [c for t in CLINICAL_TABLES for c in t.columns if c.codes == MARKER_CODES]
    assert genetics_markers
    for col in genetics_markers:
        homes = {h.code: h for h in col.omop_codes}
        assert set(homes) == set(MARKER_CODES), col.name
        assert homes["not_tested"].concept is None
        assert homes["not_tested"].home.startswith("no ")


# --- derived endpoints ------------------------------------------------------------------------


def test_every_catalogue_endpoint_is_documented_with_its_origins() -> None:
    documented = {e.name: e for e in endpoint_entries()}
    assert list(documented) == list(CATALOGUE)
    for name, entry in documented.items():
        assert entry.events, name
        assert entry.origins, name
        for origin in entry.origins:
            line = 1 if origin == "treatment_line" else None
            EndpointKey(name, origin, line_number=line)  # type: ignore[arg-type]
        assert _row(name).startswith(f"| `{name}` | {entry.label} |")
    offered = {origin for entry in documented.values() for origin in entry.origins}
    assert offered == set(get_args(OriginKind))  # every origin kind is offered by some endpoint
    for kind in derived_kinds():
        assert f"| `{kind.kind}` |" in MARKDOWN
    assert {k.kind for k in derived_kinds()} == {MMR_LOSS, MOLECULAR_SAMPLE}


def test_molecular_relapse_is_documented_as_the_mrfs_event() -> None:
    mrfs = next(e for e in endpoint_entries() if e.name == "MRFS")
    assert MMR_LOSS in mrfs.events
    assert mrfs.censored_by == ("tki_restart",)
    assert mrfs.follow_up == "last_sample"


def test_matching_kinds_qualifies_by_grade_and_systemic_ist() -> None:
    kind, grade, ist = pl.col("kind"), pl.col("grade"), pl.col("systemic_ist")
    assert matching_kinds(None) == ()
    assert matching_kinds(kind == "death") == ("death",)
    assert matching_kinds((kind == "agvhd") & grade.is_in(["III", "IV"])) == ("agvhd grade III/IV",)
    assert matching_kinds((kind == "cgvhd") & ist.fill_null(False)) == ("cgvhd with systemic IST",)
    mixed = matching_kinds((kind == "agvhd") & ((grade == "IV") | ist.fill_null(False)))
    assert mixed[0].startswith("agvhd (grade ")


def _outcome(kind: str) -> dict[str, pl.LazyFrame]:
    """One patient diagnosed on day 0 with one outcome of ``kind`` on day 10, followed to day 30.

    The patient has AML in complete remission from day 5 (unless ``kind`` is the remission), so
    EFS (AML only, induction failure without remission) counts the same rows as the others.
    """
    day = dt.date(2020, 1, 1)
    events = [("p", "last_follow_up", day + dt.timedelta(days=30), None, None)]
    if kind != "complete_remission":
        events.append(("p", "complete_remission", day + dt.timedelta(days=5), None, None))
    samples = [("p", day + dt.timedelta(days=30), False, None)]
    if kind == MMR_LOSS:
        samples.append(("p", day + dt.timedelta(days=10), True, 1.0))
    elif kind != MOLECULAR_SAMPLE:
        events.append(("p", kind, day + dt.timedelta(days=10), None, None))
    return {
        "events": pl.LazyFrame(
            events,
            schema=["patient_id", "event_type", "event_date", "grade", "systemic_ist"],
            orient="row",
        ).cast({"grade": pl.String, "systemic_ist": pl.Boolean}),
        "patients": pl.LazyFrame(
            {"patient_id": ["p"], "disease": ["AML"], "diagnosis_date": [day]}
        ),
        "bcr_abl1": pl.LazyFrame(
            samples, schema=["patient_id", "sample_date", "detectable", "is_pct"], orient="row"
        ).cast({"is_pct": pl.Float64}),
    }


@pytest.mark.parametrize("entry", endpoint_entries(), ids=lambda e: e.name)
def test_documented_event_kinds_are_what_the_derivation_counts(entry: EndpointEntry) -> None:
    """An outcome listed bare as event (competing, censoring) yields status 1 (2; 0 at it)."""
    definition = CATALOGUE[entry.name]()  # type: ignore[index]
    origin = Origin(kind="diagnosis")  # the definition's rows, whatever origins the API offers
    mentioned = " ".join((*entry.events, *entry.competing, *entry.censored_by))
    for kind in OUTCOME_KINDS:
        frame = derive_endpoint(definition, origin, **_outcome(kind)).frame
        status, time = frame.row(0)[2], frame.row(0)[1]
        if kind in entry.events:
            assert (status, time) == (1, 10), kind
        elif kind in entry.competing:
            assert (status, time) == (2, 10), kind
        elif kind in entry.censored_by:
            assert (status, time) == (0, 10), kind
        elif not re.search(rf"\b{kind}\b", mentioned):
            assert status == 0, kind


# --- risk scores ------------------------------------------------------------------------------


def test_every_registered_score_appears_with_its_status() -> None:
    for score in REGISTRY.scores:
        assert f"### `{score.version}`" in MARKDOWN
        section = MARKDOWN.split(f"### `{score.version}`", 1)[1].split("\n### ", 1)[0]
        assert score.status in section, score.version
        assert score.citation in section, score.version
        for column in score.inputs:
            assert f"`{column}`" in section, (score.version, column)


def test_every_unconfirmed_rule_and_policy_value_appears() -> None:
    unconfirmed = [s for s in REGISTRY.scores if s.status == "UNCONFIRMED"]
    assert {s.name for s in unconfirmed} >= {"eln2022", "harmony_npm1", "crcl"}
    for score in REGISTRY.scores:
        for rule in score.unconfirmed_rules:
            assert f"- **UNCONFIRMED**: {rule}" in MARKDOWN, (score.version, rule)
        for key, value in score.policy.items():
            assert f"`{key}` = `{value}`" in MARKDOWN, (score.version, key)


def test_a_newly_registered_score_appears_without_touching_the_dictionary() -> None:
    score = replace(
        iss.SPEC,
        name="probe_score",
        version="probe_score_v1",
        status="UNCONFIRMED",
        unconfirmed_rules=("probe cut-off 42 U/L",),
    )
    markdown = render_markdown(REGISTRY.with_score(score))
    assert "### `probe_score_v1`" in markdown
    assert "- **UNCONFIRMED**: probe cut-off 42 U/L" in markdown
    assert "| `probe_score` | `probe_score_v1` | MM | **UNCONFIRMED** |" in markdown
    assert "probe_score_v1" not in MARKDOWN
