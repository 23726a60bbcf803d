"""Small vectorised risk rules on the generator's latent (complete) data.

These are NOT the lake's risk engine (``lake/risk``): they classify the *latent* truth, where every
input is known, so the generator can plant hazards by group. The rules follow the domain reference
and cite it; tri-state handling is unnecessary because latent inputs are never missing.
Groups are returned as 0-based integer codes (0 = lowest risk).
"""

from __future__ import annotations

import numpy as np

from loaders.synthetic.sampling import Bools, Codes, Floats


def iss(beta2m_mg_l: Floats, albumin_g_dl: Floats) -> Codes:
    """ISS (Greipp 2005, 01-myeloma.md §1.1): III if beta2m >= 5.5; I if beta2m < 3.5 and
    albumin >= 3.5 g/dL; II otherwise. Codes 0/1/2 = I/II/III."""
    stage_one = (beta2m_mg_l < 3.5) & (albumin_g_dl >= 3.5)
    return np.where(beta2m_mg_l >= 5.5, 2, np.where(stage_one, 0, 1)).astype(np.int64)


def riss(iss_code: Codes, high_risk_ca: Bools, ldh_high: Bools) -> Codes:
    """R-ISS (Palumbo 2015, §1.2): I = ISS I, standard-risk CA and normal LDH; III = ISS III and
    (high-risk CA or high LDH); II otherwise. Codes 0/1/2."""
    adverse = high_risk_ca | ldh_high
    stage_one = (iss_code == 0) & ~adverse
    stage_three = (iss_code == 2) & adverse
    return np.where(stage_three, 2, np.where(stage_one, 0, 1)).astype(np.int64)


def r2iss(iss_code: Codes, *, del17p: Bools, t4_14: Bools, gain1q: Bools, ldh_high: Bools) -> Codes:
    """R2-ISS (D'Agostino 2022, §1.3): points ISS II 1, ISS III 1.5, del(17p) 1, high LDH 1,
    t(4;14) 1, 1q+ 0.5; groups I 0, II 0.5-1, III 1.5-2.5, IV 3-5. Codes 0..3."""
    points = np.select([iss_code == 1, iss_code == 2], [1.0, 1.5], 0.0)
    points = points + del17p + ldh_high + t4_14 + 0.5 * gain1q
    groups: Codes = np.searchsorted([0.25, 1.25, 2.75], points, side="right").astype(np.int64)
    return groups


def sokal(age: Floats, spleen_cm: Floats, platelets: Floats, blasts_pct: Floats) -> Floats:
    """Sokal score (Sokal 1984, 03-cml.md §3.1)."""
    return np.asarray(
        np.exp(
            0.0116 * (age - 43.4)
            + 0.0345 * (spleen_cm - 7.51)
            + 0.188 * ((platelets / 700.0) ** 2 - 0.563)
            + 0.0887 * (blasts_pct - 2.10)
        ),
        dtype=np.float64,
    )


def sokal_group(score: Floats) -> Codes:
    """Sokal risk: low < 0.8, intermediate 0.8-1.2 (inclusive), high > 1.2. Codes 0/1/2."""
    return np.where(score > 1.2, 2, np.where(score < 0.8, 0, 1)).astype(np.int64)


def eln2022_npm1(
    *, flt3_itd: Bools, adverse_cytogenetics: Bools, tp53_vaf_ge_10: Bools, mr_gene: Bools
) -> Codes:
    """ELN 2022 genetic risk for NPM1-mutated AML without CBF or t(9;11) lesions (Döhner 2022,
    02-aml.md §2.1 algorithm steps 2, 3, 5-8). Codes 0/1/2 = favorable/intermediate/adverse."""
    adverse = tp53_vaf_ge_10 | adverse_cytogenetics
    favorable = ~adverse & ~flt3_itd
    adverse = adverse | (~favorable & mr_gene)
    return np.where(adverse, 2, np.where(favorable, 0, 1)).astype(np.int64)


def hctci(weights_present: Floats) -> tuple[Floats, Codes]:
    """HCT-CI (Sorror 2005, 04-transplant.md §4.2) from a (patients x items) weight matrix
    already zeroed for absent items and for the lower level of an organ scored twice.
    Returns the score and the group code 0/1/2 = 0 / 1-2 / >= 3."""
    score = weights_present.sum(axis=1)
    return score, np.searchsorted([0.5, 2.5], score, side="right").astype(np.int64)
