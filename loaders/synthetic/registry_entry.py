"""Registry entry after diagnosis, with the left truncation a real-world registry has.

A real-world registry registers many patients months or years after their diagnosis, and a
patient whose follow-up ended (by death or loss) before the registration date never appears in
it. The registry's patients are therefore a selected sample, enriched for long survivors: an
analysis from diagnosis that counts every patient as at risk from day 0 overestimates survival
(the immortal time between diagnosis and entry). Delayed entry (risk sets counting a patient only
from their entry, Klein & Moeschberger 2003, §4.6) removes that bias.

:func:`register` applies this to a drawn cohort: each patient's entry is their diagnosis (share
:attr:`RegistryEntry.at_diagnosis`) or a uniform 1 day to :attr:`RegistryEntry.max_delay_years`
later; patients whose last follow-up is on or before their entry are removed from every table.
The hazards planted on the drawn cohort hold for the registry's patients from their entry on,
which is what the delayed-entry analysis recovers (``expected.json``: ``registry_entry``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import polars as pl

from loaders.synthetic.sampling import DAYS_PER_YEAR, Days, date_series
from loaders.synthetic.truth import Truth, conform


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """How a registry's patients enter it after diagnosis."""

    at_diagnosis: float
    max_delay_years: float

    def as_json(self) -> dict[str, object]:
        """Plain JSON-able form for ``expected.json``."""
        return {
            **asdict(self),
            "rule": (
                "entry = diagnosis for a share at_diagnosis, else diagnosis + Uniform(1 day, "
                "max_delay_years); patients whose last follow-up is on or before their entry "
                "are not in the registry (left truncation): analyses from diagnosis must use "
                "delayed entry"
            ),
        }


def register(
    truth: Truth, entry: RegistryEntry, rng: np.random.Generator, *, diagnosis: Days, last: Days
) -> Truth:
    """``truth`` with ``patients.registry_entry_date`` and only the patients seen after entry.

    ``diagnosis`` and ``last`` (last follow-up) are day numbers aligned with the ``patients``
    rows; every table keeps the rows of the patients kept, in their order.
    """
    n = diagnosis.size
    max_delay = int(entry.max_delay_years * DAYS_PER_YEAR)
    delay = np.where(rng.random(n) < entry.at_diagnosis, 0, rng.integers(1, max_delay + 1, n))
    day = diagnosis + delay
    kept = day < last
    patients = conform(
        truth.tables["patients"].with_columns(registry_entry_date=date_series(day)), "patients"
    )
    ids = patients.get_column("patient_id").filter(pl.Series(kept))
    tables = {"patients": patients, **{k: v for k, v in truth.tables.items() if k != "patients"}}
    return Truth(
        tables={
            name: frame.filter(pl.col("patient_id").is_in(ids.implode()))
            for name, frame in tables.items()
        },
        groups=truth.groups.filter(pl.col("patient_id").is_in(ids.implode())),
    )
