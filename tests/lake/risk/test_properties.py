"""Property tests of the staging and risk rules (hypothesis).

- Scalar reference: an independent, row-by-row ISS / R-ISS written from 01-myeloma.md, with
  unknown inputs handled by brute-force enumeration over representative values, must agree with
  the vectorised expressions on every row (classified or not).
- Monotonicity: on fully known rows, raising β2M or LDH, lowering albumin or adding a high-risk
  lesion never lowers the ISS / R-ISS / R2-ISS stage. CML (03-cml.md §3.1-3.4): every published
  formula is monotone in each input over the model's valid range -- Sokal, Hasford (EURO) and
  EUTOS increase with every input (Hasford's age, basophils and platelets through indicators),
  ELTS increases with age ((age/10)^3 for age >= 0), spleen and blasts and decreases with
  platelets ((platelets/1000)^-0.5) -- so the risk group follows. Renal (01-myeloma.md §1.5):
  Cockcroft-Gault falls with age (age < 140) and creatinine and rises with weight; CKD-EPI 2021
  falls with creatinine (both branches have negative exponents) and with age (0.9938^age), so
  the category never improves. HCT-CI: adding a comorbidity never lowers the group. MR level: a
  lower BCR::ABL1 IS % is never a shallower response.
- Missing-input rule: blanking one input keeps the category or turns it NOT_CLASSIFIABLE, i.e.
  filling in an input never changes a classified result (myeloma stages, HCT-CI, the CML scores,
  CrCl, eGFR, MR level).

The newer properties run derandomized (a fixed seed per test), as the other packages' do.
"""

from __future__ import annotations

import itertools
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.risk.ckd_epi import ckd_epi
from lake.risk.cockcroft_gault import cockcroft_gault
from lake.risk.elts import elts
from lake.risk.eutos import eutos
from lake.risk.hasford import hasford
from lake.risk.hctci import INPUTS as HCTCI_INPUTS
from lake.risk.hctci import hctci
from lake.risk.iss import iss
from lake.risk.molecular_response import molecular_response
from lake.risk.r2iss import r2iss
from lake.risk.riss import riss
from lake.risk.sokal import sokal
from lake.risk.tristate import Input, ScoreParts
from tests.lake.risk.helpers import cohort

NC = "NOT_CLASSIFIABLE"
STAGE_ORDER = {"I": 1, "II": 2, "III": 3, "IV": 4}
FISH = ("del17p", "t4_14", "t14_16", "gain1q")
ULN = 250.0

b2m = st.one_of(st.none(), st.sampled_from([3.5, 5.5]), st.floats(0.5, 20, allow_nan=False))
albumin = st.one_of(st.none(), st.just(3.5), st.floats(1.5, 5.5, allow_nan=False))
ldh = st.one_of(st.none(), st.just(ULN), st.floats(80, 600, allow_nan=False))
call = st.sampled_from(["present", "absent", "not_tested"])
rows = st.fixed_dictionaries(
    {
        "beta2m_mg_l": b2m,
        "albumin_g_dl": albumin,
        "ldh_u_l": ldh,
        "ldh_uln_u_l": st.just(ULN),
        **dict.fromkeys(FISH, call),
    }
)


def categories(
    parts: ScoreParts,
    frame_rows: list[dict[str, Any]],
    schema: dict[str, pl.DataType] | None = None,
) -> list[str]:
    frame = cohort(frame_rows) if schema is None else pl.DataFrame(frame_rows, schema=schema)
    out = parts.apply(frame, "s").select(pl.col("s").struct.field("category"))
    return [str(c) for c in out.to_series().to_list()]


# ---------------------------------------------------------------- independent scalar reference
def ref_iss_known(beta2m: float, alb: float) -> str:
    if beta2m >= 5.5:
        return "III"
    if beta2m < 3.5 and alb >= 3.5:
        return "I"
    return "II"


def ref_riss_known(beta2m: float, alb: float, high_ca: bool, high_ldh: bool) -> str:
    stage = ref_iss_known(beta2m, alb)
    if stage == "I" and not high_ca and not high_ldh:
        return "I"
    if stage == "III" and (high_ca or high_ldh):
        return "III"
    return "II"


def completions(row: dict[str, Any]) -> list[tuple[float, float, bool, bool]]:
    """Every combination of representative values for the unknown inputs."""
    b_values = [row["beta2m_mg_l"]] if row["beta2m_mg_l"] is not None else [2.0, 4.0, 6.0]
    a_values = [row["albumin_g_dl"]] if row["albumin_g_dl"] is not None else [3.0, 4.0]
    ldh_values = [row["ldh_u_l"] > ULN] if row["ldh_u_l"] is not None else [False, True]
    calls = [
        [row[n] == "present"] if row[n] != "not_tested" else [False, True]
        for n in ("del17p", "t4_14", "t14_16")
    ]
    return [
        (b, a, any(lesions), high_ldh)
        for b, a, high_ldh, *lesions in itertools.product(b_values, a_values, ldh_values, *calls)
    ]


def unanimous(results: set[str]) -> str:
    return results.pop() if len(results) == 1 else NC


@settings(max_examples=30, deadline=None)
@given(batch=st.lists(rows, min_size=1, max_size=60))
def test_vectorised_iss_and_riss_match_scalar_reference(batch: list[dict[str, Any]]) -> None:
    expected_iss = [
        unanimous({ref_iss_known(b, a) for b, a, _, _ in completions(r)}) for r in batch
    ]
    expected_riss = [unanimous({ref_riss_known(*c) for c in completions(r)}) for r in batch]
    assert categories(iss(), batch) == expected_iss
    assert categories(riss(), batch) == expected_riss


# ------------------------------------------------------------------------------- monotonicity
known_rows = st.fixed_dictionaries(
    {
        "beta2m_mg_l": st.floats(0.5, 20, allow_nan=False),
        "albumin_g_dl": st.floats(1.5, 5.5, allow_nan=False),
        "ldh_u_l": st.floats(80, 600, allow_nan=False),
        "ldh_uln_u_l": st.just(ULN),
        **dict.fromkeys(FISH, st.sampled_from(["present", "absent"])),
    }
)
worsenings = st.one_of(
    st.tuples(st.just("beta2m_mg_l"), st.floats(0, 10, allow_nan=False)),
    st.tuples(st.just("ldh_u_l"), st.floats(0, 300, allow_nan=False)),
    st.tuples(st.just("albumin_g_dl"), st.floats(-2, 0, allow_nan=False)),
    st.tuples(st.sampled_from(FISH), st.just("present")),
)


def worsen(row: dict[str, Any], change: tuple[str, Any]) -> dict[str, Any]:
    name, delta = change
    if isinstance(delta, str):
        return row | {name: delta}
    return row | {name: max(row[name] + delta, 0.5)}


@settings(max_examples=30, deadline=None)
@given(batch=st.lists(st.tuples(known_rows, worsenings), min_size=1, max_size=60))
def test_worse_labs_never_lower_a_stage(
    batch: list[tuple[dict[str, Any], tuple[str, Any]]],
) -> None:
    before = [row for row, _ in batch]
    after = [worsen(row, change) for row, change in batch]
    for parts in (iss(), riss(), r2iss()):
        for old, new in zip(categories(parts, before), categories(parts, after), strict=True):
            assert STAGE_ORDER[new] >= STAGE_ORDER[old]


# ------------------------------------------------------------------------- missing-input rule
def blank(row: dict[str, Any], name: str) -> dict[str, Any]:
    return row | {name: "not_tested" if name in FISH or name in HCTCI_COLUMNS else None}


HCTCI_COLUMNS = tuple(i.column for i in HCTCI_INPUTS)
MM_COLUMNS = ("beta2m_mg_l", "albumin_g_dl", "ldh_u_l", *FISH)


@settings(max_examples=30, deadline=None)
@given(batch=st.lists(st.tuples(rows, st.sampled_from(MM_COLUMNS)), min_size=1, max_size=60))
def test_filling_a_missing_input_never_changes_a_classified_result(
    batch: list[tuple[dict[str, Any], str]],
) -> None:
    filled = [row for row, _ in batch]
    blanked = [blank(row, name) for row, name in batch]
    for parts in (iss(), riss(), r2iss()):
        for full, partial in zip(
            categories(parts, filled), categories(parts, blanked), strict=True
        ):
            assert partial in (full, NC)


hctci_rows = st.fixed_dictionaries(dict.fromkeys(HCTCI_COLUMNS, call))


@settings(max_examples=20, deadline=None)
@given(
    batch=st.lists(st.tuples(hctci_rows, st.sampled_from(HCTCI_COLUMNS)), min_size=1, max_size=60)
)
def test_hctci_missing_input_rule(batch: list[tuple[dict[str, Any], str]]) -> None:
    filled = [row for row, _ in batch]
    blanked = [blank(row, name) for row, name in batch]
    for full, partial in zip(
        categories(hctci(), filled), categories(hctci(), blanked), strict=True
    ):
        assert partial in (full, NC)


# ------------------------------------------------------------------ CML baseline scores
SEEDED = settings(max_examples=40, deadline=None, derandomize=True)
RISK_ORDER = {"LOW": 1, "INTERMEDIATE": 2, "HIGH": 3}
CML_INPUTS = {
    "age_at_diagnosis": "patients.age_at_diagnosis",
    "spleen_cm": "baseline.spleen_cm",
    "platelets_10e9_l": "baseline.platelets_10e9_l",
    "pb_blasts_pct": "baseline.pb_blasts_pct",
    "basophils_pct": "baseline.basophils_pct",
    "eosinophils_pct": "baseline.eosinophils_pct",
}
#: +1 where the published formula increases with the input, -1 where it decreases; inputs a
#: score does not read are absent (moving them must not change it either).
CML_DIRECTIONS = {
    "sokal": (sokal, dict.fromkeys(("age_at_diagnosis", "spleen_cm", "platelets_10e9_l",
                                    "pb_blasts_pct"), 1)),
    "hasford": (hasford, dict.fromkeys(CML_INPUTS, 1)),
    "eutos": (eutos, dict.fromkeys(("basophils_pct", "spleen_cm"), 1)),
    "elts": (elts, {"age_at_diagnosis": 1, "spleen_cm": 1, "pb_blasts_pct": 1,
                    "platelets_10e9_l": -1}),
}  # fmt: skip


def valid(column: str, table: str = "baseline") -> st.SearchStrategy[float]:
    low, high = Input(f"{table}.{column}").valid_range
    return st.floats(low, high, allow_nan=False)


def _cml_value(column: str) -> st.SearchStrategy[float]:
    return valid(column, CML_INPUTS[column].split(".")[0])


cml_known = st.fixed_dictionaries(
    {c: _cml_value(c) for c in CML_INPUTS} | {"cml_phase": st.just("chronic")}
)


@st.composite
def raised(draw: st.DrawFn) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """A known chronic-phase row, one input, and the row with that input raised in range."""
    row = draw(cml_known)
    column = draw(st.sampled_from(sorted(CML_INPUTS)))
    low, high = Input(CML_INPUTS[column]).valid_range
    higher = draw(st.floats(row[column], high, allow_nan=False))
    assert low <= row[column] <= higher
    return row, column, row | {column: higher}


@SEEDED
@given(batch=st.lists(raised(), min_size=1, max_size=40))
def test_cml_risk_group_follows_each_formula_direction(
    batch: list[tuple[dict[str, Any], str, dict[str, Any]]],
) -> None:
    before, after = [b for b, _, _ in batch], [a for _, _, a in batch]
    for build, directions in CML_DIRECTIONS.values():
        old, new = categories(build(), before), categories(build(), after)
        for (_, column, _), o, n in zip(batch, old, new, strict=True):
            step = RISK_ORDER[n] - RISK_ORDER[o]
            sign = directions.get(column, 0)
            assert step * sign >= 0, (build, column, o, n)
            assert sign != 0 or step == 0, (build, column, o, n)


@SEEDED
@given(
    batch=st.lists(
        st.tuples(cml_known, st.sampled_from(sorted(CML_INPUTS))), min_size=1, max_size=40
    )
)
def test_cml_missing_input_rule(batch: list[tuple[dict[str, Any], str]]) -> None:
    filled = [row for row, _ in batch]
    blanked = [row | {column: None} for row, column in batch]
    for build, _ in CML_DIRECTIONS.values():
        full, partial = categories(build(), filled), categories(build(), blanked)
        assert all(p in (f, NC) for f, p in zip(full, partial, strict=True))


# --------------------------------------------------------------------------------- renal
CRCL_ORDER = {"BELOW_40": 1, "AT_LEAST_40": 2}  # higher = better kidney function
EGFR_ORDER = {g: i for i, g in enumerate(("G5", "G4", "G3b", "G3a", "G2", "G1"))}
renal_known = st.fixed_dictionaries(
    {
        "age_at_diagnosis": st.floats(18, 110, allow_nan=False),
        "sex": st.sampled_from(["M", "F"]),
        "weight_kg": valid("weight_kg"),
        "creatinine_mg_dl": valid("creatinine_mg_dl"),
    }
)
RENAL_COLUMNS = ("age_at_diagnosis", "sex", "weight_kg", "creatinine_mg_dl")
#: (column, +1 if kidney function estimates rise with it, -1 if they fall) per equation.
RENAL_DIRECTIONS = {
    "crcl": (cockcroft_gault, CRCL_ORDER,
             {"age_at_diagnosis": -1, "weight_kg": 1, "creatinine_mg_dl": -1}),
    "egfr": (ckd_epi, EGFR_ORDER, {"age_at_diagnosis": -1, "creatinine_mg_dl": -1, "weight_kg": 0}),
}  # fmt: skip


@st.composite
def renal_raised(draw: st.DrawFn) -> tuple[dict[str, Any], str, dict[str, Any]]:
    row = draw(renal_known)
    column = draw(st.sampled_from(["age_at_diagnosis", "weight_kg", "creatinine_mg_dl"]))
    high = 110.0 if column == "age_at_diagnosis" else Input(f"baseline.{column}").valid_range[1]
    return row, column, row | {column: draw(st.floats(row[column], high, allow_nan=False))}


@SEEDED
@given(batch=st.lists(renal_raised(), min_size=1, max_size=40))
def test_renal_categories_follow_each_equation(
    batch: list[tuple[dict[str, Any], str, dict[str, Any]]],
) -> None:
    before, after = [b for b, _, _ in batch], [a for _, _, a in batch]
    for build, order, directions in RENAL_DIRECTIONS.values():
        old, new = categories(build(), before), categories(build(), after)
        for (_, column, _), o, n in zip(batch, old, new, strict=True):
            step = order[n] - order[o]
            assert step * directions[column] >= 0
            assert directions[column] != 0 or step == 0


@SEEDED
@given(
    batch=st.lists(st.tuples(renal_known, st.sampled_from(RENAL_COLUMNS)), min_size=1, max_size=40)
)
def test_renal_missing_input_rule(batch: list[tuple[dict[str, Any], str]]) -> None:
    filled = [row for row, _ in batch]
    blanked = [row | {column: None} for row, column in batch]
    for build, _, _ in RENAL_DIRECTIONS.values():
        full, partial = categories(build(), filled), categories(build(), blanked)
        assert all(p in (f, NC) for f, p in zip(full, partial, strict=True))


# -------------------------------------------------------------------------------- HCT-CI
HCTCI_ORDER = {"LOW": 1, "INTERMEDIATE": 2, "HIGH": 3}


@SEEDED
@given(
    batch=st.lists(st.tuples(hctci_rows, st.sampled_from(HCTCI_COLUMNS)), min_size=1, max_size=60)
)
def test_adding_a_comorbidity_never_lowers_the_hctci_group(
    batch: list[tuple[dict[str, Any], str]],
) -> None:
    """On any row (unknowns included): a classified group never drops when an item is added."""
    before = [row for row, _ in batch]
    after = [row | {item: "present"} for row, item in batch]
    for old, new in zip(categories(hctci(), before), categories(hctci(), after), strict=True):
        if NC not in (old, new):
            assert HCTCI_ORDER[new] >= HCTCI_ORDER[old]


# ----------------------------------------------------------------------------- MR level
MR_DEPTH = {"NONE": 0, "MMR": 3, "MR4": 4, "MR4.5": 4.5, "MR5": 5}
MR_SCHEMA = {"detectable": pl.Boolean(), "is_pct": pl.Float64(), "abl1_copies": pl.Int64()}
is_pct = st.floats(1e-5, 1000, allow_nan=False)


@SEEDED
@given(pairs=st.lists(st.tuples(is_pct, is_pct), min_size=1, max_size=60))
def test_lower_bcr_abl1_is_never_a_shallower_response(pairs: list[tuple[float, float]]) -> None:
    def sample(value: float) -> dict[str, Any]:
        return {"detectable": True, "is_pct": value, "abl1_copies": 50_000}

    lower = [sample(min(a, b)) for a, b in pairs]
    higher = [sample(max(a, b)) for a, b in pairs]
    deep = categories(molecular_response(), lower, MR_SCHEMA)
    shallow = categories(molecular_response(), higher, MR_SCHEMA)
    assert all(MR_DEPTH[d] >= MR_DEPTH[s] for d, s in zip(deep, shallow, strict=True))


mr_samples = st.one_of(
    st.fixed_dictionaries({"detectable": st.just(True), "is_pct": is_pct,
                           "abl1_copies": st.integers(0, 10**6)}),
    st.fixed_dictionaries({"detectable": st.just(False), "is_pct": st.none(),
                           "abl1_copies": st.integers(0, 10**6)}),
)  # fmt: skip


@SEEDED
@given(
    batch=st.lists(st.tuples(mr_samples, st.sampled_from(list(MR_SCHEMA))), min_size=1, max_size=40)
)
def test_mr_level_missing_input_rule(batch: list[tuple[dict[str, Any], str]]) -> None:
    filled = [row for row, _ in batch]
    blanked = [row | {column: None} for row, column in batch]
    full = categories(molecular_response(), filled, MR_SCHEMA)
    partial = categories(molecular_response(), blanked, MR_SCHEMA)
    assert all(p in (f, NC) for f, p in zip(full, partial, strict=True))
