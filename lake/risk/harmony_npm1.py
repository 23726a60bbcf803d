"""HARMONY NPM1-mutated AML co-mutation classification, applied from a versioned table.

Citation: Hernández-Sánchez A, et al. Unravelling co-mutational patterns with prognostic
implications in NPM1 mutated adult acute myeloid leukemia - a HARMONY study. *Leukemia* 2026.
doi:10.1038/s41375-025-02851-9

Status UNCONFIRMED: the genes (FLT3-ITD, DNMT3A, IDH1 or IDH2, TET2) and the three groups are
confirmed; the genotype -> group mapping is not (``02-aml.md`` §2.2). The mapping is therefore
data: an :class:`~lake.risk.npm1_table.Npm1Table` (the shipped ``harmony_npm1_2026`` table has
every cell unassigned; :mod:`lake.risk.npm1_derivation` derives tables on a training cohort).

Inputs: ``genetics.npm1``, ``genetics.flt3_itd``, ``genetics.dnmt3a``, ``genetics.idh1``,
``genetics.idh2``, ``genetics.tet2`` (tri-state). ``idh = idh1 or idh2`` (Kleene).

=========================  ===========================================
Condition                  Category
=========================  ===========================================
NPM1 absent                NOT_APPLICABLE
NPM1 present               the table's group of (flt3_itd, dnmt3a, idh, tet2)
=========================  ===========================================

Applicability also requires intensive treatment, which the harmonised model does not record:
restrict the cohort before computing. Missing inputs (C1): every genotype cell compatible with the
known markers is possible; the row is classified when all possible cells carry one group. A
possible unassigned cell, or NPM1 unknown, gives ``NOT_CLASSIFIABLE``. No points.
"""

from __future__ import annotations

from functools import reduce
from typing import Final

import polars as pl

from lake.risk.npm1_table import GENES, GROUPS, Npm1Table
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Categories, Input, ScoreParts, marker, maybe, score_parts

NPM1: Final = Input("genetics.npm1")
GENE_INPUTS: Final = {
    "flt3_itd": (Input("genetics.flt3_itd"),),
    "dnmt3a": (Input("genetics.dnmt3a"),),
    "idh": (Input("genetics.idh1"), Input("genetics.idh2")),
    "tet2": (Input("genetics.tet2"),),
}
INPUTS: Final = (NPM1, *(inp for group in GENE_INPUTS.values() for inp in group))
CATS: Final = Categories(GROUPS)


def _gene(name: str) -> pl.Expr:
    return reduce(lambda a, b: a | b, (marker(i) for i in GENE_INPUTS[name]))


def harmony_npm1(table: Npm1Table) -> ScoreParts:
    """The classification under ``table`` as parts: category and missing inputs."""
    genes = {name: _gene(name) for name in GENES}
    possible: dict[str, pl.Expr] = {}
    unassigned: pl.Expr = pl.lit(value=False)
    for cell in table.cells:
        compatible = reduce(
            lambda a, b: a & b,
            (
                maybe(genes[g] if v else ~genes[g])
                for g, v in zip(GENES, cell.genotype, strict=True)
            ),
        )
        if cell.group is None:
            unassigned = unassigned | compatible
        else:
            possible[cell.group] = possible.get(cell.group, pl.lit(value=False)) | compatible
    decided = CATS.decide(possible) if possible else pl.lit(CATS.nc, dtype=pl.UInt32)
    npm1 = marker(NPM1)
    code = (
        pl.when(npm1.not_() & npm1.is_not_null())
        .then(pl.lit(CATS.na, dtype=pl.UInt32))
        .when(npm1 & ~unassigned)
        .then(decided)
        .otherwise(pl.lit(CATS.nc, dtype=pl.UInt32))
    )
    return score_parts(code=code, categories=CATS, inputs=INPUTS)


def harmony_npm1_spec(table: Npm1Table) -> ScoreSpec:
    """The registry entry applying one table version."""
    return ScoreSpec(
        name="harmony_npm1",
        version=table.version,
        citation=(
            "Hernández-Sánchez A, et al. Unravelling co-mutational patterns with prognostic "
            "implications in NPM1 mutated adult AML - a HARMONY study. Leukemia 2026. "
            f"Genotype table {table.version} ({table.status}): {table.source}"
        ),
        doi="10.1038/s41375-025-02851-9",
        inputs=tuple(i.qualified for i in INPUTS),
        categories=CATS.codes,
        disease="AML",
        build=lambda: harmony_npm1(table),
        status="UNCONFIRMED",
        unconfirmed_rules=(
            f"genotype -> group table {table.version} (sha256 {table.digest[:12]})",
            "applicability limited to intensively treated patients (not checked)",
        ),
        policy={"table_version": table.version, "table_sha256": table.digest},
    )
