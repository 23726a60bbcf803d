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
restrict the cohort before computing. Missing inputs (C1): the table is applied as a lookup table
(:mod:`lake.risk.lookup`) over the tri-states of NPM1, FLT3-ITD, DNMT3A, IDH and TET2; every
genotype cell compatible with the known markers is possible, and the row is classified when all
possible cells carry one group. Otherwise ``NOT_CLASSIFIABLE`` names the unknown markers that could
change the group and, when a possible cell has no group in the table (an UNCONFIRMED cell), the
pseudo-input ``<table version>.genotype_group``: the missing piece is then the table's mapping,
not the patient's data. No points.
"""

from __future__ import annotations

from typing import Final

from lake.risk.lookup import (
    StateTable,
    Undetermined,
    build_table,
    condition_encoder,
    marker_encoder,
)
from lake.risk.npm1_table import GROUPS, Npm1Table
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import NOT_APPLICABLE, Categories, Input, ScoreParts, marker, table_parts

NPM1: Final = Input("genetics.npm1")
GENE_INPUTS: Final = {
    "flt3_itd": (Input("genetics.flt3_itd"),),
    "dnmt3a": (Input("genetics.dnmt3a"),),
    "idh": (Input("genetics.idh1"), Input("genetics.idh2")),
    "tet2": (Input("genetics.tet2"),),
}
INPUTS: Final = (NPM1, *(inp for group in GENE_INPUTS.values() for inp in group))
CATS: Final = Categories(GROUPS)
#: NPM1, then the four genes of :data:`~lake.risk.npm1_table.GENES` (``idh`` = IDH1 or IDH2).
STATES: Final = (
    marker_encoder(NPM1),
    *(
        marker_encoder(inputs[0])
        if len(inputs) == 1
        else condition_encoder(
            f"harmony_npm1_{gene}", marker(inputs[0]) | marker(inputs[1]), inputs
        )
        for gene, inputs in GENE_INPUTS.items()
    ),
)


def genotype_group(table: Npm1Table) -> Input:
    """The pseudo-input a genotype without a group in ``table`` is blocked by."""
    return Input(f"{table.version}.genotype_group")


def harmony_table(table: Npm1Table) -> StateTable:
    """The lookup table applying ``table`` (3^5 = 243 states)."""
    missing = genotype_group(table)

    def group(npm1: bool, itd: bool, dnmt3a: bool, idh: bool, tet2: bool) -> str | Undetermined:
        if not npm1:
            return NOT_APPLICABLE
        genotype = (itd, dnmt3a, idh, tet2)
        cell = table.group_of(genotype)
        return Undetermined(missing, genotype) if cell is None else cell

    return build_table(STATES, group, categories=CATS, inputs=INPUTS)


def harmony_npm1(table: Npm1Table) -> ScoreParts:
    """The classification under ``table`` as parts: category and missing inputs."""
    return table_parts(harmony_table(table), categories=CATS, inputs=INPUTS)


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
