"""Seeded truth generation for a site or a disease, chunked so 1e7 patients fit in memory.

Patients are drawn in chunks of :data:`CHUNK` with independent child seeds
(``SeedSequence(seed, spawn_key=(site hash, chunk))``), so a run is a pure function of
(seed, site, n) and peak memory grows with the result, not with intermediate arrays.
"""

from __future__ import annotations

import zlib
from typing import Final, Literal

import numpy as np
import polars as pl

from loaders.synthetic.profile import Cohort, SiteProfile
from loaders.synthetic.sites_allo import EU_ALLOMM
from loaders.synthetic.sites_aml import EU_AMLT
from loaders.synthetic.sites_cml import EU_CMLSTOP
from loaders.synthetic.sites_mm import IT_MMT
from loaders.synthetic.truth import Truth, patient_ids
from loaders.synthetic.truth_allo import AlloCohort, generate_allo
from loaders.synthetic.truth_aml import AmlCohort, generate_aml
from loaders.synthetic.truth_cml import CmlCohort, generate_cml
from loaders.synthetic.truth_mm import MyelomaCohort, generate_myeloma

Disease = Literal["MM", "ALLO", "AML", "CML"]
CHUNK: Final = 1_000_000
DEFAULT_SITES: Final[dict[Disease, SiteProfile]] = {
    "MM": IT_MMT,
    "ALLO": EU_ALLOMM,
    "AML": EU_AMLT,
    "CML": EU_CMLSTOP,
}


def stream(seed: int, site_code: str, *key: int) -> np.random.Generator:
    """An independent generator for (seed, site, key...)."""
    spawn_key = (zlib.crc32(site_code.encode()), *key)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=spawn_key))


def generate_truth(
    n_patients: int, seed: int, *, disease: Disease = "MM", site: SiteProfile | None = None
) -> Truth:
    """The harmonised truth of ``n_patients`` patients of ``site`` (default: the bundled site
    of ``disease``), as Polars frames with the columns of ``lake/model.py``."""
    profile = site or DEFAULT_SITES[disease]
    cohort = profile.cohort
    ids = _ids(cohort, n_patients)
    parts = []
    for number, start in enumerate(range(0, n_patients, CHUNK)):
        chunk = ids.slice(start, CHUNK)
        parts.append(_draw(cohort, chunk, stream(seed, profile.code, 0, number)))
    if len(parts) == 1:
        return parts[0]
    names = parts[0].tables
    return Truth(
        tables={name: pl.concat([p.tables[name] for p in parts], rechunk=False) for name in names},
        groups=pl.concat([p.groups for p in parts], rechunk=False),
    )


def _ids(cohort: Cohort, n: int) -> pl.Series:
    if isinstance(cohort, CmlCohort):
        first = cohort.first_person_id
        return pl.int_range(first, first + n, eager=True).cast(pl.String).alias("patient_id")
    return patient_ids(cohort.id_prefix, n)


def _draw(cohort: Cohort, ids: pl.Series, rng: np.random.Generator) -> Truth:
    if isinstance(cohort, MyelomaCohort):
        return generate_myeloma(cohort, ids, rng)
    if isinstance(cohort, AlloCohort):
        return generate_allo(cohort, ids, rng)
    if isinstance(cohort, AmlCohort):
        return generate_aml(cohort, ids, rng)
    return generate_cml(cohort, ids, rng)
