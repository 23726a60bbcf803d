"""Unit invariance through the loaders: every alternate unit gives the same risk categories.

One tiny seeded site export (24 patients, MM and CML, with values exactly at the ISS / R-ISS /
R2-ISS cut-offs: beta2-microglobulin 3.5 and 5.5 mg/L, albumin 3.5 g/dL, LDH equal to its ULN) is
written once in the canonical units and once per *variant* in which every measurement is
reported in an alternate unit that ``loaders/units.py`` accepts. Each export is loaded with
:func:`loaders.load.load_site` through an inline mapping spec into its own tmp lake (same site
code and key, so the same pseudonymous ``patient_id``), and the categories of ISS, R-ISS, R2-ISS,
Cockcroft-Gault CrCl, CKD-EPI eGFR, Sokal, Hasford (EURO), EUTOS and ELTS computed by
:func:`lake.risk.registry.compute` on the loaded ``patients`` / ``baseline`` / ``genetics`` frames
must be identical. The CML patients report spleen (cm or mm), platelets (10^9/L, /µL, 10^3/µL,
/mm3), blasts, basophils and eosinophils (% of the differential); four of them sit exactly at the
EUTOS cut-off (7 x basophils + 4 x spleen = 87, LOW) or at Hasford's indicator thresholds
(platelets 1500 x10^9/L, basophils 3%).

Oracle for the alternate values: the unit relations of the domain reference (``01-myeloma.md``
§1.0), written here independently of the loader: 1 mg/L beta2m = 84.7 nmol/L, 1 mg/dL creatinine
= 88.4 µmol/L, 1 g/dL haemoglobin = 1/1.611 mmol/L, 1 µkat/L = 60 U/L, 1 lb = 0.4536 kg, and the
decimal prefixes. Alternate values are written with 12 significant digits, as a lab would export.

Float rounding: the loader computes ``reported * factor`` in binary floating point, so a converted
value need not land exactly on a cut-off. The beta2m (every unit, including 296.45 and 465.85
nmol/L) and albumin threshold values used here DO convert to exactly 3.5 / 5.5: the test asserts
that equality, so the threshold rows are real boundary checks in every unit. LDH rows at the ULN
are multiples of 6 U/L (exact in µkat/L). The CML cut-off rows' spleen (13 and 20 cm = 130 and
200 mm) and platelets (1500 x10^9/L = 1,500,000 /µL) also convert exactly (asserted). Other
creatinine, weight, platelet and spleen values feed scores whose cut-offs apply to a derived
quantity (CrCl, eGFR, Sokal, Hasford, EUTOS, ELTS), which a last-ulp difference could flip only
at an exact tie: those values are continuous seeded draws (no tie with a cut-off for this seed),
and the test asserts every converted value is within 1e-9 relative of its canonical one.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl
import pytest

from lake.risk.registry import compute
from lake.storage import open_lake
from loaders.load import load_site

#: score versions compared between exports
SCORES: Final = (
    "iss_greipp2005",
    "riss_palumbo2015",
    "r2iss_dagostino2022",
    "crcl_cockcroft_gault1976",
    "egfr_ckdepi2021",
    "sokal1984",
    "hasford1998",
    "eutos2011",
    "elts2016",
)
#: harmonised column -> alternate unit -> reported value per canonical unit (domain reference)
ALTERNATES: Final[dict[str, dict[str, Decimal]]] = {
    "beta2m_mg_l": {
        "nmol/L": Decimal("84.7"),
        "mg/dL": Decimal("0.1"),
        "ug/mL": Decimal(1),
        "ng/mL": Decimal(1000),
        "ug/L": Decimal(1000),
        "g/L": Decimal("0.001"),
    },
    "albumin_g_dl": {"g/L": Decimal(10), "mg/dL": Decimal(1000), "mg/L": Decimal(10000)},
    "ldh_u_l": {"ukat/L": 1 / Decimal(60), "IU/L": Decimal(1)},
    "ldh_uln_u_l": {"ukat/L": 1 / Decimal(60), "IU/L": Decimal(1)},
    "creatinine_mg_dl": {"umol/L": Decimal("88.4"), "mg/L": Decimal(10)},
    "hemoglobin_g_dl": {"g/L": Decimal(10), "mmol/L": 1 / Decimal("1.611")},
    "platelets_10e9_l": {"/uL": Decimal(1000), "10^3/uL": Decimal(1), "/mm3": Decimal(1000)},
    "weight_kg": {"lb": 1 / Decimal("0.4536"), "g": Decimal(1000)},
    "spleen_cm": {"mm": Decimal(10)},
}
N_VARIANTS: Final = max(len(units) for units in ALTERNATES.values())
GENES: Final = ("del17p", "t4_14", "t14_16", "gain1q")
#: (beta2m mg/L, albumin g/dL, LDH U/L) rows exactly at or around the ISS / LDH cut-offs
BOUNDARY_ROWS: Final = [
    ("3.5", "3.5", "240"),
    ("3.5", "3.4", "246"),
    ("5.5", "3.5", "240"),
    ("5.4", "3.5", "234"),
    ("3.4", "3.5", "240"),
    ("5.5", "2.8", "300"),
    ("2.1", "3.5", "240"),
    ("6.2", "3.6", "180"),
]
#: CML rows (spleen cm, basophils %, eosinophils %, platelets 10^9/L) at the EUTOS cut-off
#: (7 x basophils + 4 x spleen = 87 is LOW, Hasford 2011) and Hasford's indicator thresholds
#: (platelets >= 1500, basophils >= 3; Hasford 1998), then one just above EUTOS 87.
CML_BOUNDARY_ROWS: Final = [
    ("13.0", "5", "2", "1500"),
    ("20.0", "1", "0", "1499"),
    ("0.0", "3", "4", "1500"),
    ("13.5", "5", "1", "900"),
]
N_PATIENTS: Final = 24
FIRST_CML: Final = 16


def _canonical_rows(seed: int = 20261122) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(N_PATIENTS):
        cml = i >= FIRST_CML
        spleen, baso, eos, platelets = (
            CML_BOUNDARY_ROWS[i - FIRST_CML]
            if cml and i - FIRST_CML < len(CML_BOUNDARY_ROWS)
            else (
                f"{rng.uniform(0, 15):.1f}",
                f"{rng.uniform(0, 12):.1f}",
                f"{rng.uniform(0, 8):.1f}",
                str(int(rng.integers(90, 2500))),
            )
        )
        b2m, alb, ldh = (
            BOUNDARY_ROWS[i]
            if i < len(BOUNDARY_ROWS)
            else (
                f"{rng.uniform(1.0, 9.0):.1f}",
                f"{rng.uniform(2.5, 4.8):.1f}",
                str(6 * int(rng.integers(25, 70))),
            )
        )
        rows.append(
            {
                "code": f"P{i:03d}",
                "sex": "M" if i % 2 else "F",
                "age": f"{rng.uniform(35, 85):.1f}",
                "dx_date": "2021-03-15",
                "disease": "CML" if cml else "MM",
                "phase": "chronic" if cml else "",
                "beta2m_mg_l": b2m,
                "albumin_g_dl": alb,
                "ldh_u_l": ldh,
                "ldh_uln_u_l": "240",
                "creatinine_mg_dl": f"{rng.uniform(0.6, 4.0):.2f}",
                "hemoglobin_g_dl": f"{rng.uniform(8.0, 15.0):.1f}",
                "platelets_10e9_l": platelets if cml else str(int(rng.integers(90, 900))),
                "weight_kg": f"{rng.uniform(50, 110):.1f}",
                "spleen_cm": spleen if cml else "",
                "pb_blasts_pct": f"{rng.uniform(0, 8):.1f}" if cml else "",
                "basophils_pct": baso if cml else "",
                "eosinophils_pct": eos if cml else "",
                **{g: "absent" if rng.random() < 0.7 else "present" for g in GENES},
            }
        )
    return rows


def _alternate_text(canonical: str, factor: Decimal) -> str:
    if canonical == "":
        return ""
    return format((Decimal(canonical) * factor).normalize(), "f")[:14].rstrip(".")


def _variant_units(k: int) -> dict[str, str]:
    """Variant ``k`` reports each column in its ``k``-th alternate unit (cycling)."""
    return {column: list(units)[k % len(units)] for column, units in ALTERNATES.items()}


def _write_site(directory: Path, rows: list[dict[str, str]], units: dict[str, str]) -> Path:
    directory.mkdir()
    exported = [
        {
            name: (
                _alternate_text(value, ALTERNATES[name][units[name]]) if name in units else value
            )
            for name, value in row.items()
        }
        for row in rows
    ]
    pl.DataFrame(exported).write_csv(directory / "export.csv")
    table = dict.fromkeys(ALTERNATES, "baseline") | dict.fromkeys(GENES, "genetics")
    table |= dict.fromkeys(("pb_blasts_pct", "basophils_pct", "eosinophils_pct"), "baseline")
    lines = [
        "format_version: 1",
        "spec_version: '1'",
        "site: XX-UNITS",
        "name: unit invariance test site",
        "files:",
        "- path: export.csv",
        "  format: csv",
        "  id_column: code",
        "  constants: {patients.data_origin: real_world, patients.source_study: UNITS}",
        "  columns:",
        "    sex: {to: patients.sex}",
        "    age: {to: patients.age_at_diagnosis}",
        "    dx_date: {to: patients.diagnosis_date}",
        "    disease: {to: patients.disease}",
        "    phase: {to: patients.cml_phase}",
    ]
    for name, target in table.items():
        unit = f", unit: '{units[name]}'" if name in units else ""
        lines.append(f"    {name}: {{to: {target}.{name}{unit}}}")
    spec = directory / "mapping.yaml"
    spec.write_text("\n".join(lines) + "\n")
    return spec


def _load_and_score(spec: Path, lake_root: Path, key_file: Path) -> pl.DataFrame:
    result = load_site(spec, lake_root=lake_root, key_file=key_file)
    assert result.status == "committed", result
    lake = open_lake(lake_root)
    frame = (
        lake.scan("patients")
        .join(lake.scan("baseline"), on=["patient_id", "site"], how="left")
        .join(lake.scan("genetics"), on=["patient_id", "site"], how="left")
        .collect()
    )
    assert frame.height == N_PATIENTS  # nothing quarantined
    return compute(frame, SCORES).sort("patient_id")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, pl.DataFrame]]:
    """The canonical export and every variant, each loaded into its own lake and scored."""
    base = tmp_path_factory.mktemp("units")
    key_file = base / "pseudonym.key"
    key_file.write_text(secrets.token_hex(32))
    rows = _canonical_rows()
    out = []
    for k in range(-1, N_VARIANTS):
        units = {} if k < 0 else _variant_units(k)
        label = "canonical" if k < 0 else ", ".join(sorted(set(units.values())))
        spec = _write_site(base / f"site{k + 1}", rows, units)
        out.append((label, _load_and_score(spec, base / f"lake{k + 1}", key_file)))
    return out


def test_every_alternate_unit_is_exercised() -> None:
    used = {(c, _variant_units(k)[c]) for k in range(N_VARIANTS) for c in ALTERNATES}
    assert used == {(c, u) for c, units in ALTERNATES.items() for u in units}


def test_threshold_values_convert_exactly(loaded: list[tuple[str, pl.DataFrame]]) -> None:
    (_, canonical), *variants = loaded
    exact = ["beta2m_mg_l", "albumin_g_dl", "ldh_u_l", "ldh_uln_u_l"]
    for label, frame in variants:
        for column in exact:
            at_cut = canonical.get_column(column).is_in([3.5, 5.5, 240.0])
            assert at_cut.any()
            assert frame.filter(at_cut).get_column(column).to_list() == (
                canonical.filter(at_cut).get_column(column).to_list()
            ), (label, column)


def test_converted_values_match_canonical(loaded: list[tuple[str, pl.DataFrame]]) -> None:
    (_, canonical), *variants = loaded
    for label, frame in variants:
        for column in ALTERNATES:
            np.testing.assert_allclose(
                frame.get_column(column).to_numpy(),
                canonical.get_column(column).to_numpy(),
                rtol=1e-9,
                err_msg=f"{label}: {column}",
            )


def test_categories_identical_in_every_unit(loaded: list[tuple[str, pl.DataFrame]]) -> None:
    (_, canonical), *variants = loaded
    expected = canonical.select(pl.col(s).struct.field("category").alias(s) for s in SCORES)
    for label, frame in variants:
        got = frame.select(pl.col(s).struct.field("category").alias(s) for s in SCORES)
        assert got.to_dicts() == expected.to_dicts(), label


def test_boundary_rows_are_staged_at_the_cut_offs(
    loaded: list[tuple[str, pl.DataFrame]],
) -> None:
    """Hand check (ISS, Greipp 2005): b2m < 3.5 and albumin >= 3.5 is I; b2m >= 5.5 is III."""
    (_, canonical), *_ = loaded
    iss = dict(
        zip(
            canonical.select("beta2m_mg_l", "albumin_g_dl").rows(),
            canonical.get_column("iss_greipp2005").struct.field("category").to_list(),
            strict=True,
        )
    )
    assert iss[(3.5, 3.5)] == "II"
    assert iss[(3.4, 3.5)] == "I"
    assert iss[(5.5, 3.5)] == "III"
    assert iss[(5.4, 3.5)] == "II"
    assert iss[(3.5, 3.4)] == "II"


def test_cml_cut_off_values_convert_exactly(loaded: list[tuple[str, pl.DataFrame]]) -> None:
    (_, canonical), *variants = loaded
    for column, cut_offs in (("spleen_cm", [13.0, 20.0]), ("platelets_10e9_l", [1500.0])):
        at_cut = canonical.get_column(column).is_in(cut_offs)
        assert at_cut.sum() >= len(cut_offs)
        for label, frame in variants:
            assert frame.filter(at_cut).get_column(column).to_list() == (
                canonical.filter(at_cut).get_column(column).to_list()
            ), (label, column)


def test_cml_boundary_rows_are_scored_at_the_cut_offs(
    loaded: list[tuple[str, pl.DataFrame]],
) -> None:
    """Hand check: EUTOS 87 is LOW and 89.5 HIGH (Hasford 2011); Hasford's indicators switch on
    at exactly platelets 1500 x10^9/L and basophils 3% (Hasford 1998: 1095.6 and 203.9 points)."""
    (_, canonical), *_ = loaded
    cml = canonical.filter(pl.col("disease") == "CML")
    rows = cml.select(
        "spleen_cm",
        "basophils_pct",
        "platelets_10e9_l",
        "age_at_diagnosis",
        "pb_blasts_pct",
        "eosinophils_pct",
        eutos=pl.col("eutos2011").struct.field("category").cast(pl.String),
        euro=pl.col("hasford1998").struct.field("points"),
    ).rows(named=True)
    by_key = {(r["spleen_cm"], r["basophils_pct"]): r for r in rows}
    assert by_key[(13.0, 5.0)]["eutos"] == "LOW"
    assert by_key[(20.0, 1.0)]["eutos"] == "LOW"
    assert by_key[(13.5, 5.0)]["eutos"] == "HIGH"
    for key, platelets_on, basophils_on in (((13.0, 5.0), 1, 1), ((20.0, 1.0), 0, 0),
                                            ((0.0, 3.0), 1, 1)):  # fmt: skip
        r = by_key[key]
        expected = 1000 * (
            0.6666 * (r["age_at_diagnosis"] >= 50) + 0.0420 * r["spleen_cm"]
            + 0.0584 * r["pb_blasts_pct"] + 0.0413 * r["eosinophils_pct"]
            + 0.2039 * basophils_on + 1.0956 * platelets_on
        )  # fmt: skip
        assert r["euro"] == pytest.approx(expected, rel=1e-12), key
