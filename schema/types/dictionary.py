"""The data dictionary as GraphQL types (from :func:`lake.dictionary.entries.entries`)."""

from __future__ import annotations

import strawberry
from lake.dictionary.entries import DictionaryEntry as LakeEntry


@strawberry.type(description="One column of the harmonised model.")
class DictionaryEntry:
    table: str = strawberry.field(description="Harmonised table.")
    column: str = strawberry.field(description="Column name (ends with its canonical unit).")
    dtype: str = strawberry.field(description="Data type (string, float, integer, date ...).")
    description: str = strawberry.field(description="What the column holds.")
    required: bool = strawberry.field(description="Whether every row must have a value.")
    unit: str | None = strawberry.field(description="Canonical unit, if a measurement.")
    codes: list[str] | None = strawberry.field(description="Allowed codes, if coded.")
    valid_range: list[float] | None = strawberry.field(
        description="Inclusive physiological range [min, max] enforced on load."
    )
    omop: str | None = strawberry.field(description="OMOP CDM v5.4 home.")
    no_omop: str | None = strawberry.field(
        description="Why the column has no OMOP CDM v5.4 home (set exactly when omop is null)."
    )
    loinc: str | None = strawberry.field(description="LOINC code, if a laboratory value.")

    @classmethod
    def of(cls, entry: LakeEntry) -> DictionaryEntry:
        """The GraphQL view of a dictionary entry."""
        return cls(
            table=entry.table,
            column=entry.column,
            dtype=entry.dtype,
            description=entry.description,
            required=entry.required,
            unit=entry.unit,
            codes=None if entry.codes is None else list(entry.codes),
            valid_range=None if entry.valid_range is None else list(entry.valid_range),
            omop=entry.omop,
            no_omop=entry.no_omop,
            loinc=entry.loinc,
        )
