"""Cohorts: which patients (``filters``, built on the one-row-per-patient ``frame``), their
endpoints, entry and risk columns, and the statistics asked of them (``summary``, ``survival``,
``incidence``, ``models``), with groups in their declared ``order``."""
