"""The hazards planted in the synthetic truth: the answers the analyses must recover.

Each entry names the endpoint, the grouping rule (computed inside the generator on latent,
complete data by :mod:`loaders.synthetic.scores`), the hazard ratio of each group versus the first,
the Weibull shape and the reference group's median. Times are drawn from the proportional-hazards
Weibull model of :func:`loaders.synthetic.sampling.weibull_ph_days`, so the Cox hazard ratio of a
group versus the reference is exactly the planted one (before censoring noise).
The same constant is written to every site's ``expected.json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class PlantedHazard:
    """One planted proportional-hazards effect."""

    disease: str
    endpoint: str
    grouping: str
    groups: tuple[str, ...]
    hazard_ratios: tuple[float, ...]
    shape: float
    reference_median_years: float
    note: str = ""

    def as_json(self) -> dict[str, object]:
        """Plain JSON-able form for ``expected.json``."""
        return asdict(self)


MM_OS: Final = PlantedHazard(
    disease="MM",
    endpoint="OS from diagnosis",
    grouping="R-ISS (Palumbo 2015) on latent complete data",
    groups=("I", "II", "III"),
    hazard_ratios=(1.0, 1.8, 3.5),
    shape=1.0,
    reference_median_years=10.0,
    note=(
        "ISS and R2-ISS orderings follow because both share the inputs; progression occurs at "
        "U*T_death (U ~ Beta(2, 2.5)) for 85% of patients, so PFS ordering matches OS."
    ),
)
MM_OS_REAL_WORLD_FACTOR: Final = 1.4  # real-world patients are older: every hazard x 1.4
ALLO_RELAPSE: Final = PlantedHazard(
    disease="MM",
    endpoint="relapse after allo-HSCT (cause-specific, from day 0)",
    grouping="conditioning intensity",
    groups=("MAC", "RIC", "NMA"),
    hazard_ratios=(1.0, 1.3, 1.6),
    shape=1.0,
    reference_median_years=3.4,
)
ALLO_NRM: Final = PlantedHazard(
    disease="MM",
    endpoint="non-relapse mortality after allo-HSCT (cause-specific, from day 0)",
    grouping="HCT-CI (Sorror 2005) 0 / 1-2 / >= 3 on latent items",
    groups=("0", "1-2", ">=3"),
    hazard_ratios=(1.0, 1.6, 2.6),
    shape=1.0,
    reference_median_years=7.0,
    note="Relapse and NRM compete; death after relapse at relapse + Exp(median 0.6 y).",
)
ALLO_NRM_TOXICITY: Final = PlantedHazard(
    disease="MM",
    endpoint=(
        "non-relapse mortality after allo-HSCT (cause-specific, from day 0), multiplied onto the "
        "HCT-CI hazard"
    ),
    grouping=(
        "CTCAE worst grade of the adverse events attributed to the allogeneic transplant: "
        "< 3 versus >= 3 (severe early toxicity, days 1-60, drawn independently of HCT-CI)"
    ),
    groups=("grade < 3", "grade >= 3"),
    hazard_ratios=(1.0, 2.0),
    shape=1.0,
    reference_median_years=7.0,
    note="30 % of patients have one grade 3-4 event; everyone up to two grade 1-2 events.",
)
AML_OS_COMUTATION: Final = PlantedHazard(
    disease="AML",
    endpoint="OS from diagnosis (NPM1-mutated)",
    grouping=(
        "synthetic NPM1 co-mutation groups (NOT the HARMONY rules, which are UNCONFIRMED): "
        "adverse = FLT3-ITD and DNMT3A; favourable = no FLT3-ITD and (no DNMT3A or IDH1/2 or "
        "TET2); intermediate = the rest"
    ),
    groups=("favourable", "intermediate", "adverse"),
    hazard_ratios=(1.0, 3.0, 6.0),
    shape=0.8,
    reference_median_years=12.0,
)
AML_OS_ELN_ADVERSE: Final = PlantedHazard(
    disease="AML",
    endpoint="OS from diagnosis (NPM1-mutated), multiplied onto the co-mutation hazard",
    grouping="ELN 2022 (Döhner 2022) adverse versus not adverse, on latent data",
    groups=("not adverse", "adverse"),
    hazard_ratios=(1.0, 2.0),
    shape=0.8,
    reference_median_years=12.0,
)
CML_MOLECULAR_RELAPSE: Final = PlantedHazard(
    disease="CML",
    endpoint="loss of MMR (BCR::ABL1 > 0.1% IS) after TKI stop",
    grouping="Sokal (Sokal 1984) low / intermediate / high",
    groups=("low", "intermediate", "high"),
    hazard_ratios=(1.0, 1.5, 2.2),
    shape=0.6,
    reference_median_years=6.0,
    note="Observed at the first scheduled sample after the latent relapse time.",
)


@dataclass(frozen=True, slots=True)
class PlantedIncidence:
    """One planted effect on whether an event occurs: its probability per group, among
    patients still alive and followed at the (group-independent) onset day."""

    disease: str
    endpoint: str
    grouping: str
    groups: tuple[str, ...]
    probabilities: tuple[float, ...]
    note: str = ""

    def as_json(self) -> dict[str, object]:
        """Plain JSON-able form for ``expected.json``."""
        return asdict(self)


ALLO_CGVHD_SOURCE: Final = PlantedIncidence(
    disease="MM",
    endpoint="chronic GVHD after allo-HSCT (onset uniform on days 100-499, death competing)",
    grouping="stem-cell source of the allogeneic graft",
    groups=("bone_marrow", "peripheral_blood", "cord_blood"),
    probabilities=(0.28, 0.50, 0.28),
    note=(
        "Peripheral-blood grafts raise chronic GVHD (direction as in the BMT CTN 0201 trial, "
        "Anasetti 2012, N Engl J Med; citation UNCONFIRMED, not in the domain notes). The "
        "onset day does not depend on the source, so the cumulative incidence of chronic GVHD "
        "is higher with peripheral blood at every time after day 100. Cord blood follows the "
        "donor type cord_blood."
    ),
)

PLANTED_INCIDENCES: Final = (ALLO_CGVHD_SOURCE,)

PLANTED_HAZARDS: Final = (
    MM_OS,
    ALLO_RELAPSE,
    ALLO_NRM,
    ALLO_NRM_TOXICITY,
    AML_OS_COMUTATION,
    AML_OS_ELN_ADVERSE,
    CML_MOLECULAR_RELAPSE,
)
