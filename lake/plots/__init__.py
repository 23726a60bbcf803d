"""Figures of released results, as SVG or PNG bytes: pure rendering, no I/O.

Stable API (study reports embed these figures):

- :func:`km_figure` (``SurvivalSummary``) — Kaplan-Meier curves with bands, censor marks,
  median lines on request, log-rank p and group sizes in the legend, number-at-risk table;
- :func:`incidence_figure` (``IncidenceSummary``) — cumulative incidence of the asked causes,
  Gray's p in the legend, number-at-risk table;
- :func:`forest_figure` (``CoxSummary``) — hazard ratios with CIs per coefficient;
- :func:`staging_figure` (``StagingSummary``) — C-index with CI per staging system;
- :func:`figure` — whichever of these fits the value;
- :class:`FigureOptions` — format (``svg``/``png``), size, what to draw; :func:`provenance_note`
  — the footnote that ties a figure to its release.

Each takes the value of a :class:`lake.query.release.Released` answer (what the caller's role
may see, after disclosure control) and draws nothing else. The same inputs give the same bytes
(:mod:`lake.plots.canvas`, which also says why matplotlib).
"""

from __future__ import annotations

from lake.cohort.incidence import IncidenceSummary
from lake.cohort.models import CoxSummary, StagingSummary
from lake.cohort.survival import SurvivalSummary
from lake.errors import AnalysisError
from lake.plots.curves import incidence_figure, km_figure
from lake.plots.intervals import forest_figure, staging_figure
from lake.plots.options import DEFAULT_OPTIONS, FigureOptions, Format
from lake.query.release import Provenance


def figure(value: object, options: FigureOptions = DEFAULT_OPTIONS) -> bytes:
    """The figure of a released value, whichever of the four kinds it is.

    Raises
    ------
    AnalysisError
        The value has no figure (only survival, incidence, Cox and staging results draw).
    """
    if isinstance(value, SurvivalSummary):
        return km_figure(value, options)
    if isinstance(value, IncidenceSummary):
        return incidence_figure(value, options)
    if isinstance(value, CoxSummary):
        return forest_figure(value, options)
    if isinstance(value, StagingSummary):
        return staging_figure(value, options)
    raise AnalysisError(
        f"a {type(value).__name__} has no figure; survival, cumulativeIncidence, coxModel and "
        "stagingComparison do"
    )


def provenance_note(provenance: Provenance) -> str:
    """A one-line footnote naming the release a figure draws: lake version, access kind (with
    ε for a protected release), query hash prefix and software version."""
    access = f"{provenance.access} release"
    if provenance.privacy is not None:
        access += f" (ε = {provenance.privacy.epsilon:g})"
    return (
        f"Lake version {provenance.lake_version} · {access} · query "
        f"{provenance.query_hash[:12]} · hemalake {provenance.software_version}"
    )


__all__ = [
    "DEFAULT_OPTIONS",
    "FigureOptions",
    "Format",
    "figure",
    "forest_figure",
    "incidence_figure",
    "km_figure",
    "provenance_note",
    "staging_figure",
]
