"""Versioned genotype -> group tables for the HARMONY NPM1 co-mutation classification.

A table maps each of the 16 genotypes over (``flt3_itd``, ``dnmt3a``, ``idh`` = IDH1 or IDH2,
``tet2``) to ``FAVORABLE`` / ``INTERMEDIATE`` / ``ADVERSE`` or to nothing (unassigned). Tables are
data, not code: JSON files in ``lake/risk/tables/`` (the shipped ones) or produced by
:func:`lake.risk.npm1_derivation.derive_npm1_table`, and every table carries its own version id,
so a new mapping is a new version and an old one stays reproducible.

File format::

    {"version": "harmony_npm1_2026", "status": "UNCONFIRMED", "source": "...",
     "cells": [{"flt3_itd": false, "dnmt3a": false, "idh": false, "tet2": false,
                "group": null, "n": null, "log_hazard": null}, ...],
     "derivation": {...}}
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from lake.errors import ConfigError

GENES: Final = ("flt3_itd", "dnmt3a", "idh", "tet2")
TABLES_DIR: Final = Path(__file__).parent / "tables"
Group = Literal["FAVORABLE", "INTERMEDIATE", "ADVERSE"]
GROUPS: Final[tuple[Group, Group, Group]] = ("FAVORABLE", "INTERMEDIATE", "ADVERSE")
Genotype = tuple[bool, bool, bool, bool]
ALL_GENOTYPES: Final[tuple[Genotype, ...]] = tuple(
    (a, b, c, d) for a, b, c, d in itertools.product((False, True), repeat=4)
)


@dataclass(frozen=True, slots=True)
class Cell:
    """One genotype and its group (``None`` = unassigned), with training size and log hazard."""

    genotype: Genotype
    group: Group | None
    n: int | None = None
    log_hazard: float | None = None


@dataclass(frozen=True, slots=True)
class Npm1Table:
    """A complete, versioned genotype -> group table (all 16 genotypes, in canonical order)."""

    version: str
    status: Literal["UNCONFIRMED", "DERIVED"]
    source: str
    cells: tuple[Cell, ...]
    derivation: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if tuple(c.genotype for c in self.cells) != ALL_GENOTYPES:
            raise ConfigError(
                f"NPM1 table {self.version!r} must list the 16 genotypes of {GENES} in canonical "
                "order (False before True, flt3_itd slowest)"
            )

    def group_of(self, genotype: Genotype) -> Group | None:
        """The group of one genotype."""
        return self.cells[ALL_GENOTYPES.index(genotype)].group

    @property
    def digest(self) -> str:
        """SHA-256 of the genotype -> group mapping (what makes two tables the same rule)."""
        mapping = [[list(c.genotype), c.group] for c in self.cells]
        return hashlib.sha256(json.dumps(mapping).encode()).hexdigest()

    def to_json(self) -> str:
        """The table in the file format of this module."""
        cells = [{**dict(zip(GENES, c.genotype, strict=True)), **asdict(c)} for c in self.cells]
        for cell in cells:
            del cell["genotype"]
        document = {
            "version": self.version,
            "status": self.status,
            "source": self.source,
            "cells": cells,
            "derivation": self.derivation,
        }
        return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def load_npm1_table(path: Path) -> Npm1Table:
    """Read a table file; a malformed file raises :class:`~lake.errors.ConfigError`."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        cells = tuple(
            Cell(
                genotype=tuple(bool(c[g]) for g in GENES),  # type: ignore[arg-type]
                group=c["group"],
                n=c.get("n"),
                log_hazard=c.get("log_hazard"),
            )
            for c in document["cells"]
        )
        table = Npm1Table(
            version=document["version"],
            status=document["status"],
            source=document["source"],
            cells=cells,
            derivation=document.get("derivation", {}),
        )
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{path}: not a valid NPM1 genotype table ({error!r})") from error
    bad = {c.group for c in table.cells} - {*GROUPS, None}
    if bad:
        raise ConfigError(f"{path}: unknown groups {sorted(map(str, bad))}; use {GROUPS} or null")
    return table


def shipped_table(version: str) -> Npm1Table:
    """A table shipped in ``lake/risk/tables/<version>.json``."""
    return load_npm1_table(TABLES_DIR / f"{version}.json")
