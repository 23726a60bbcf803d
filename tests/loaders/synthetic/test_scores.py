"""The generator's latent risk rules against the domain reference's worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from loaders.synthetic import scores


def test_iss_worked_examples() -> None:
    # 01-myeloma.md §1.1 examples 1, 2, 3, 5 (254 nmol/L = 2.999 mg/L, 36 g/L), 7 (boundary).
    beta2m = np.array([2.8, 2.8, 4.2, 254 / 84.7, 5.5])
    albumin = np.array([4.0, 3.2, 4.0, 3.6, 4.5])
    assert scores.iss(beta2m, albumin).tolist() == [0, 1, 1, 0, 2]


def test_riss_worked_examples() -> None:
    # §1.2 examples 1-4: (ISS, high-risk CA, high LDH) -> R-ISS.
    iss = np.array([0, 0, 2, 2])
    high_risk = np.array([False, False, True, False])
    ldh_high = np.array([False, True, False, False])
    assert scores.riss(iss, high_risk, ldh_high).tolist() == [0, 1, 2, 1]


def test_r2iss_worked_examples() -> None:
    # §1.3 examples 1-5: points 0, 0.5, 1, 1.5, 3.5 -> I, II, II, III, IV.
    iss = np.array([0, 0, 1, 1, 2])
    gain1q = np.array([False, True, False, True, False])
    del17p = np.array([False, False, False, False, True])
    ldh = np.array([False, False, False, False, True])
    t4_14 = np.zeros(5, dtype=bool)
    result = scores.r2iss(iss, del17p=del17p, t4_14=t4_14, gain1q=gain1q, ldh_high=ldh)
    assert result.tolist() == [0, 1, 1, 2, 3]


@pytest.mark.parametrize(
    ("inputs", "score", "group"),
    [  # 03-cml.md §3.5 Sokal table
        ((45, 0, 250, 1), 0.6571, 0),
        ((60, 5, 450, 2), 1.0714, 1),
        ((70, 12, 900, 4), 2.3093, 2),
        ((35, 0, 180, 0.5), 0.5533, 0),
        ((55, 3, 600, 2.1), 1.0113, 1),
    ],
)
def test_sokal_worked_examples(inputs: tuple[float, ...], score: float, group: int) -> None:
    age, spleen, platelets, blasts = (np.array([v], dtype=float) for v in inputs)
    value = scores.sokal(age, spleen, platelets, blasts)
    assert value[0] == pytest.approx(score, abs=5e-5)
    assert scores.sokal_group(value)[0] == group


def test_eln2022_npm1_worked_examples() -> None:
    # 02-aml.md §2.1 examples 1 (fav), 2 (int), 3 (adverse by P1), plus TP53 VAF >= 10 (U1).
    result = scores.eln2022_npm1(
        flt3_itd=np.array([False, True, False, False]),
        adverse_cytogenetics=np.array([False, False, True, False]),
        tp53_vaf_ge_10=np.array([False, False, False, True]),
        mr_gene=np.zeros(4, dtype=bool),
    )
    assert result.tolist() == [0, 1, 2, 2]


def test_hctci_groups() -> None:
    # 04-transplant.md §4.2 examples 1 (0), 2 (diabetes + obesity = 2), 3 (solid tumour = 3).
    weights = np.array([[0, 0, 0], [1, 1, 0], [0, 0, 3]], dtype=float)
    score, group = scores.hctci(weights)
    assert score.tolist() == [0, 2, 3]
    assert group.tolist() == [0, 1, 2]
