"""The figures of lake/plots, read back: SVG parsed (curves, bands, censor marks, median lines,
the number-at-risk table), PNG decoded (size, not blank), bytes reproducible.

The oracle of what is drawn is the released answer itself: one curve per group whose released
step function is not empty, and each at-risk cell the number at risk of the first released step
at or after its tick (blank past the curve's end), recomputed here from the steps.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lake.cohort.covariates import ModelTerms, Numeric
from lake.cohort.incidence import incidence_summary
from lake.cohort.models import CoxRequest, cox_summary
from lake.cohort.survival import SurvivalSummary, survival_summary
from lake.disclosure import disclose_incidence, disclose_survival
from lake.errors import AnalysisError
from lake.plots import FigureOptions, figure, forest_figure, incidence_figure, km_figure
from lake.plots.options import DEFAULT_OPTIONS
from lake.plots.params import from_params, to_params
from tests.lake.test_disclosure_survival import NRM, OS, POLICY, cohort, cox_frame
from tests.plots.images import at_risk_rows, colours, decoded, ids, keep, texts

pytestmark = pytest.mark.filterwarnings("ignore::lake.survival.SurvivalWarning")


def released_os(sizes: list[int], *, excluded: int = 0, seed: int = 1) -> SurvivalSummary:
    """A disclosed Kaplan-Meier summary of groups g0, g1, ... in months (``excluded`` patients
    without the endpoint)."""
    frame = cohort(sizes, excluded, seed=seed)
    return disclose_survival(survival_summary(frame, replace(OS, time_unit="months")), POLICY)


def expected_cells(steps: list[tuple[float, int]], ticks: list[float]) -> list[str]:
    """At risk at each tick: the first released step at or after it; none past the curve's end
    (a blank cell is not written to the SVG)."""
    times = np.array([t for t, _ in steps])
    out = []
    for tick in ticks:
        i = int(np.searchsorted(times, tick, side="left"))
        if i < len(steps):
            out.append(str(steps[i][1]))
    return out


def tick_values(svg: bytes) -> list[float]:
    """The labelled time-axis ticks (the risk table's axis; the curves' axis hides its labels)."""
    labels = [texts(svg, i) for i in ids(svg, r"xtick_\d+")]
    return [float(x.replace("−", "-")) for x in labels if x]


def test_km_svg_draws_one_curve_per_released_group_and_its_at_risk_row() -> None:
    summary = released_os([60, 80, 40, 3], excluded=4)  # g3 (3 patients) is withheld
    drawn = [g for g in summary.groups if g.steps]
    assert len(drawn) == 3
    svg = km_figure(summary, FigureOptions(medians=True))
    keep("km.svg", svg)
    assert len(ids(svg, r"curve-\d+")) == len(drawn)
    assert len(ids(svg, r"band-\d+")) == len(drawn)
    assert len(ids(svg, r"censor-\d+")) == sum(any(s.censored for s in g.steps) for g in drawn)
    medians = [g for g in drawn if g.median is not None and g.median.estimate is not None]
    assert len(ids(svg, r"median-\d+")) == len(medians)
    rows = at_risk_rows(svg)
    assert [texts(svg, f"at-risk-row-{r}") for r in range(len(rows))] == ["g0", "g1", "g2"]
    ticks = tick_values(svg)
    for row, group in zip(rows, drawn, strict=True):
        assert row == expected_cells([(s.time, s.n_at_risk) for s in group.steps], ticks)
        assert row[0] == str(group.n)
    legend = texts(svg, "legend")
    assert summary.logrank is not None
    assert "log-rank p" in legend
    assert all(f"g{i} (n = {g.n})" in legend for i, g in enumerate(drawn))
    assert "Not drawn (no released curve): g3" in svg.decode()


def test_km_options_leave_out_what_is_not_asked() -> None:
    summary = released_os([60, 80])
    assert all(g.steps for g in summary.groups)
    svg = km_figure(
        summary, FigureOptions(bands=False, censor_marks=False, risk_table=False, medians=False)
    )
    assert len(ids(svg, r"curve-\d+")) == 2
    assert ids(svg, r"band-\d+|censor-\d+|median-\d+|at-risk-.*") == []


def test_the_same_inputs_give_the_same_bytes_and_other_inputs_others() -> None:
    summary = released_os([60, 80])
    for fmt in ("svg", "png"):
        options = FigureOptions(format=fmt, medians=True)
        first = km_figure(summary, options)
        assert km_figure(summary, options) == first
        assert km_figure(released_os([60, 80], seed=2), options) != first


def test_km_png_decodes_at_the_asked_size_and_is_not_blank() -> None:
    png = km_figure(released_os([60, 80]), FigureOptions(format="png", width=6, height=4, dpi=100))
    keep("km.png", png)
    image = decoded(png)
    assert image.size == (600, 400)
    seen = colours(image)
    assert len(seen) > 20
    assert (0, 114, 178) in seen  # the first two palette colours
    assert (213, 94, 0) in seen


def test_incidence_figure_draws_each_asked_cause_per_group() -> None:
    frame = cohort([60, 80], 0, seed=2, causes=2)
    summary = disclose_incidence(incidence_summary(frame, replace(NRM, time_unit="months")), POLICY)
    assert all(c.steps for g in summary.groups for c in g.causes)
    both = incidence_figure(summary, FigureOptions(causes=("event", "competing")))
    keep("incidence.svg", both)
    assert len(ids(both, r"curve-\d+")) == 4
    assert len(at_risk_rows(both)) == 2
    assert "Gray p" in texts(both, "legend")
    event = incidence_figure(summary)
    assert len(ids(event, r"curve-\d+")) == 2
    first = summary.groups[0].causes[0]
    ticks = tick_values(event)
    assert at_risk_rows(event)[0] == expected_cells(
        [(s.time, s.n_at_risk) for s in first.steps], ticks
    )


def test_forest_figure_has_one_row_per_coefficient() -> None:
    frame = cox_frame(3, 120, 0, 0, 0.6).with_columns(b=pl.col("age") ** 2)
    request = CoxRequest(
        endpoint=OS.endpoint, terms=ModelTerms((Numeric("age"), Numeric("b", transform="log")))
    )
    summary = cox_summary(frame, request, min_cell=5)
    svg = forest_figure(summary)
    keep("forest.svg", svg)
    assert len(ids(svg, r"hr-\d+")) == len(summary.coefficients) == 2
    png = figure(summary, FigureOptions(format="png"))
    assert len(colours(decoded(png))) > 5


def test_a_value_without_a_figure_is_refused() -> None:
    with pytest.raises(AnalysisError, match="has no figure"):
        figure(POLICY)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"width": 40.0}, "each side"),
        ({"dpi": 10}, "dpi"),
        ({"width": 16.0, "height": 16.0, "dpi": 300}, "pixels"),
        ({"max_time": -1.0}, "positive"),
        ({"causes": ("relapse",)}, "event and/or competing"),
    ],
)
def test_options_out_of_bounds_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        replace(DEFAULT_OPTIONS, **change)  # type: ignore[arg-type]


options_strategy = st.builds(
    FigureOptions,
    format=st.sampled_from(["svg", "png"]),
    width=st.floats(2.0, 8.0),
    height=st.floats(2.0, 8.0),
    dpi=st.integers(50, 100),
    title=st.none() | st.text(max_size=20),
    medians=st.booleans(),
    bands=st.booleans(),
    censor_marks=st.booleans(),
    risk_table=st.booleans(),
    max_time=st.none() | st.floats(0.1, 1e4),
    causes=st.sampled_from([("event",), ("competing",), ("event", "competing")]),
)


@given(options_strategy)
def test_options_survive_the_url(options: FigureOptions) -> None:
    assert from_params(to_params(options), format=options.format) == options


def test_a_parameter_that_does_not_parse_is_named() -> None:
    with pytest.raises(AnalysisError, match="medians='yes'"):
        from_params({"medians": "yes"}, format="svg")


def test_figures_drawn_in_threads_at_once_are_the_figures_drawn_alone() -> None:
    summary = released_os([60, 80])
    options = [FigureOptions(format=f, medians=m) for f in ("svg", "png") for m in (False, True)]
    alone = [km_figure(summary, o) for o in options]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda o: km_figure(summary, o), options * 2))
    assert together == alone * 2
