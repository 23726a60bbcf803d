"""Seeded synthetic multi-site data: the truth, the site exports that hide it, and the answers.

The generator draws a harmonised *truth* per site (:func:`generate_truth`, fully vectorised, 1e7
patients in chunks), renders each site's export files from a declarative profile
(:mod:`loaders.synthetic.sites`), injects known bad rows, and writes the site's ``mapping.yaml``
from the same profile plus an ``expected.json`` with the rows a correct loader accepts and
quarantines and the hazards planted in the outcomes (:data:`PLANTED_HAZARDS`).

Modules: ``sampling`` and ``scores`` (random blocks, small risk rules), ``truth_*`` (one per
disease), ``generate`` (seeding, chunking), ``profile`` / ``sites_*`` (site profiles),
``render`` (export columns), ``corrupt`` / ``file_corruptions`` (bad rows), ``omop`` (OMOP CDM
extract), ``writers``, ``spec_writer``, ``bundle`` (one site end to end), ``cli``.
"""

from loaders.synthetic.bundle import write_site
from loaders.synthetic.generate import generate_truth
from loaders.synthetic.hazards import PLANTED_HAZARDS
from loaders.synthetic.sites import SITES
from loaders.synthetic.truth import Truth

__all__ = ["PLANTED_HAZARDS", "SITES", "Truth", "generate_truth", "write_site"]
