"""C1 missing-input naming, checked by brute force over small input domains (hypothesis).

For a row, every unknown input ranges over a finite set of representative values that reaches
every category the input can give (both calls of a marker, one value per band of a lab value).
The brute force evaluates an independent scalar reference written from the domain documents on
every completion, and derives:

- the exact category: the common category of all completions, else ``NOT_CLASSIFIABLE``;
- the blocking inputs: an unknown input blocks when, for some completion of the other unknowns,
  two of its values give different results (an input that could change the result given the
  known ones).

The engine must return exactly that category and name exactly the blocking inputs, in the
score's input order. Then two consequences hold, and are checked on the engine itself:
``NOT_CLASSIFIABLE`` iff the named list is non-empty, and filling in every unknown input that is
*not* named (with any values) never resolves the row: a non-blocking input is irrelevant to the
result whatever the others are, so the named ones still block.

The continuous CML scores (Sokal, EUTOS, ELTS, Hasford) have no finite domain: there each named
input is shown to block by a witness (a point of the other unknowns, on a monotone path through
their box, where the input alone leaves the group open), and Hasford rows whose unknowns are all
step inputs are checked by the brute force.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.risk import cml_common, hctci, molecular_response, tki_stop
from lake.risk.eln2022 import ADVERSE_CYTOGENETICS, MR_GENES, eln2022
from lake.risk.elts import elts
from lake.risk.eutos import eutos
from lake.risk.harmony_npm1 import harmony_npm1
from lake.risk.hasford import hasford
from lake.risk.iss import iss
from lake.risk.npm1_table import shipped_table
from lake.risk.riss import riss
from lake.risk.sokal import sokal
from lake.risk.tristate import ScoreParts
from tests.lake.risk.helpers import cohort
from tests.lake.risk.test_eln2022 import NEGATIVE
from tests.lake.risk.test_eln2022 import reference as eln_reference
from tests.lake.risk.test_harmony_npm1 import itd_table
from tests.lake.risk.test_properties import ref_iss_known, ref_riss_known

NC = "NOT_CLASSIFIABLE"
UNKNOWN = object()  # the brute force's own marker for "unknown"
CALLS = ("present", "absent")
Reference = Callable[[Mapping[str, Any]], Any]
SEEDED = settings(max_examples=40, deadline=None, derandomize=True)


# ------------------------------------------------------------------------------ brute force
def brute_force(
    row: Mapping[str, Any], domains: Mapping[str, Sequence[Any]], reference: Reference
) -> tuple[str, list[str]]:
    """Exact category and blocking columns of ``row`` (``UNKNOWN`` values range over domains).

    ``reference`` returns a category code, or a non-string for "no category" (a genotype cell
    without a group): such an outcome is ``NOT_CLASSIFIABLE`` and distinct from every other.
    """
    unknown = [c for c in domains if row[c] is UNKNOWN]
    outcomes = {
        combo: reference({**row, **dict(zip(unknown, combo, strict=True))})
        for combo in itertools.product(*(domains[c] for c in unknown))
    }
    results = set(outcomes.values())
    only = next(iter(results))
    category = only if len(results) == 1 and isinstance(only, str) else NC
    blocking = [
        column
        for j, column in enumerate(unknown)
        if any(
            outcomes[combo] != outcomes[(*combo[:j], value, *combo[j + 1 :])]
            for combo in outcomes
            for value in domains[column]
        )
    ]
    return category, blocking


def engine(parts: ScoreParts, frame: pl.DataFrame) -> list[tuple[str, list[str]]]:
    out = parts.apply(frame, "s").select(
        pl.col("s").struct.field("category").cast(pl.String),
        pl.col("s").struct.field("missing_inputs"),
    )
    return list(out.iter_rows())


def check_against_brute_force(
    parts: ScoreParts,
    rows: list[dict[str, Any]],
    domains: Mapping[str, Sequence[Any]],
    reference: Reference,
    *,
    unknown_value: Callable[[str], Any],
    frame: Callable[[list[dict[str, Any]]], pl.DataFrame],
    pseudo: str | None = None,
) -> None:
    """Exact category and naming, then the two consequences on the engine itself."""
    qualified = {i.column: i.qualified for i in parts.inputs}
    order = [i.qualified for i in parts.inputs] + ([pseudo] if pseudo else [])

    def as_frame(batch: list[dict[str, Any]]) -> pl.DataFrame:
        return frame(
            [{c: unknown_value(c) if v is UNKNOWN else v for c, v in r.items()} for r in batch]
        )

    got = engine(parts, as_frame(rows))
    filled_rows: list[dict[str, Any]] = []
    for row, (category, named) in zip(rows, got, strict=True):
        expected_category, blocking = brute_force(row, domains, reference)
        expected = [qualified[c] for c in blocking]
        if pseudo is not None and _reaches_undetermined(row, domains, reference):
            expected.append(pseudo)
        assert (category, named) == (expected_category, sorted(expected, key=order.index)), row
        assert (category == NC) == bool(named)
        free = [c for c in domains if row[c] is UNKNOWN and qualified[c] not in named]
        if named:  # fill every non-named unknown: the row must stay NOT_CLASSIFIABLE
            filled_rows += [
                {**row, **dict(zip(free, combo, strict=True))}
                for combo in itertools.product(*(domains[c] for c in free))
            ]
    if filled_rows:
        assert {c for c, _ in engine(parts, as_frame(filled_rows))} == {NC}


def _reaches_undetermined(
    row: Mapping[str, Any], domains: Mapping[str, Sequence[Any]], reference: Reference
) -> bool:
    unknown = [c for c in domains if row[c] is UNKNOWN]
    return any(
        not isinstance(reference({**row, **dict(zip(unknown, combo, strict=True))}), str)
        for combo in itertools.product(*(domains[c] for c in unknown))
    )


def marker_rows(
    columns: Sequence[str], fixed: Mapping[str, Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    call = st.sampled_from([*CALLS, UNKNOWN])
    return st.fixed_dictionaries({**dict.fromkeys(columns, call), **(fixed or {})})


def not_tested(_: str) -> str:
    return "not_tested"


# ----------------------------------------------------------------------------------- ELN 2022
ELN_MARKERS = ("t8_21", "inv16", "t9_11", "npm1", "flt3_itd", "cebpa_bzip", "tp53")
ELN_GROUP_SAMPLE = ("minus7", "complex_karyotype", "asxl1", "runx1")  # two adverse, two MR
ELN_DOMAINS: dict[str, Sequence[Any]] = {
    **dict.fromkeys((*ELN_MARKERS, *ELN_GROUP_SAMPLE), CALLS),
    "tp53_vaf": (5.0, 30.0),  # one value each side of the 10% threshold
}
ELN_FIXED_NEGATIVE = {k: v for k, v in NEGATIVE.items() if k not in ELN_DOMAINS}


def eln_ref(row: Mapping[str, Any]) -> str:
    known = {n: row.get(n, ELN_FIXED_NEGATIVE.get(n)) == "present" for n in NEGATIVE}
    return eln_reference(known, tp53_vaf_ge_10=row["tp53_vaf"] >= 10)


eln_rows = st.fixed_dictionaries(
    {
        **dict.fromkeys((*ELN_MARKERS, *ELN_GROUP_SAMPLE), st.sampled_from([*CALLS, UNKNOWN])),
        "tp53_vaf": st.sampled_from([5.0, 30.0, UNKNOWN]),
    }
)


@SEEDED
@given(rows=st.lists(eln_rows, min_size=1, max_size=30))
def test_eln2022_names_exactly_the_blocking_inputs(rows: list[dict[str, Any]]) -> None:
    assert set(ADVERSE_CYTOGENETICS) >= {"minus7", "complex_karyotype"}
    assert set(MR_GENES) >= {"asxl1", "runx1"}
    check_against_brute_force(
        eln2022(),
        rows,
        ELN_DOMAINS,
        eln_ref,
        unknown_value=lambda c: None if c == "tp53_vaf" else "not_tested",
        frame=lambda batch: cohort([ELN_FIXED_NEGATIVE | r for r in batch]),
    )


def test_eln2022_worked_example_9_names_only_flt3_itd() -> None:
    """02-aml.md example 9: NPM1 mut, FLT3-ITD unknown, normal karyotype, TP53 wild-type."""
    row = NEGATIVE | {"npm1": "present", "flt3_itd": "not_tested"}
    assert engine(eln2022(), cohort([row])) == [(NC, ["genetics.flt3_itd"])]


# ------------------------------------------------------------------------- HARMONY NPM1
NPM1_COLUMNS = ("npm1", "flt3_itd", "dnmt3a", "idh1", "idh2", "tet2")
NPM1_DOMAINS = dict.fromkeys(NPM1_COLUMNS, CALLS)


def npm1_ref(table: Any) -> Reference:
    def group(row: Mapping[str, Any]) -> Any:
        if row["npm1"] == "absent":
            return "NOT_APPLICABLE"
        on = {c: row[c] == "present" for c in NPM1_COLUMNS}
        genotype = (on["flt3_itd"], on["dnmt3a"], on["idh1"] or on["idh2"], on["tet2"])
        cell = table.group_of(genotype)
        return ("no group", genotype) if cell is None else cell

    return group


def _half_assigned() -> Any:
    """The hand-made table of test_harmony_npm1 with its TET2-mutated cells unassigned."""
    table = itd_table()
    cells = tuple(type(c)(c.genotype, None if c.genotype[3] else c.group) for c in table.cells)
    return type(table)("test_half", "DERIVED", "test", cells)


@SEEDED
@given(rows=st.lists(marker_rows(NPM1_COLUMNS), min_size=1, max_size=30))
def test_harmony_npm1_names_markers_and_the_missing_group(rows: list[dict[str, Any]]) -> None:
    for table in (itd_table(), _half_assigned(), shipped_table("harmony_npm1_2026")):
        check_against_brute_force(
            harmony_npm1(table),
            rows,
            NPM1_DOMAINS,
            npm1_ref(table),
            unknown_value=not_tested,
            frame=cohort,
            pseudo=f"{table.version}.genotype_group",
        )


def test_a_genotype_without_a_group_says_so() -> None:
    """The shipped default table assigns no cell: the reason is the table, not the patient."""
    row = {"npm1": "present", **dict.fromkeys(NPM1_COLUMNS[1:], "absent")}
    got = engine(harmony_npm1(shipped_table("harmony_npm1_2026")), cohort([row]))
    assert got == [(NC, ["harmony_npm1_2026.genotype_group"])]


# ----------------------------------------------------------------------------- TKI stop
TKI_DOMAINS: dict[str, Sequence[Any]] = {
    "cml_phase": ("chronic", "accelerated"),
    "bcr_abl1_transcript": ("e14a2", "atypical"),
    "tki_line": (1, 2, 3),
    "switched_for_intolerance_only": (True, False),
    "second_generation_tki": (True, False),
    "tki_years": (3.5, 4.5, 6.0),  # one value per band of the > 4 and > 5 year limits
    "mr4_years": (1.5, 2.5, 3.5),
    "mr45_years": (1.0, 2.5),
    "prior_treatment_failure": (True, False),
}
TKI_SCHEMA = {
    "cml_phase": pl.String, "bcr_abl1_transcript": pl.String, "tki_line": pl.Int16,
    "switched_for_intolerance_only": pl.Boolean, "second_generation_tki": pl.Boolean,
    "tki_years": pl.Float64, "mr4_years": pl.Float64, "mr45_years": pl.Float64,
    "prior_treatment_failure": pl.Boolean,
}  # fmt: skip


def tki_ref(r: Mapping[str, Any]) -> str:
    """ELN 2020 TFR criteria (03-cml.md §3.7) on known values."""
    line_ok = r["tki_line"] == 1 or (r["tki_line"] == 2 and r["switched_for_intolerance_only"])
    long_enough = r["tki_years"] > 5 or (r["second_generation_tki"] and r["tki_years"] > 4)
    minimal = (
        r["cml_phase"] == "chronic"
        and line_ok
        and r["bcr_abl1_transcript"] in ("e13a2", "e14a2", "e13a2_e14a2")
        and long_enough
        and r["mr4_years"] > 2
        and not r["prior_treatment_failure"]
    )
    optimal = r["tki_years"] > 5 and (r["mr4_years"] > 3 or r["mr45_years"] > 2)
    return "NOT_ELIGIBLE" if not minimal else "OPTIMAL" if optimal else "MINIMAL"


tki_rows = st.fixed_dictionaries(
    {c: st.sampled_from([*values, UNKNOWN]) for c, values in TKI_DOMAINS.items()}
)


@SEEDED
@given(rows=st.lists(tki_rows, min_size=1, max_size=30))
def test_tki_stop_names_exactly_the_blocking_inputs(rows: list[dict[str, Any]]) -> None:
    check_against_brute_force(
        tki_stop.tki_stop(),
        rows,
        TKI_DOMAINS,
        tki_ref,
        unknown_value=lambda c: "not_tested" if c == "bcr_abl1_transcript" else None,
        frame=lambda batch: pl.DataFrame(batch, schema=TKI_SCHEMA),
    )


# ------------------------------------------------------------------------------- HCT-CI
HCTCI_WEIGHTS = {**hctci.SINGLE_ITEMS}
HCTCI_COLUMNS = tuple(i.column for i in hctci.INPUTS)


def hctci_ref(r: Mapping[str, Any]) -> str:
    """Sorror 2005 (04-transplant.md §4.2): weights summed, two-level organs scored once."""
    total = sum(w for n, w in hctci.SINGLE_ITEMS.items() if r[n] == "present")
    for (low, low_w), (high, high_w) in hctci.ORGANS.values():
        total += high_w if r[high] == "present" else low_w if r[low] == "present" else 0
    return "LOW" if total == 0 else "INTERMEDIATE" if total <= 2 else "HIGH"


@st.composite
def hctci_rows(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly absent items, a few present, at most six unknown (2^6 completions)."""
    row = {c: draw(st.sampled_from(["absent", "absent", "present"])) for c in HCTCI_COLUMNS}
    unknown = draw(st.lists(st.sampled_from(HCTCI_COLUMNS), max_size=6, unique=True))
    return row | dict.fromkeys(unknown, UNKNOWN)


@SEEDED
@given(rows=st.lists(hctci_rows(), min_size=1, max_size=30))
def test_hctci_names_exactly_the_blocking_items(rows: list[dict[str, Any]]) -> None:
    check_against_brute_force(
        hctci.hctci(),
        rows,
        dict.fromkeys(HCTCI_COLUMNS, CALLS),
        hctci_ref,
        unknown_value=not_tested,
        frame=cohort,
    )


def test_hctci_one_point_item_at_one_point_needs_another() -> None:
    """Known sum 1 (diabetes); unknown obesity (1) and valve disease (3).

    Valve disease decides INTERMEDIATE (1-2) or HIGH (>= 4); obesity alone moves 1 -> 2, still
    INTERMEDIATE, and with the valve present 4 -> 5, still HIGH: it cannot change the group.
    """
    row = dict.fromkeys(HCTCI_COLUMNS, "absent") | {
        "diabetes": "present",
        "obesity": "not_tested",
        "heart_valve_disease": "not_tested",
    }
    assert engine(hctci.hctci(), cohort([row])) == [(NC, ["comorbidities.heart_valve_disease"])]


# ----------------------------------------------------------------------------- MR level
MR_DOMAINS: dict[str, Sequence[Any]] = {
    "detectable": (True, False),
    "is_pct": (0.0005, 0.002, 0.005, 0.05, 0.5),  # MR5, MR4.5, MR4, MMR, NONE
    "abl1_copies": (5_000, 20_000, 50_000, 200_000),  # INDETERMINATE, MR4, MR4.5, MR5
}


def mr_ref(r: Mapping[str, Any]) -> str:
    """Cross 2015 (03-cml.md §3.6) on known values."""
    if r["detectable"]:
        limits = ((0.001, "MR5"), (0.0032, "MR4.5"), (0.01, "MR4"), (0.1, "MMR"))
        return next((level for limit, level in limits if r["is_pct"] <= limit), "NONE")
    copies = r["abl1_copies"]
    return (
        "MR5" if copies >= 100_000 else "MR4.5" if copies >= 32_000
        else "MR4" if copies >= 10_000 else "INDETERMINATE"
    )  # fmt: skip


mr_rows = st.fixed_dictionaries(
    {c: st.sampled_from([*values, UNKNOWN]) for c, values in MR_DOMAINS.items()}
)


@SEEDED
@given(rows=st.lists(mr_rows, min_size=1, max_size=30))
def test_mr_level_names_exactly_the_blocking_inputs(rows: list[dict[str, Any]]) -> None:
    schema = {"detectable": pl.Boolean, "is_pct": pl.Float64, "abl1_copies": pl.Int64}
    check_against_brute_force(
        molecular_response.molecular_response(),
        rows,
        MR_DOMAINS,
        mr_ref,
        unknown_value=lambda _: None,
        frame=lambda batch: pl.DataFrame(batch, schema=schema),
    )


# ------------------------------------------------------------------------------ ISS, R-ISS
MM_DOMAINS: dict[str, Sequence[Any]] = {
    "beta2m_mg_l": (2.0, 4.0, 6.0),  # < 3.5, 3.5-5.5, >= 5.5
    "albumin_g_dl": (3.0, 4.0),  # each side of 3.5
    "ldh_u_l": (200.0, 300.0),  # each side of the ULN
    "del17p": CALLS,
    "t4_14": CALLS,
    "t14_16": CALLS,
}


def riss_ref(r: Mapping[str, Any]) -> str:
    high_ca = any(r[n] == "present" for n in ("del17p", "t4_14", "t14_16"))
    return ref_riss_known(r["beta2m_mg_l"], r["albumin_g_dl"], high_ca, r["ldh_u_l"] > 250.0)


mm_rows = st.fixed_dictionaries(
    {c: st.sampled_from([*values, UNKNOWN]) for c, values in MM_DOMAINS.items()}
)


@SEEDED
@given(rows=st.lists(mm_rows, min_size=1, max_size=30))
def test_iss_and_riss_name_exactly_the_blocking_inputs(rows: list[dict[str, Any]]) -> None:
    def frame(batch: list[dict[str, Any]]) -> pl.DataFrame:
        return cohort([r | {"ldh_uln_u_l": 250.0} for r in batch])

    def unknown_value(column: str) -> str | None:
        return "not_tested" if column in ("del17p", "t4_14", "t14_16") else None

    iss_domains = {c: MM_DOMAINS[c] for c in ("beta2m_mg_l", "albumin_g_dl")}
    iss_rows = [{c: r[c] for c in iss_domains} for r in rows]
    check_against_brute_force(
        iss(),
        iss_rows,
        iss_domains,
        lambda r: ref_iss_known(r["beta2m_mg_l"], r["albumin_g_dl"]),
        unknown_value=unknown_value,
        frame=frame,
    )
    check_against_brute_force(
        riss(), rows, MM_DOMAINS, riss_ref, unknown_value=unknown_value, frame=frame
    )


# ------------------------------------------------------------------- continuous CML scores
CML_COLUMNS = {
    "age_at_diagnosis": cml_common.AGE,
    "spleen_cm": cml_common.SPLEEN,
    "platelets_10e9_l": cml_common.PLATELETS,
    "pb_blasts_pct": cml_common.BLASTS,
    "basophils_pct": cml_common.BASOPHILS,
    "eosinophils_pct": cml_common.EOSINOPHILS,
}


def _between(column: str) -> st.SearchStrategy[float]:
    low, high = CML_COLUMNS[column].valid_range
    return st.floats(low, min(high, 2_000.0), allow_nan=False)


cml_rows = st.fixed_dictionaries(
    {c: st.one_of(st.just(UNKNOWN), _between(c)) for c in CML_COLUMNS}
    | {"cml_phase": st.sampled_from(["chronic", "chronic", "blast", UNKNOWN])}
)
HASFORD_STEPS = ("age_at_diagnosis", "basophils_pct", "platelets_10e9_l")
#: Each score, the inputs it decreases with, and its step inputs (see lake.risk.cml_common).
CML_SCORES: dict[str, tuple[Callable[[], ScoreParts], set[str], tuple[str, ...]]] = {
    "sokal": (sokal, set(), ()),
    "eutos": (eutos, set(), ()),
    "elts": (elts, {"platelets_10e9_l"}, ()),
    "hasford": (hasford, set(), HASFORD_STEPS),
}


def _path_points(
    row: dict[str, Any], column: str, parts: ScoreParts, decreasing: set[str], steps: Sequence[str]
) -> list[dict[str, Any]]:
    """Rows with only ``column`` unknown, the other unknowns on a monotone path of their box.

    The path runs from the corner lowering the score to the one raising it (every other unknown
    moves in its own direction), 101 points; Hasford's unknown step inputs take each assignment.
    """
    inputs = {i.column: i for i in parts.inputs if i.column in CML_COLUMNS}
    others = [c for c in inputs if c != column and row[c] is UNKNOWN]
    points = []
    for t in (k / 100 for k in range(101)):
        point = dict(row) | {column: None, "cml_phase": "chronic"}
        for c in others:
            low, high = inputs[c].valid_range
            share = 1 - t if c in decreasing else t
            point[c] = low + share * (high - low)
        points.append(point)
    unknown_steps = [c for c in others if c in steps]
    path = list(points)
    for assignment in itertools.product((0, 1), repeat=len(unknown_steps)):
        ends = {c: inputs[c].valid_range[a] for c, a in zip(unknown_steps, assignment, strict=True)}
        points += [point | ends for point in path]
    return points


def _cml_frame(batch: list[dict[str, Any]]) -> pl.DataFrame:
    return cohort([{c: None if v is UNKNOWN else v for c, v in r.items()} for r in batch])


@settings(max_examples=25, deadline=None, derandomize=True)
@given(row=cml_rows)
def test_cml_scores_name_only_inputs_that_block(row: dict[str, Any]) -> None:
    for build, decreasing, steps in CML_SCORES.values():
        parts = build()
        ((category, named),) = engine(parts, _cml_frame([row]))
        assert (category == NC) == bool(named)
        for name in named:
            column = name.split(".", 1)[1]
            if column == "cml_phase":
                continue  # chronic or not: a group versus NOT_APPLICABLE
            # A witness: with the other unknowns fixed somewhere, this input alone keeps the
            # chronic-phase group open (the scores are exact when one input is unknown).
            path = _path_points(row, column, parts, decreasing, steps)
            witnesses = engine(parts, _cml_frame(path))
            assert any(c == NC for c, _ in witnesses), (name, row)


@SEEDED
@given(row=cml_rows, unknown=st.lists(st.sampled_from(HASFORD_STEPS), unique=True))
def test_hasford_step_inputs_against_brute_force(row: dict[str, Any], unknown: list[str]) -> None:
    """Only step inputs unknown: each takes a value either side of its threshold."""
    known = {c: 10.0 if v is UNKNOWN else v for c, v in row.items() if c in CML_COLUMNS}
    domains = {"age_at_diagnosis": (40.0, 60.0), "basophils_pct": (1.0, 5.0),
               "platelets_10e9_l": (500.0, 2_000.0)}  # fmt: skip

    def hasford_ref(r: Mapping[str, Any]) -> str:
        euro = 1000 * (
            0.6666 * (r["age_at_diagnosis"] >= 50) + 0.0420 * r["spleen_cm"]
            + 0.0584 * r["pb_blasts_pct"] + 0.0413 * r["eosinophils_pct"]
            + 0.2039 * (r["basophils_pct"] >= 3) + 1.0956 * (r["platelets_10e9_l"] >= 1500)
        )  # fmt: skip
        return "LOW" if euro <= 780 else "INTERMEDIATE" if euro <= 1480 else "HIGH"

    brute_row = {**known, **dict.fromkeys(unknown, UNKNOWN), "cml_phase": "chronic"}
    check_against_brute_force(
        hasford(),
        [brute_row],
        {c: domains[c] for c in HASFORD_STEPS},
        hasford_ref,
        unknown_value=lambda _: None,
        frame=cohort,
    )
