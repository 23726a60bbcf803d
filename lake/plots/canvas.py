"""The drawing surface of every lake figure: matplotlib's object API on the Agg canvas, saved as
SVG or PNG bytes, the same bytes for the same inputs.

Why matplotlib (and not Vega-Lite through altair + vl-convert): it is already installed (a
lifelines dependency), renders headless without a JavaScript engine, and draws the
publication conventions these plots need (step curves with ``where="post"``, shaded bands,
censor ticks, a number-at-risk table aligned under the time axis, log-scaled forest axes)
directly; Vega-Lite has no at-risk table and would add vl-convert's bundled Deno runtime (~100 MB)
to the image for a second rendering path.

Thread safety: no ``pyplot`` (its global figure manager is not thread-safe); every figure is a
:class:`matplotlib.figure.Figure` with its own :class:`FigureCanvasAgg`. The font cache and
text layout engine are shared by all figures of the process, so rendering is serialised by
:data:`RENDER_LOCK` (a figure takes tens of milliseconds).

Reproducibility: SVG element ids come from ``svg.hashsalt`` (a constant here, set once at
import; matplotlib otherwise salts with a random UUID), text is kept as text
(``svg.fonttype = "none"``: small files, searchable labels), and the ``Date`` metadata is
dropped; PNG carries only the matplotlib version as ``Software``. Same inputs, same bytes.
"""

from __future__ import annotations

import io
import threading
from typing import Final

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lake.plots.options import FigureOptions

mpl.rcParams["svg.hashsalt"] = "hemalake"
mpl.rcParams["svg.fonttype"] = "none"

#: Serialises drawing: matplotlib's font cache and text engine are process-wide.
RENDER_LOCK: Final = threading.Lock()

#: Okabe & Ito (2008) colour-blind-safe palette, black last (used when groups outnumber it).
PALETTE: Final = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#000000",
)


def colour(index: int) -> str:
    """The palette colour of the ``index``-th series (cycling)."""
    return PALETTE[index % len(PALETTE)]


def new_figure(options: FigureOptions) -> Figure:
    """An empty figure of the asked size on its own Agg canvas (no pyplot state)."""
    figure = Figure(figsize=(options.width, options.height), dpi=options.dpi)
    FigureCanvasAgg(figure)
    return figure


def to_bytes(figure: Figure, options: FigureOptions) -> bytes:
    """The figure as SVG or PNG bytes, deterministic for the same figure."""
    buffer = io.BytesIO()
    metadata: dict[str, str | None] = (
        {"Date": None, "Creator": "hemalake (matplotlib)"}
        if options.format == "svg"
        else {"Software": "hemalake (matplotlib)"}
    )
    figure.savefig(buffer, format=options.format, dpi=options.dpi, metadata=metadata)
    return buffer.getvalue()
