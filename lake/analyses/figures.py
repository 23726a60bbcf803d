"""The figures of a report: each declared plot drawn by :mod:`lake.plots` from the value the
caller was released (after disclosure control or the privacy mechanism), as inline SVG.

A plot's ``path`` names the answer's field (``cohort.survival``, an alias such as
``cohort.sokal``); the resolvers keep the released value of each drawable field by that path
(``Context.figures``, :func:`schema.figures.keep_figure`, as for ``plotUrl``), and the figure
draws that value, so a picture never shows more than the caller's numbers do.
"""

from __future__ import annotations

import re
from typing import Final

from lake.analyses.definition import PlotSpec
from lake.cohort.incidence import IncidenceSummary
from lake.cohort.models import CoxSummary, StagingSummary
from lake.cohort.survival import SurvivalSummary
from lake.plots import (
    FigureOptions,
    forest_figure,
    incidence_figure,
    km_figure,
    provenance_note,
    staging_figure,
)
from lake.query.release import Released

#: The XML declaration and doctype of a standalone SVG file: not allowed inside an HTML page.
_PROLOG: Final = re.compile(r"\A<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", re.DOTALL)


def figure_svg(spec: PlotSpec, released: object) -> str | None:
    """The plot ``spec`` of the released value as inline SVG markup; ``None`` when the value is
    not one this kind of plot draws (the field was refused, or the definition names the wrong
    field: the page then shows the empty slot)."""
    if not isinstance(released, Released):
        return None
    value = released.value
    options = FigureOptions(
        format="svg", title=spec.title, footnote=provenance_note(released.provenance)
    )
    drawn: bytes | None = None
    if spec.kind == "kaplan_meier" and isinstance(value, SurvivalSummary):
        drawn = km_figure(value, options)
    elif spec.kind == "cumulative_incidence" and isinstance(value, IncidenceSummary):
        drawn = incidence_figure(value, options)
    elif spec.kind == "forest" and isinstance(value, CoxSummary):
        drawn = forest_figure(value, options)
    elif spec.kind == "staging_comparison" and isinstance(value, StagingSummary):
        drawn = staging_figure(value, options)
    return None if drawn is None else _PROLOG.sub("", drawn.decode())
