"""Estimates with confidence intervals, one row each: the forest plot of a Cox model (hazard
ratio per covariate level, log axis, line of no effect at 1; Lewis & Clarke, BMJ
2001;322:1479) and the staging comparison (Harrell's C-index per system, line of chance at 0.5).

The numbers beside each row are the released ones, printed as the JSON answer gives them. An
infinite limit (a diverging coefficient, as R reports it) is drawn to the axis edge. Every row
has SVG ids (matplotlib ``gid``): ``hr-i`` / ``system-i`` for the estimate of the i-th row from
the top and ``hr-ci-i`` / ``system-ci-i`` for its interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lake.cohort.models import CoxSummary, StagingSummary
from lake.errors import AnalysisError
from lake.plots.canvas import RENDER_LOCK, colour, new_figure, to_bytes
from lake.plots.options import DEFAULT_OPTIONS, MAX_SERIES, FigureOptions


@dataclass(frozen=True, slots=True)
class Row:
    """One row: a label, the estimate and its limits, and the text printed beside it."""

    label: str
    estimate: float | None
    lower: float | None
    upper: float | None
    text: str


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _number(x: float | None) -> str:
    return "–" if x is None else "∞" if math.isinf(x) else f"{x:.2f}"


def forest_figure(summary: CoxSummary, options: FigureOptions = DEFAULT_OPTIONS) -> bytes:
    """Forest plot of a (released) Cox model: HR and its CI per coefficient, as SVG or PNG."""
    rows = [
        Row(
            c.name,
            c.hazard_ratio,
            c.lower,
            c.upper,
            f"{_number(c.hazard_ratio)} ({_number(c.lower)}–{_number(c.upper)})  p {_p(c.p_value)}",
        )
        for c in summary.coefficients
    ]
    return _render(
        rows,
        kind="hr",
        reference=1.0,
        log=True,
        x_label="Hazard ratio (95 % CI, log scale)",
        header="HR (95 % CI)  p",
        title=options.title or f"Cox model: {summary.endpoint} from {summary.origin}",
        caption=_counts(summary.n, summary.n_events),
        options=options,
    )


def staging_figure(summary: StagingSummary, options: FigureOptions = DEFAULT_OPTIONS) -> bytes:
    """Staging systems compared: Harrell's C-index and its CI per system, as SVG or PNG."""
    rows = [
        Row(
            s.system,
            s.concordance.c_index,
            s.concordance.lower,
            s.concordance.upper,
            f"{_number(s.concordance.c_index)} ({_number(s.concordance.lower)}–"
            f"{_number(s.concordance.upper)})  AIC {s.aic:.1f}",
        )
        for s in summary.systems
    ]
    return _render(
        rows,
        kind="system",
        reference=0.5,
        log=False,
        x_label="Harrell's C-index (95 % CI)",
        header="C-index (95 % CI)  AIC",
        title=options.title or f"Staging systems: {summary.endpoint} from {summary.origin}",
        caption=_counts(summary.n, summary.n_events),
        options=options,
    )


def _render(
    rows: Sequence[Row],
    *,
    kind: str,
    reference: float,
    log: bool,
    x_label: str,
    header: str,
    title: str,
    caption: str,
    options: FigureOptions,
) -> bytes:
    if not rows:
        raise AnalysisError("nothing to draw: the model has no released coefficient or system")
    if len(rows) > MAX_SERIES:
        raise AnalysisError(
            f"{len(rows)} rows are too many for one figure (at most {MAX_SERIES}); "
            "ask for fewer covariates or systems"
        )
    finite = [
        v
        for r in rows
        for v in (r.estimate, r.lower, r.upper)
        if v is not None and math.isfinite(v) and (v > 0 or not log)
    ]
    low, high = min([*finite, reference]), max([*finite, reference])
    if log:
        low, high = low / 1.25, high * 1.25
    else:
        pad = 0.05 * max(high - low, 0.1)
        low, high = max(0.0, low - pad), min(1.0, high + pad)
    with RENDER_LOCK:
        figure = new_figure(options)
        grid = figure.add_gridspec(1, 2, width_ratios=[3.0, 2.0], wspace=0.02)
        axes = figure.add_subplot(grid[0])
        text = figure.add_subplot(grid[1], sharey=axes)
        if log:
            axes.set_xscale("log")
        axes.set_xlim(low, high)
        axes.set_ylim(len(rows) - 0.5, -1.0)
        axes.axvline(reference, color="#777777", linewidth=0.8, linestyle="--")
        for i, row in enumerate(rows):
            if row.estimate is None:
                continue
            lo = low if row.lower is None or not math.isfinite(row.lower) else row.lower
            hi = high if row.upper is None or not math.isfinite(row.upper) else row.upper
            axes.plot([lo, hi], [i, i], color=colour(0), linewidth=1.4, gid=f"{kind}-ci-{i}")
            axes.plot(
                [row.estimate],
                [i],
                marker="s",
                markersize=5,
                linestyle="none",
                color=colour(0),
                gid=f"{kind}-{i}",
            )
        axes.set_yticks(range(len(rows)), labels=[r.label for r in rows], fontsize="small")
        axes.tick_params(axis="y", length=0)
        axes.spines[["top", "right", "left"]].set_visible(False)
        axes.set_xlabel(x_label)
        axes.set_title(title, fontsize="medium", loc="left")
        text.set_axis_off()
        text.set_xlim(0.0, 1.0)
        text.text(0.02, -0.8, header, fontsize="small", fontweight="bold", va="center")
        for i, row in enumerate(rows):
            text.text(0.02, i, row.text, fontsize="small", va="center")
        notes = [n for n in (caption, options.footnote) if n]
        if notes:
            figure.text(0.01, 0.005, "\n".join(notes), fontsize="x-small", color="#555555")
        figure.subplots_adjust(left=0.3, right=0.98, top=0.92, bottom=0.12 + 0.03 * len(notes))
        return to_bytes(figure, options)


def _counts(n: int | None, n_events: int | None) -> str:
    """The caption's released counts ("n = 412, events = 230"; a withheld one left out)."""
    return ", ".join(
        f"{name} = {count}" for name, count in (("n", n), ("events", n_events)) if count is not None
    )
