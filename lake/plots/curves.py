"""Kaplan-Meier and cumulative-incidence figures drawn as publications draw them.

Step curves (right-continuous, ``where="post"``) from time 0, pointwise confidence bands shaded
under them, a tick at each censoring time, dashed median lines on request, the group sizes and
the test across groups (log-rank; Gray's test for incidence, Gray 1988) in the legend, and the
number at risk at each time-axis tick in a table under the axis (R ``survminer::ggsurvplot``
``risk.table``; Pocock, Clayton & Altman, Lancet 2002;359:1686).

Only what the released answer holds is drawn: its step functions (which disclosure control
ends before the number at risk falls below the cell size; a protected release's are its noisy
life table's interval ends), its medians and its tests. The number at risk at a tick is that of
the first released step at or after it (R ``survfit``: at risk at t means time >= t); past the
end of a released curve it is left blank, never extrapolated. A group whose curve is withheld
(withheld, or without patients) is named under the figure instead of drawn.

Every element has an SVG id (matplotlib ``gid``): ``curve-i``, ``band-i``, ``censor-i``,
``median-i`` for the i-th drawn curve, ``at-risk-row-r`` for the r-th row label of the risk
table and ``at-risk-r-k`` for its k-th cell.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from lake.cohort.incidence import IncidenceSummary
from lake.cohort.survival import SurvivalSummary
from lake.errors import AnalysisError
from lake.plots.canvas import RENDER_LOCK, colour, new_figure, to_bytes
from lake.plots.options import DEFAULT_OPTIONS, MAX_SERIES, FigureOptions
from lake.survival import StatisticalResult


@dataclass(frozen=True, slots=True)
class Curve:
    """One drawable step function: step times, values and limits, censorings, at-risk counts."""

    label: str
    row: int
    times: tuple[float, ...]
    values: tuple[float, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]
    censored: tuple[int, ...]
    at_risk: tuple[int, ...]
    median: float | None = None
    dashed: bool = False


def group_name(group: str | None, *, alone: bool) -> str:
    """A group's label in a figure: ``all patients`` without a grouping (the only group),
    ``missing`` for patients without a value of the grouping (as the tests name them)."""
    if group is None:
        return "all patients" if alone else "missing"
    return group


def p_text(test: StatisticalResult | None) -> str | None:
    """The legend line of a test: its name and p (``p < 0.001`` below that, 2 significant
    digits above, as journals ask), or ``None`` without a p-value."""
    if test is None or test.p_value is None:
        return None
    p = test.p_value
    shown = "p < 0.001" if p < 0.001 else f"p = {p:.2g}" if p < 0.1 else f"p = {p:.2f}"
    return f"{test.test_name} {shown}"


def sized(name: str, n: int | None) -> str:
    """A group name with its size when released."""
    return name if n is None else f"{name} (n = {n})"


def km_figure(summary: SurvivalSummary, options: FigureOptions = DEFAULT_OPTIONS) -> bytes:
    """Kaplan-Meier curves of a (released) survival summary, as SVG or PNG bytes."""
    curves: list[Curve] = []
    rows: list[str] = []
    withheld: list[str] = []
    for g in summary.groups:
        name = group_name(g.group, alone=len(summary.groups) == 1)
        if not g.steps:
            withheld.append(name)
            continue
        rows.append(name)
        curves.append(
            Curve(
                label=sized(name, g.n),
                row=len(rows) - 1,
                times=tuple(s.time for s in g.steps),
                values=tuple(s.survival for s in g.steps),
                lower=tuple(s.lower for s in g.steps),
                upper=tuple(s.upper for s in g.steps),
                censored=tuple(s.censored for s in g.steps),
                at_risk=tuple(s.n_at_risk for s in g.steps),
                median=None if g.median is None else g.median.estimate,
            )
        )
    return _render(
        curves,
        rows=rows,
        start=1.0,
        y_label="Survival probability",
        test=p_text(summary.logrank),
        summary=(summary.endpoint, summary.origin, summary.time_unit),
        withheld=withheld,
        options=options,
    )


def incidence_figure(summary: IncidenceSummary, options: FigureOptions = DEFAULT_OPTIONS) -> bytes:
    """Cumulative-incidence curves (Aalen-Johansen) of the asked causes, as SVG or PNG bytes.

    The endpoint's event is drawn solid, its competing event dashed in the same group colour;
    the legend carries Gray's test of the event cause (of the competing cause when only that is
    drawn).
    """
    curves: list[Curve] = []
    rows: list[str] = []
    withheld: list[str] = []
    for g in summary.groups:
        name = group_name(g.group, alone=len(summary.groups) == 1)
        drawn = [c for c in g.causes if c.cause in options.causes and c.steps]
        if not drawn:
            withheld.append(name)
            continue
        for c in drawn:
            label = name if len(options.causes) == 1 else f"{name}: {c.cause}"
            curves.append(
                Curve(
                    label=sized(label, g.n),
                    row=len(rows),
                    times=tuple(s.time for s in c.steps),
                    values=tuple(s.estimate for s in c.steps),
                    lower=tuple(s.lower for s in c.steps),
                    upper=tuple(s.upper for s in c.steps),
                    censored=(),
                    at_risk=tuple(s.n_at_risk for s in c.steps),
                    dashed=c.cause == "competing",
                )
            )
        rows.append(name)
    tests = dict(summary.gray_tests)
    cause = "event" if "event" in options.causes else "competing"
    return _render(
        curves,
        rows=rows,
        start=0.0,
        y_label="Cumulative incidence",
        test=p_text(tests.get(cause)),
        summary=(summary.endpoint, summary.origin, summary.time_unit),
        withheld=withheld,
        options=options,
    )


def _render(
    curves: Sequence[Curve],
    *,
    rows: Sequence[str],
    start: float,
    y_label: str,
    test: str | None,
    summary: tuple[str, str, str],
    withheld: Sequence[str],
    options: FigureOptions,
) -> bytes:
    if len(curves) > MAX_SERIES:
        raise AnalysisError(
            f"{len(curves)} curves are too many for one figure (at most {MAX_SERIES}); "
            "group more coarsely or filter the cohort"
        )
    endpoint, origin, unit = summary
    last = max((c.times[-1] for c in curves), default=1.0)
    x_max = options.max_time or (last if last > 0 else 1.0)
    ticks = [float(t) for t in MaxNLocator(nbins=6).tick_values(0.0, x_max) if 0 <= t <= x_max]
    with RENDER_LOCK:
        figure = new_figure(options)
        table_rows = len(rows) if options.risk_table and curves else 0
        grid = figure.add_gridspec(
            2 if table_rows else 1,
            1,
            height_ratios=[4.0, 0.6 + 0.32 * table_rows] if table_rows else [1.0],
            hspace=0.08,
        )
        axes = figure.add_subplot(grid[0])
        _draw(axes, curves, start=start, x_max=x_max, options=options)
        axes.set_xticks(ticks)
        axes.set_xlim(0.0, x_max * 1.02)
        axes.set_ylabel(y_label)
        axes.set_title(options.title or f"{endpoint} from {origin}", fontsize="medium")
        axes.grid(True, color="#dddddd", linewidth=0.6)
        axes.spines[["top", "right"]].set_visible(False)
        if curves:
            legend = axes.legend(
                loc="best",
                title=test,
                fontsize="small",
                title_fontsize="small",
                frameon=False,
            )
            legend.set_gid("legend")
        x_label = f"Time from {origin} ({unit})"
        if table_rows:
            axes.tick_params(labelbottom=False)
            table = figure.add_subplot(grid[1], sharex=axes)
            _risk_table(table, curves, rows, ticks)
            table.set_xlabel(x_label)
        else:
            axes.set_xlabel(x_label)
        notes = [
            *([f"Not drawn (no released curve): {', '.join(withheld)}"] if withheld else []),
            *([options.footnote] if options.footnote else []),
        ]
        if notes:
            figure.text(0.01, 0.005, "\n".join(notes), fontsize="x-small", color="#555555")
        figure.subplots_adjust(
            left=_left_margin(rows if table_rows else [], options.width),
            right=0.97,
            top=0.93,
            bottom=0.1 + 0.03 * len(notes),
        )
        return to_bytes(figure, options)


def _left_margin(labels: Sequence[str], width: float) -> float:
    """Figure fraction left of the axes: room for the y label and the risk table's row labels
    (about 0.085 inch a character at the table's font size)."""
    inches = max(0.9, 0.65 + 0.085 * max((len(label) for label in labels), default=0))
    return min(0.45, inches / width)


def _draw(
    axes: Axes, curves: Sequence[Curve], *, start: float, x_max: float, options: FigureOptions
) -> None:
    """Step curves, bands, censor marks and median lines of every curve."""
    top = 1.0
    if start == 0.0:
        highest = max(
            (
                max((u if u is not None else v) for u, v in zip(c.upper, c.values, strict=True))
                for c in curves
            ),
            default=1.0,
        )
        top = min(1.0, math.ceil((highest + 0.05) * 10.0) / 10.0)
    axes.set_ylim(0.0, top * 1.02)
    for i, c in enumerate(curves):
        shade = colour(c.row)
        t = np.array([0.0, *c.times])
        axes.step(
            t,
            [start, *c.values],
            where="post",
            color=shade,
            linewidth=1.6,
            linestyle="--" if c.dashed else "-",
            label=c.label,
            gid=f"curve-{i}",
        )
        if options.bands:
            nan = float("nan")
            lower = [start, *(nan if v is None else v for v in c.lower)]
            upper = [start, *(nan if v is None else v for v in c.upper)]
            axes.fill_between(
                t, lower, upper, step="post", color=shade, alpha=0.15, linewidth=0, gid=f"band-{i}"
            )
        censored = [k for k, n in enumerate(c.censored) if n > 0]
        if options.censor_marks and censored:
            axes.plot(
                [c.times[k] for k in censored],
                [c.values[k] for k in censored],
                linestyle="none",
                marker="|",
                markersize=7,
                color=shade,
                gid=f"censor-{i}",
            )
        if options.medians and c.median is not None and c.median <= x_max:
            axes.plot(
                [0.0, c.median, c.median],
                [0.5, 0.5, 0.0],
                linestyle=":",
                linewidth=1.0,
                color=shade,
                gid=f"median-{i}",
            )


def _risk_table(
    table: Axes, curves: Sequence[Curve], rows: Sequence[str], ticks: Sequence[float]
) -> None:
    """Number at risk per row at each tick: the first released step at or after it."""
    table.set_ylim(len(rows) - 0.5, -0.9)
    table.set_yticks([])
    table.tick_params(axis="x", length=0)
    table.spines[:].set_visible(False)
    table.text(
        0.0,
        -0.75,
        "Number at risk",
        fontsize="small",
        fontweight="bold",
        transform=table.get_yaxis_transform(),
    )
    firsts: dict[int, Curve] = {}
    for c in curves:
        firsts.setdefault(c.row, c)
    for r, name in enumerate(rows):
        curve = firsts[r]
        table.text(
            -0.06,
            r,
            name,
            ha="right",
            va="center",
            fontsize="small",
            color=colour(r),
            transform=table.get_yaxis_transform(),
            gid=f"at-risk-row-{r}",
        )
        times = np.asarray(curve.times)
        for k, tick in enumerate(ticks):
            i = int(np.searchsorted(times, tick, side="left"))
            shown = str(curve.at_risk[i]) if i < times.size else ""
            table.text(
                tick, r, shown, ha="center", va="center", fontsize="small", gid=f"at-risk-{r}-{k}"
            )
