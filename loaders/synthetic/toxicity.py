"""Post-transplant toxicity (CTCAE adverse events) and donor lymphocyte infusions after allo-HSCT.

A latent share of patients has severe early toxicity: one CTCAE grade 3 (75 %) or 4 (25 %)
adverse event in days 1-60 after the infusion, which multiplies their non-relapse mortality
hazard (:data:`~loaders.synthetic.hazards.ALLO_NRM_TOXICITY`). Every patient may also have up
to two grade 1-2 events in the same window. Each event is attributed to the allogeneic
transplant (``related_to = transplant``, ``transplant_date`` = day 0); it starts before the
patient's last follow-up and resolves 3-30 days later, or is open (null) when that would reach the
last follow-up. A patient's terms are distinct, so the table key (patient, term, onset) is unique.

Donor lymphocyte infusions (DLI): half of the patients who relapse receive one 14-60 days after
relapse, and 10 % of the others a prophylactic one on days 90-180, when it falls before the last
follow-up; one infusion per patient. No effect on outcomes is planted for DLI.

All draws come from the caller's generator, a child stream of the cohort's (``rng.spawn``), so the
cohort's own draws are those it made before these additions.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from loaders.synthetic.sampling import Bools, Days, date_series
from loaders.synthetic.truth import conform, constant

#: Share of patients with severe (grade >= 3) early toxicity.
SEVERE_SHARE: Final = 0.30
#: CTCAE v5.0 terms of early post-transplant toxicity.
TERMS: Final = (
    "Febrile neutropenia",
    "Mucositis oral",
    "Sepsis",
    "Diarrhea",
    "Acute kidney injury",
    "Pneumonitis",
    "Alanine aminotransferase increased",
    "Nausea",
)
_MILD_SLOTS: Final = 2
_MILD_SHARE: Final = 0.5
_WINDOW_DAYS: Final = 60


def severe_toxicity(rng: np.random.Generator, n: int) -> Bools:
    """The latent flag of severe early toxicity, drawn first so it can shape NRM."""
    return rng.random(n) < SEVERE_SHARE


def adverse_events(
    rng: np.random.Generator,
    ids: pl.Series,
    site: str,
    *,
    day0: Days,
    last_day: Days,
    severe: Bools,
) -> pl.DataFrame:
    """The ``adverse_events`` rows (model shape), ordered by patient then onset."""
    n = ids.len()
    slots = 1 + _MILD_SLOTS
    terms = np.argsort(rng.random((n, len(TERMS))), axis=1)[:, :slots]
    grade = np.column_stack(
        [
            np.where(rng.random(n) < 0.75, 3, 4),
            *(rng.integers(1, 3, n) for _ in range(_MILD_SLOTS)),
        ]
    )
    present = np.column_stack([severe, *(rng.random(n) < _MILD_SHARE for _ in range(_MILD_SLOTS))])
    window = np.minimum(_WINDOW_DAYS, last_day - day0 - 1)[:, None]
    onset = day0[:, None] + 1 + np.floor(rng.random((n, slots)) * window).astype(np.int64)
    resolved = onset + rng.integers(3, 31, (n, slots))
    open_ = resolved >= last_day[:, None]
    patient, slot = np.nonzero(present)
    frame = pl.DataFrame(
        {
            "patient_id": ids.gather(patient),
            "site": constant(site, patient.size),
            "ctcae_term": pl.Series(TERMS, dtype=pl.String).gather(terms[patient, slot]),
            "grade": grade[patient, slot],
            "onset_date": date_series(onset[patient, slot]),
            "resolution_date": date_series(resolved[patient, slot], missing=open_[patient, slot]),
            "related_to": constant("transplant", patient.size),
            "transplant_date": date_series(day0[patient]),
            "_order": patient,
        }
    )
    ordered = frame.sort("_order", "onset_date", maintain_order=True).drop("_order")
    return conform(ordered, "adverse_events")


def dli_days(
    rng: np.random.Generator,
    *,
    day0: Days,
    relapse_day: Days,
    relapsed: Bools,
    last_day: Days,
) -> tuple[Days, Bools]:
    """The day of each patient's DLI and whether they had one."""
    n = day0.size
    therapeutic = relapse_day + rng.integers(14, 61, n)
    prophylactic = day0 + rng.integers(90, 181, n)
    day = np.where(relapsed, therapeutic, prophylactic)
    given = rng.random(n) < np.where(relapsed, 0.5, 0.1)
    return day, given & (day < last_day)
