"""Figures of released results, as SVG or PNG bytes: pure rendering, no I/O.

Stable API (study reports embed these figures):

- :func:`km_figure` (``SurvivalSummary``) — Kaplan-Meier curves with bands, censor marks,
  median lines on request, log-rank p and group sizes in the legend, number-at-risk table;
- :func:`incidence_figure` (``IncidenceSummary``) — cumulative incidence of the asked causes,
  Gray's p in the legend, number-at-risk table;
- :func:`forest_figure` (``CoxSummary``) — hazard ratios with CIs per coefficient;
- :func:`staging_figure` (``StagingSummary``) — C-index with CI per staging system;
- :class:`FigureOptions` — format (``svg``/``png``), size, what to draw; :func:`provenance_note`
  — the footnote that ties a figure to its release.

Each takes the value of a :class:`lake.query.release.Released` answer (what the caller's role
may see, after disclosure control) and draws nothing else. The same inputs give the same bytes
(:mod:`lake.plots.canvas`, which also says why matplotlib).
"""

from __future__ import annotations

from lake.plots.curves import incidence_figure, km_figure
from lake.plots.intervals import forest_figure, staging_figure
from lake.plots.options import DEFAULT_OPTIONS, FigureOptions, Format
from lake.query.release import Provenance


def provenance_note(provenance: Provenance) -> str:
    """A one-line footnote naming the release a figure draws: lake version, access kind (with
    ε for a protected release), query hash prefix and software version."""
    access = provenance.access
    if provenance.privacy is not None:
        access += f", ε = {provenance.privacy.epsilon:g}"
    return (
        f"Lake version {provenance.lake_version} · {access} release · query "
        f"{provenance.query_hash[:12]} · hemalake {provenance.software_version}"
    )


__all__ = [
    "DEFAULT_OPTIONS",
    "FigureOptions",
    "Format",
    "forest_figure",
    "incidence_figure",
    "km_figure",
    "provenance_note",
    "staging_figure",
]
