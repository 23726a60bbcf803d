"""The one declaration of the per-patient attributes derived from the long tables.

Every derived attribute is one :class:`Derived` row of :data:`DERIVED`: its name, description,
kind, codes (from :mod:`lake.model`'s code lists), unit and valid range, the source rows it is
aggregated from (:mod:`lake.cohort.attribute_sources`) and the Polars aggregation over one
patient's rows. Everything else reads this table:

- :func:`lake.cohort.frame.attribute_frame` computes them (one ``group_by`` per source);
- :mod:`schema.types.enums` generates ``CategoricalAttribute``, ``GroupingAttribute`` and
  ``NumericAttribute`` from the attribute lists of :mod:`lake.cohort.frame`;
- :mod:`lake.cohort.order` takes group order and trend levels from ``codes`` / ``ordinal``;
- :mod:`lake.privacy.domains` takes a protected release's public levels (``codes``, flags) and
  ranges (``valid_range``) from :meth:`Derived.column`;
- the data dictionary documents them (:mod:`lake.dictionary.entries`).

To add an attribute, add a row (and a source if none fits): e.g. a new column of the first
allogeneic transplant is ``_first_allo("column")`` on the ``transplants`` source with the
column's code list. The module is long because it is that table, read top to bottom. Kinds:

``categorical`` / ``ordinal``
    One code per patient (``ordinal``: ``codes`` form a scale, lowest first, apart from the
    ``unranked`` ones listed last).
``flag``
    ``true`` / ``false``.
``numeric``
    A number in ``unit``; ``valid_range`` is its public range (default histogram edges).
``list``
    Several codes per patient: counted and filtered on (any / all), never grouped by.

``fill`` is the value of a patient without rows in the source (a count of 0, an empty list,
``false``); without it such a patient's value is unknown (null). With ``site_reported`` the fill
applies only at sites having rows in the source at all: elsewhere the data are not collected, and
not collected is not "none" (null).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from lake.model import (
    AGENTS,
    AGVHD_GRADES,
    AGVHD_ORGANS,
    CGVHD_SEVERITIES,
    CONDITIONING,
    DISEASE_STATUSES,
    DONOR_TYPES,
    EVENT_TYPES,
    GVHD_ORGANS,
    RESPONSE_CODES,
    STEM_CELL_SOURCES,
    THERAPY_STRATEGIES,
    TKIS,
    Column,
)
from lake.risk.tki_stop_inputs import DAYS_PER_YEAR
from lake.risk.tristate import NOT_CLASSIFIABLE

AttributeKind = Literal["categorical", "ordinal", "flag", "numeric", "list"]
FLAGS: Final = ("false", "true")
#: Molecular response levels, lowest first; levels of unknown depth last (unranked).
MR_LEVELS: Final = ("NONE", "MMR", "MR4", "MR4.5", "MR5", "INDETERMINATE", NOT_CLASSIFIABLE)
#: Public range of a delay from diagnosis: twenty years (days).
DAYS_RANGE: Final = (0.0, 20 * DAYS_PER_YEAR)
COUNT_RANGE: Final = (0.0, 20.0)
YEARS_RANGE: Final = (0.0, 40.0)

_DTYPES: Final[dict[AttributeKind, pl.DataType]] = {
    "categorical": pl.String(),
    "ordinal": pl.String(),
    "flag": pl.Boolean(),
    "list": pl.List(pl.String()),
}


@dataclass(frozen=True, slots=True)
class Derived:
    """One derived attribute: what it means, its values, and how it is aggregated."""

    name: str
    description: str
    kind: AttributeKind
    source: str
    aggregate: pl.Expr
    codes: tuple[str, ...] | None = None
    unranked: tuple[str, ...] = ()
    unit: str | None = None
    valid_range: tuple[float, float] | None = None
    dtype: pl.DataType | None = None
    fill: object = None
    site_reported: bool = False

    def __post_init__(self) -> None:
        coded = self.kind in ("categorical", "ordinal", "list")
        if coded != (self.codes is not None):
            raise ValueError(f"derived attribute {self.name!r}: codes iff categorical/list")
        if (self.kind == "numeric") != (self.unit is not None and self.valid_range is not None):
            raise ValueError(
                f"derived attribute {self.name!r}: a numeric attribute has a unit and a range"
            )

    @property
    def data_type(self) -> pl.DataType:
        """The Polars type of the attribute column."""
        if self.kind == "numeric":
            return self.dtype or pl.Float64()
        return _DTYPES[self.kind]

    def column(self) -> Column:
        """The attribute as a model column (codes, order, unit, range) for shared readers."""
        return Column(
            self.name,
            self.data_type,
            self.description,
            unit=self.unit,
            codes=self.codes,
            valid_range=self.valid_range,
            ordinal=self.kind == "ordinal",
            unranked=self.unranked,
            no_omop=f"derived at query time from {self.source}",
        )

    def aggregation(self) -> pl.Expr:
        """The aggregation over one patient's rows, named as the attribute."""
        return self.aggregate.alias(self.name)


def _worst(column: str, codes: tuple[str, ...], event_type: str) -> pl.Expr:
    """The highest of ``codes`` (declared order) among the rows of ``event_type``."""
    return pl.col(column).filter(pl.col("event_type") == event_type).cast(pl.Enum(codes)).max()


def _gvhd(event_type: str, codes: tuple[str, ...]) -> pl.Expr:
    """``none`` without an event of ``event_type``, else the worst grade (null if unknown)."""
    had = (pl.col("event_type") == event_type).any()
    worst = _worst("grade", codes, event_type).cast(pl.String)
    return pl.when(had).then(worst).otherwise(pl.lit("none"))


def _organs(event_type: str) -> pl.Expr:
    """The sorted distinct organs of the patient's ``event_type`` events (empty: none)."""
    organs = pl.col("gvhd_organs").filter(pl.col("event_type") == event_type).explode()
    return organs.drop_nulls().unique().sort()


_RESPONSE_SCALE: Final = RESPONSE_CODES[:-1]
_ALLO = pl.col("transplant_type") == "allogeneic"
_AUTO = pl.col("transplant_type") == "autologous"
_LINE1 = pl.col("line_number") == 1
_TKI_AGENTS = pl.col("agents").explode()


def _first_allo(column: str) -> pl.Expr:
    return pl.col(column).filter(_ALLO).first()


def _event_attributes(event_type: str) -> tuple[Derived, ...]:
    """The count of one event type and the delay from diagnosis to the first one."""
    label = event_type.replace("_", " ")
    return (
        Derived(
            f"n_{event_type}",
            f"Number of {label} events recorded (0 when none).",
            "numeric",
            f"event:{event_type}",
            pl.len(),
            unit="events",
            valid_range=COUNT_RANGE,
            dtype=pl.Int32(),
            fill=0,
        ),
        Derived(
            f"days_to_{event_type}",
            f"Days from diagnosis to the first {label} event (null when none).",
            "numeric",
            f"event:{event_type}",
            pl.col("days_from_diagnosis").min(),
            unit="days",
            valid_range=DAYS_RANGE,
            dtype=pl.Int32(),
        ),
    )


DERIVED: Final[tuple[Derived, ...]] = (
    # treatment lines
    Derived(
        "n_lines",
        "Number of treatment lines (0 when none recorded).",
        "numeric",
        "treatment_lines",
        pl.len(),
        unit="lines",
        valid_range=COUNT_RANGE,
        dtype=pl.Int32(),
        fill=0,
    ),
    Derived(
        "agents_received",
        "Agents received over all lines (list).",
        "list",
        "treatment_lines",
        pl.col("agents").explode().drop_nulls().unique().sort(),
        codes=AGENTS,
        fill=[],
    ),
    Derived(
        "strategies",
        "Therapy strategies of all lines (list).",
        "list",
        "treatment_lines",
        pl.col("strategy").drop_nulls().unique().sort(),
        codes=THERAPY_STRATEGIES,
        fill=[],
    ),
    Derived(
        "best_response",
        "Best IMWG response over all lines on the ordered scale; NE only when nothing better.",
        "ordinal",
        "treatment_lines",
        pl.coalesce(
            pl.col("best_response")
            .filter(pl.col("best_response") != "NE")
            .cast(pl.Enum(_RESPONSE_SCALE))
            .max()
            .cast(pl.String),
            pl.when((pl.col("best_response") == "NE").any()).then(pl.lit("NE")),
        ),
        codes=RESPONSE_CODES,
        unranked=("NE",),
    ),
    Derived(
        "line1_strategy",
        "Strategy of the first line: fixed duration or continuous.",
        "categorical",
        "treatment_lines",
        pl.col("strategy").filter(_LINE1).first(),
        codes=THERAPY_STRATEGIES,
    ),
    Derived(
        "line1_agents",
        "Agents of the first line (list).",
        "list",
        "treatment_lines",
        pl.col("agents").filter(_LINE1).first(),
        codes=AGENTS,
        fill=[],
    ),
    Derived(
        "first_tki",
        "The TKI of the first line given with a TKI (CML; first TKI listed if several).",
        "categorical",
        "treatment_lines",
        _TKI_AGENTS.filter(_TKI_AGENTS.is_in(TKIS)).first(),
        codes=TKIS,
    ),
    # transplants
    Derived(
        "had_autologous",
        "At least one autologous transplant.",
        "flag",
        "transplants",
        _AUTO.any(),
        fill=False,
    ),
    Derived(
        "had_allogeneic",
        "At least one allogeneic transplant.",
        "flag",
        "transplants",
        _ALLO.any(),
        fill=False,
    ),
    Derived(
        "n_transplants",
        "Number of transplants, autologous and allogeneic (0 when none).",
        "numeric",
        "transplants",
        pl.len(),
        unit="transplants",
        valid_range=(0.0, 10.0),
        dtype=pl.Int32(),
        fill=0,
    ),
    Derived(
        "allo_donor_type",
        "Donor of the first allogeneic transplant.",
        "categorical",
        "transplants",
        _first_allo("donor_type"),
        codes=DONOR_TYPES,
    ),
    Derived(
        "allo_conditioning",
        "Conditioning intensity of the first allogeneic transplant.",
        "categorical",
        "transplants",
        _first_allo("conditioning"),
        codes=CONDITIONING,
    ),
    Derived(
        "allo_stem_cell_source",
        "Stem-cell source of the first allogeneic transplant.",
        "categorical",
        "transplants",
        _first_allo("stem_cell_source"),
        codes=STEM_CELL_SOURCES,
    ),
    Derived(
        "allo_disease_status",
        "Disease status at the first allogeneic transplant (EBMT; CR1 is first remission).",
        "categorical",
        "transplants",
        _first_allo("disease_status"),
        codes=DISEASE_STATUSES,
    ),
    Derived(
        "allo_in_cr1",
        "First allogeneic transplant given in first complete remission (CR1).",
        "flag",
        "transplants",
        _first_allo("in_first_remission"),
    ),
    Derived(
        "days_to_allo",
        "Days from diagnosis to the first allogeneic transplant (null when none).",
        "numeric",
        "transplants",
        pl.col("days_from_diagnosis").filter(_ALLO).min(),
        unit="days",
        valid_range=DAYS_RANGE,
        dtype=pl.Int32(),
    ),
    Derived(
        "days_to_auto",
        "Days from diagnosis to the first autologous transplant (null when none).",
        "numeric",
        "transplants",
        pl.col("days_from_diagnosis").filter(_AUTO).min(),
        unit="days",
        valid_range=DAYS_RANGE,
        dtype=pl.Int32(),
    ),
    # GVHD (allogeneic transplant recipients)
    Derived(
        "worst_agvhd_grade",
        "Worst acute GVHD grade (MAGIC) after an allogeneic transplant; none when no acute "
        "GVHD, null without an allogeneic transplant.",
        "ordinal",
        "allo_gvhd",
        _gvhd("agvhd", AGVHD_GRADES),
        codes=("none", *AGVHD_GRADES),
    ),
    Derived(
        "agvhd_organs",
        "Organs involved by acute GVHD (MAGIC) after an allogeneic transplant (list; empty "
        "without acute GVHD, null without an allogeneic transplant). They occur after the "
        "transplant: as groups from day 0 they carry immortal-time bias.",
        "list",
        "allo_gvhd",
        _organs("agvhd"),
        codes=AGVHD_ORGANS,
    ),
    Derived(
        "cgvhd_organs",
        "Organs involved by chronic GVHD (NIH 2014) after an allogeneic transplant (list; empty "
        "without chronic GVHD, null without an allogeneic transplant).",
        "list",
        "allo_gvhd",
        _organs("cgvhd"),
        codes=GVHD_ORGANS,
    ),
    Derived(
        "worst_cgvhd_severity",
        "Worst chronic GVHD NIH severity after an allogeneic transplant; none when no chronic "
        "GVHD, null without an allogeneic transplant.",
        "ordinal",
        "allo_gvhd",
        _gvhd("cgvhd", CGVHD_SEVERITIES),
        codes=("none", *CGVHD_SEVERITIES),
    ),
    # events
    Derived(
        "event_types",
        "Event types recorded for the patient (list).",
        "list",
        "events",
        pl.col("event_type").unique().sort(),
        codes=EVENT_TYPES,
        fill=[],
    ),
    Derived(
        "had_dli",
        "At least one donor lymphocyte infusion; null at a site that records none.",
        "flag",
        "event:dli",
        pl.len() > 0,
        fill=False,
        site_reported=True,
    ),
    *(a for event_type in EVENT_TYPES for a in _event_attributes(event_type)),
    Derived(
        "max_ae_grade",
        "Worst CTCAE grade of the patient's adverse events; 0 when none at a site that reports "
        "adverse events, null at a site that reports none.",
        "numeric",
        "adverse_events",
        pl.col("grade").max(),
        unit="CTCAE grade",
        valid_range=(0.0, 5.0),
        dtype=pl.Int8(),
        fill=0,
        site_reported=True,
    ),
    # registry entry
    Derived(
        "registry_entry_days",
        "Days from diagnosis to registry entry (0: registered at diagnosis); null without an "
        "entry date. A positive delay left-truncates analyses from diagnosis.",
        "numeric",
        "patients",
        (pl.col("registry_entry_date") - pl.col("diagnosis_date")).dt.total_days().first(),
        unit="days",
        valid_range=(0.0, 10 * DAYS_PER_YEAR),
        dtype=pl.Int32(),
    ),
    # CML molecular history at the first TKI stop
    Derived(
        "tki_years_at_stop",
        "Years of TKI therapy before the first TKI stop (lake.risk.tki_stop_inputs).",
        "numeric",
        "tki_stop",
        pl.col("tki_years").first(),
        unit="years",
        valid_range=YEARS_RANGE,
    ),
    Derived(
        "mr4_years_at_stop",
        "Years in MR4 or deeper (deep molecular response) before the first TKI stop.",
        "numeric",
        "tki_stop",
        pl.col("mr4_years").first(),
        unit="years",
        valid_range=YEARS_RANGE,
    ),
    Derived(
        "mr45_years_at_stop",
        "Years in MR4.5 or deeper before the first TKI stop.",
        "numeric",
        "tki_stop",
        pl.col("mr45_years").first(),
        unit="years",
        valid_range=YEARS_RANGE,
    ),
    Derived(
        "mr_at_stop",
        "Molecular response of the last BCR::ABL1 sample on or before the first TKI stop.",
        "ordinal",
        "tki_stop",
        pl.col("mr_level").first(),
        codes=MR_LEVELS,
        unranked=("INDETERMINATE", NOT_CLASSIFIABLE),
    ),
)

DERIVED_BY_NAME: Final = {a.name: a for a in DERIVED}
#: Derived attributes holding several codes per patient (counted and filtered, never grouped).
LIST_ATTRIBUTES: Final = tuple(a.name for a in DERIVED if a.kind == "list")
