"""Synthetic transplant details: donor, stem-cell source, disease status and GVHD organs.

Drawn from a child stream of the cohort's generator, so adding them left the cohort's other draws
unchanged. A cord-blood donor gives a cord-blood graft; other allografts are peripheral blood
(75 %) or bone marrow, roughly the EBMT registry mix. GVHD organs follow the grading systems
(``lake.model.GVHD_ORGANS``): acute GVHD involves MAGIC's skin, liver, upper and lower GI; chronic
GVHD the NIH 2014 organs. 10 % of GVHD events have their organs not collected (null).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl
from lake.model import AGVHD_ORGANS, DONOR_TYPES, GVHD_ORGANS, STEM_CELL_SOURCES

from loaders.synthetic.sampling import categorical, labels

#: Donor type probabilities, in :data:`lake.model.DONOR_TYPES` order.
DONOR_MIX: Final = (0.35, 0.33, 0.1, 0.17, 0.05)
PERIPHERAL_BLOOD_SHARE: Final = 0.75
ORGANS_NOT_COLLECTED: Final = 0.10
#: P(organ involved | acute GVHD), MAGIC organs.
ACUTE_ORGANS: Final = {"skin": 0.80, "liver": 0.20, "upper_gi": 0.20, "lower_gi": 0.35}
#: P(organ involved | chronic GVHD), NIH 2014 organs.
CHRONIC_ORGANS: Final = {
    "skin": 0.60,
    "liver": 0.30,
    "upper_gi": 0.10,
    "lower_gi": 0.15,
    "esophagus": 0.05,
    "mouth": 0.50,
    "eye": 0.40,
    "lung": 0.10,
    "joints_fascia": 0.15,
    "genital_tract": 0.05,
}
#: Disease status at a first-line (tandem auto-allo) allograft and at a later one, with
#: probabilities (myeloma).
FIRST_LINE_STATUS: Final = {"CR1": 0.30, "VGPR": 0.40, "PR": 0.30}
LATER_STATUS: Final = {
    "CR2": 0.15,
    "CR3_plus": 0.05,
    "VGPR": 0.25,
    "PR": 0.30,
    "stable_disease": 0.10,
    "relapse": 0.10,
    "refractory": 0.05,
}


@dataclass(frozen=True, slots=True)
class Graft:
    """Per patient: donor type and stem-cell source as indices into the model's code lists."""

    donor: np.ndarray
    source: np.ndarray

    def donor_labels(self) -> pl.Series:
        """Donor types as model codes."""
        return labels(self.donor, DONOR_TYPES)

    def source_labels(self) -> pl.Series:
        """Stem-cell sources as model codes."""
        return labels(self.source, STEM_CELL_SOURCES)


def draw_graft(rng: np.random.Generator, n: int) -> Graft:
    """Donor types and graft sources of ``n`` allografts."""
    donor = categorical(rng, DONOR_MIX, n)
    adult = np.where(rng.random(n) < PERIPHERAL_BLOOD_SHARE, 1, 0)
    cord = DONOR_TYPES.index("cord_blood")
    source = np.where(donor == cord, STEM_CELL_SOURCES.index("cord_blood"), adult)
    return Graft(donor=donor, source=source.astype(np.int64))


def myeloma_status(rng: np.random.Generator, first_line: np.ndarray) -> pl.Series:
    """Disease status at an allograft: first-line or later (:data:`FIRST_LINE_STATUS`,
    :data:`LATER_STATUS`)."""
    n = first_line.size
    first = labels(categorical(rng, tuple(FIRST_LINE_STATUS.values()), n), tuple(FIRST_LINE_STATUS))
    later = labels(categorical(rng, tuple(LATER_STATUS.values()), n), tuple(LATER_STATUS))
    return pl.select(
        pl.when(pl.Series(first_line)).then(first).otherwise(later).alias("disease_status")
    ).to_series()


def gvhd_organs(rng: np.random.Generator, n: int, *, acute: bool) -> pl.Series:
    """Organs involved by ``n`` acute or chronic GVHD events, at least one each (the most
    frequent organ when none is drawn); null for :data:`ORGANS_NOT_COLLECTED` of them."""
    probabilities = ACUTE_ORGANS if acute else CHRONIC_ORGANS
    if acute and tuple(probabilities) != AGVHD_ORGANS:
        raise ValueError("acute GVHD organs must be MAGIC's")
    involved = {organ: rng.random(n) < p for organ, p in probabilities.items()}
    commonest = max(probabilities, key=probabilities.__getitem__)
    involved[commonest] |= ~np.logical_or.reduce(list(involved.values()))
    collected = rng.random(n) >= ORGANS_NOT_COLLECTED
    flags = pl.DataFrame(involved)
    ordered = [o for o in GVHD_ORGANS if o in involved]
    organs = flags.select(
        pl.concat_list(pl.when(pl.col(o)).then(pl.lit(o)) for o in ordered).list.drop_nulls()
    ).to_series()
    return pl.select(pl.when(pl.Series(collected)).then(organs).alias("gvhd_organs")).to_series()
