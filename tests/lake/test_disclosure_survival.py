"""Disclosure of time-to-event results: Kaplan-Meier (with its step function), incidence, Cox.

Each result is computed by the lake from a seeded frame and then disclosed, as the query
boundary does; the oracle is the survival engine on the same rows.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.cohort.covariates import ModelTerms, Numeric
from lake.cohort.endpoints import EndpointKey
from lake.cohort.incidence import IncidenceRequest, incidence_summary
from lake.cohort.models import CoxRequest, cox_summary
from lake.cohort.survival import Grouping, SurvivalRequest, survival_summary
from lake.disclosure import (
    DisclosurePolicy,
    disclose_incidence,
    disclose_model,
    disclose_survival,
)
from lake.errors import AnalysisError, EmptyCohortError
from lake.survival import KaplanMeierFitter

pytestmark = pytest.mark.filterwarnings("ignore::lake.survival.SurvivalWarning")
K = 5
POLICY = DisclosurePolicy(min_cell_size=K)
OS = SurvivalRequest(
    endpoint=EndpointKey("OS", "diagnosis"),
    grouping=Grouping(attribute="x"),
    times=(100.0, 400.0, 2000.0),
    time_unit="days",
    conf_type="log",
)
NRM = IncidenceRequest(
    endpoint=EndpointKey("NRM", "allo_transplant"),
    grouping=Grouping(attribute="x"),
    times=(100.0, 400.0, 2000.0),
    time_unit="days",
)


def cohort(
    sizes: list[int], excluded: int, *, seed: int, causes: int = 1, event_rate: float = 0.6
) -> pl.DataFrame:
    """Groups ``g0, g1, ...`` of the given sizes plus ``excluded`` rows without the endpoint."""
    rng = np.random.default_rng(seed)
    n = sum(sizes)
    event = rng.random(n) < event_rate
    status = np.where(event, rng.integers(1, causes + 1, n), 0)
    return pl.DataFrame(
        {
            "time_days": np.concatenate([rng.integers(1, 1500, n), np.full(excluded, -1)]),
            "status": np.concatenate([status, np.zeros(excluded, dtype=np.int64)]),
            "group": [f"g{i}" for i, s in enumerate(sizes) for _ in range(s)] + [None] * excluded,
        }
    ).with_columns(
        time_days=pl.when(pl.col("time_days") >= 0).then(pl.col("time_days").cast(pl.Float64))
    )


def assert_no_lone_withheld_cell(true: list[int], released: list[int | None]) -> None:
    """Released cells are exact; no withheld cell equals the total minus the released ones."""
    withheld = [t for t, r in zip(true, released, strict=True) if r is None]
    assert all(r is None or r == t for t, r in zip(true, released, strict=True))
    assert all(r is None or r == 0 or r >= K for r in released)
    # with the total released (cohort size >= k), a lone withheld positive cell would be
    # total - sum(released)
    assert sum(true) < K or len([t for t in withheld if t > 0]) != 1


sizes_strategy = st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=4)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(sizes=sizes_strategy, excluded=st.integers(min_value=0, max_value=12))
def test_survival_group_sizes_cannot_be_recovered_from_the_cohort_size(
    sizes: list[int], excluded: int
) -> None:
    released = disclose_survival(
        survival_summary(cohort(sizes, excluded, seed=sum(sizes)), OS), POLICY
    )
    assert_no_lone_withheld_cell(
        [*sizes, excluded], [*(g.n for g in released.groups), released.n_excluded]
    )
    for group in released.groups:
        if group.n is None:  # a group whose size is withheld shows nothing its curve would give
            assert (group.events, group.median, group.at_times, group.steps) == (
                None,
                None,
                (),
                (),
            )


@settings(max_examples=60, derandomize=True, deadline=None)
@given(sizes=sizes_strategy, excluded=st.integers(min_value=0, max_value=12))
def test_incidence_group_sizes_cannot_be_recovered_from_the_cohort_size(
    sizes: list[int], excluded: int
) -> None:
    frame = cohort(sizes, excluded, seed=sum(sizes), causes=2)
    released = disclose_incidence(incidence_summary(frame, NRM), POLICY)
    assert_no_lone_withheld_cell(
        [*sizes, excluded], [*(g.n for g in released.groups), released.n_excluded]
    )
    assert all(g.causes == () for g in released.groups if g.n is None)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    sizes=sizes_strategy,
    rate=st.floats(min_value=0.0, max_value=1.0),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_survival_group_events_and_non_events_cannot_be_recovered_from_its_size(
    sizes: list[int], rate: float, seed: int
) -> None:
    frame = cohort(sizes, 0, seed=seed, event_rate=rate)
    exact = survival_summary(frame, OS)
    released = disclose_survival(exact, POLICY)
    for group, truth in zip(released.groups, exact.groups, strict=True):
        assert truth.n is not None
        assert truth.events is not None
        if group.n is None:
            continue
        # the patients without the event are shown as n - events, whenever events are shown
        shown = None if group.events is None else group.n - group.events
        assert_no_lone_withheld_cell([truth.events, truth.n - truth.events], [group.events, shown])
        if group.events is None:  # a curve would give the events back (its drops)
            assert group.steps == ()
            assert all(p.survival is None for p in group.at_times)
            assert group.median is not None
            assert (group.median.estimate, group.median.lower, group.median.upper) == (
                None,
                None,
                None,
            )


def test_few_survivors_withhold_the_events_and_the_curve() -> None:
    # 3 of 40 without the event: 37 events would give them back as 40 - 37
    frame = pl.DataFrame(
        {"time_days": np.arange(1.0, 41.0), "status": np.r_[np.ones(37), np.zeros(3)].astype(int)}
    )
    request = SurvivalRequest(OS.endpoint, Grouping(), (10.0,), "days", "log")
    (group,) = disclose_survival(survival_summary(frame, request), POLICY).groups
    assert (group.n, group.events, group.steps) == (40, None, ())
    assert group.at_times[0].survival is None
    assert group.at_times[0].n_at_risk == 31  # counts keep rule 1


def test_small_group_and_small_excluded_count_are_withheld() -> None:
    # 3 patients lack the endpoint: withheld, and the smallest group (6) goes with them,
    # or 3 = cohort size - 40 - 20 - 6 would give it back
    released = disclose_survival(survival_summary(cohort([40, 20, 6], 3, seed=1), OS), POLICY)
    assert [g.n for g in released.groups] == [40, 20, None]
    assert released.n_excluded is None
    assert released.groups[0].steps != ()
    assert released.logrank is not None
    assert released.logrank.observed == ()


def test_survival_estimates_are_withheld_with_few_events() -> None:
    frame = cohort([30], 0, seed=2, event_rate=0.1)
    exact = survival_summary(frame, OS).groups[0]
    assert exact.events is not None
    assert 0 < exact.events < K
    (group,) = disclose_survival(survival_summary(frame, OS), POLICY).groups
    assert (group.n, group.events, group.steps) == (30, None, ())
    assert group.median is not None
    assert (group.median.estimate, group.median.upper) == (None, None)
    assert all(p.survival is None for p in group.at_times)
    # day 100: 30 at risk; the reason does not tell which of events / non-events is small
    assert (
        group.at_times[0].reason
        == "withheld: fewer than 5 events or fewer than 5 patients without one"
    )
    assert [p.n_at_risk for p in group.at_times] == [
        POLICY.count(p.n_at_risk) for p in exact.at_times
    ]


@settings(max_examples=80, derandomize=True, deadline=None)
@given(
    n=st.integers(min_value=K, max_value=80),
    seed=st.integers(min_value=0, max_value=10_000),
    rate=st.floats(min_value=0.0, max_value=1.0),
    k=st.integers(min_value=1, max_value=12),
)
def test_released_steps_are_the_km_curve_cut_where_the_risk_set_is_small(
    n: int, seed: int, rate: float, k: int
) -> None:
    policy = DisclosurePolicy(min_cell_size=k)
    frame = cohort([n], 0, seed=seed, event_rate=rate)
    released = disclose_survival(survival_summary(frame, OS), policy).groups[0]
    if released.events is None:
        assert released.steps == ()
        return
    km = KaplanMeierFitter().fit(frame["time_days"].to_numpy(), frame["status"].to_numpy())
    curve = km.step_function()
    steps = released.steps
    # every released step rests on at least k at risk ...
    assert all(s.n_at_risk >= k for s in steps)
    # ... and equals the engine's step function row for row
    head = curve.head(len(steps))
    assert [s.time for s in steps] == head["time"].to_list()
    assert [s.survival for s in steps] == head["survival"].to_list()
    assert [(s.lower, s.upper) for s in steps] == list(
        zip(head["lower"], head["upper"], strict=True)
    )
    assert [s.n_at_risk for s in steps] == head["n_risk"].cast(int).to_list()
    assert [s.events for s in steps] == head["n_event"].cast(int).to_list()
    assert [s.censored for s in steps] == head["n_censor"].cast(int).to_list()
    # the patients beyond the cut, by subtraction from the released n, events and n - events:
    # their events, those without the event and their number are each 0 or at least k
    hidden_events = released.events - sum(s.events for s in steps)
    hidden_censored = n - released.events - sum(s.censored for s in steps)
    beyond = int(curve["n_risk"][len(steps)]) if len(steps) < curve.height else 0
    assert hidden_events + hidden_censored == beyond
    assert all(policy.releases(c) for c in (hidden_events, hidden_censored, beyond))
    # nothing is released beyond the end of the released curve but the 0 it has reached
    end = steps[-1].time if steps else -np.inf
    at_zero = len(steps) == curve.height and steps[-1].survival == 0
    assert all(p.survival == (0.0 if at_zero else None) for p in released.at_times if p.time > end)
    for q in (released.median, released.median_follow_up):
        assert q is not None
        assert all(t is None or t <= end for t in (q.estimate, q.lower, q.upper))


def test_a_short_tail_with_events_moves_the_cut_back() -> None:
    # 12 patients, one at each of days 1..12, all dead: the risk set falls below 5 at day 9,
    # and the 4 deaths after day 8 would be 12 - 8; the cut moves back to leave 5 out
    frame = pl.DataFrame({"time_days": np.arange(1.0, 13.0), "status": np.ones(12, dtype=np.int64)})
    request = SurvivalRequest(
        endpoint=OS.endpoint,
        grouping=Grouping(),
        times=(7.0, 8.0),
        time_unit="days",
        conf_type="log",
    )
    (group,) = disclose_survival(survival_summary(frame, request), POLICY).groups
    assert [s.time for s in group.steps] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    assert group.steps[-1].censored == 0  # 5 beyond the cut, all dead: releasable
    assert [p.survival for p in group.at_times] == [pytest.approx(5 / 12), None]
    # S = 0.5 exactly from day 6 to day 7: R's midpoint median 6.5 lies on the released curve
    assert group.median is not None
    assert group.median.estimate == 6.5


def test_a_released_curve_that_reaches_zero_is_zero_past_its_end() -> None:
    # one death a day on days 1-5 (10 to 6 at risk), then the last 5 die together on day 8:
    # every step is released and S = 0 on the last, so S past it is 0 for everyone to see
    frame = pl.DataFrame(
        {"time_days": [1.0, 2, 3, 4, 5, *[8.0] * 5], "status": np.ones(10, dtype=np.int64)}
    )
    request = SurvivalRequest(OS.endpoint, Grouping(), (20.0, 3.0), "days", "log")
    (group,) = disclose_survival(survival_summary(frame, request), POLICY).groups
    assert [s.survival for s in group.steps][-1] == 0.0
    past, inside = group.at_times
    assert (past.time, past.survival, past.n_at_risk, past.reason) == (20.0, 0.0, 0, None)
    assert inside.survival == pytest.approx(0.7)
    # a curve reaching 0 on fewer than k at risk ends earlier: nothing past its end either
    frame = pl.DataFrame({"time_days": np.arange(1.0, 13.0), "status": np.ones(12, dtype=np.int64)})
    (group,) = disclose_survival(survival_summary(frame, request), POLICY).groups
    assert group.steps[-1].survival > 0
    assert group.at_times[0].survival is None
    assert group.at_times[0].reason == "withheld: fewer than 5 at risk"


def test_incidence_past_the_end_of_a_whole_released_curve_is_final() -> None:
    # 20 patients: cause 1 on days 1-5, cause 2 on days 6-10, then 5 of each on day 20, when
    # all 10 left at risk have an event: F is final from day 20 on, and the whole table is
    # released (at least 5 at risk everywhere, nothing cut off)
    frame = pl.DataFrame(
        {
            "time_days": [*range(1, 11), *[20] * 10],
            "status": [*[1] * 5, *[2] * 5, *[1] * 5, *[2] * 5],
        }
    )
    request = IncidenceRequest(NRM.endpoint, Grouping(), (25.0, 20.0), "days")
    exact = incidence_summary(frame, request)
    (group,) = disclose_incidence(exact, POLICY).groups
    for cause, truth in zip(group.causes, exact.groups[0].causes, strict=True):
        past, at_end = cause.at_times
        assert cause.events == 10
        assert at_end.estimate == pytest.approx(0.5)
        assert (past.estimate, past.lower, past.upper) == (
            at_end.estimate,
            at_end.lower,
            at_end.upper,
        )
        assert (past.n_at_risk, past.reason) == (0, None)
        assert past == truth.at_times[0]


def test_incidence_estimates_need_their_events_and_a_risk_set() -> None:
    frame = cohort([60], 2, seed=3, causes=2, event_rate=0.55)
    exact = incidence_summary(frame, NRM)
    released = disclose_incidence(exact, POLICY)
    assert released.n_excluded is None  # 2 < 5, and the group (58) goes with it
    assert released.groups[0].n is None
    assert released.groups[0].causes == ()
    frame = cohort([60], 0, seed=3, causes=2, event_rate=0.55)
    exact = incidence_summary(frame, NRM)
    (group,) = disclose_incidence(exact, POLICY).groups
    for cause, truth in zip(group.causes, exact.groups[0].causes, strict=True):
        assert cause.events == truth.events
        assert cause.events is not None
        assert cause.events >= K
        for point, true_point in zip(cause.at_times, truth.at_times, strict=True):
            small = true_point.n_at_risk is not None and true_point.n_at_risk < K
            assert (point.estimate is None) == small
            assert point.estimate is None or point.estimate == true_point.estimate
    # day 2000 is beyond every time: nobody at risk, the plateau is not released
    assert all(c.at_times[-1].estimate is None for c in group.causes)


@settings(max_examples=40, derandomize=True, deadline=None)
@given(
    n=st.integers(min_value=K, max_value=80),
    seed=st.integers(min_value=0, max_value=10_000),
    rate=st.floats(min_value=0.0, max_value=1.0),
)
def test_incidence_at_every_observed_time_gives_back_no_small_tail(
    n: int, seed: int, rate: float
) -> None:
    # an attacker asking for F(t) at every observed time: where the released values stop, the
    # patients and events after that time must not form a small cell
    frame = cohort([n], 0, seed=seed, causes=2, event_rate=rate)
    times = tuple(sorted(set(frame["time_days"].to_list())))
    request = IncidenceRequest(NRM.endpoint, NRM.grouping, times, "days")
    (group,) = disclose_incidence(incidence_summary(frame, request), POLICY).groups
    assert group.risk_table == ()
    for cause, code in zip(group.causes, (1, 2), strict=True):
        shown = [p.time for p in cause.at_times if p.estimate is not None]
        if cause.events is None or not shown:
            continue
        last = max(shown)
        after = frame.filter(pl.col("time_days") > last)
        assert after.height == 0 or frame.filter(pl.col("time_days") >= last).height >= K
        for other in (1, 2):
            tail_events = int((after["status"] == other).sum())
            if group.causes[other - 1].events is not None:
                assert POLICY.releases(tail_events), (code, other, tail_events)
        # and the censorings beyond it (the group's censored count is a released cell here
        # whenever every cause's events are)
        if all(c.events is not None for c in group.causes):
            assert POLICY.releases(int((after["status"] == 0).sum()))


def test_incidence_of_a_rare_cause_is_withheld() -> None:
    frame = cohort([40], 0, seed=4, causes=1, event_rate=0.1)
    exact = incidence_summary(frame, NRM)
    (event, competing) = disclose_incidence(exact, POLICY).groups[0].causes
    assert exact.groups[0].causes[0].events in range(1, K)
    assert event.events is None
    assert all(p.estimate is None for p in event.at_times)
    assert event.at_times[0].reason == "withheld: fewer than 5 events"  # day 100: 38 at risk
    assert competing.events == 0  # an empty cell is released


def cox_frame(seed: int, n: int, missing: int, no_endpoint: int, event_rate: float) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    total = n + missing + no_endpoint
    return pl.DataFrame(
        {
            "time_days": np.concatenate(
                [rng.integers(1, 1500, n + missing).astype(float), np.full(no_endpoint, np.nan)]
            ),
            "status": (rng.random(total) < event_rate).astype(np.int64),
            "age": np.concatenate([rng.normal(60, 10, n), np.full(missing + no_endpoint, np.nan)]),
        }
    ).with_columns(pl.col("time_days", "age").fill_nan(None))


COX = CoxRequest(endpoint=OS.endpoint, terms=ModelTerms((Numeric("age"),)))


@settings(max_examples=30, derandomize=True, deadline=None)
@given(
    missing=st.integers(min_value=0, max_value=12),
    no_endpoint=st.integers(min_value=0, max_value=12),
)
def test_cox_counts_cannot_be_recovered_from_the_cohort_size(
    missing: int, no_endpoint: int
) -> None:
    model = disclose_model(cox_summary(cox_frame(5, 40, missing, no_endpoint, 0.5), COX), POLICY)
    assert_no_lone_withheld_cell(
        [40, missing, no_endpoint], [model.n, model.n_dropped, model.n_excluded]
    )


@settings(max_examples=40, derandomize=True, deadline=None)
@given(
    n=st.integers(min_value=K, max_value=60),
    rate=st.floats(min_value=0.0, max_value=1.0),
    missing=st.integers(min_value=0, max_value=8),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_cox_events_and_non_events_cannot_be_recovered_from_n(
    n: int, rate: float, missing: int, seed: int
) -> None:
    frame = cox_frame(seed, n, missing, 0, rate)
    try:
        exact = cox_summary(frame, COX)
    except AnalysisError:  # no event at all: the lake refuses to fit
        return
    assert exact.n_events is not None
    if exact.n_events < K:
        with pytest.raises(EmptyCohortError, match="fewer than 5 events"):
            disclose_model(exact, POLICY)
        return
    model = disclose_model(exact, POLICY)
    assert_no_lone_withheld_cell([n, missing], [model.n, model.n_dropped])
    # events and patients without the event add up to n; the latter are shown as n - events
    # (with n withheld, neither cell is a subtraction from a released total)
    if model.n is not None:
        shown = None if model.n_events is None else model.n - model.n_events
        assert_no_lone_withheld_cell([exact.n_events, n - exact.n_events], [model.n_events, shown])


def test_cox_model_on_few_events_is_refused() -> None:
    frame = cox_frame(6, 40, 0, 0, 0.0).with_columns(
        status=(pl.int_range(pl.len()) == 0).cast(pl.Int64)
    )
    exact = cox_summary(frame, COX)
    assert exact.n_events == 1
    # why: l(0) = (2 df - AIC - LR) / 2 = -log R(t1), the one event's risk set
    t1 = frame.item(0, "time_days")
    at_risk = frame.filter(pl.col("time_days") >= t1).height
    lr = exact.likelihood_ratio
    assert lr.statistic is not None
    null_loglik = (2 * lr.df - exact.aic - lr.statistic) / 2
    assert null_loglik == pytest.approx(-math.log(at_risk), rel=1e-9)
    with pytest.raises(EmptyCohortError, match="fewer than 5 events"):
        disclose_model(exact, POLICY)
    assert disclose_model(exact, DisclosurePolicy(min_cell_size=1)) == exact


def test_cox_few_patients_without_the_event_withhold_the_events() -> None:
    # 38 events among 40: the 2 without the event would come back as 40 - 38
    frame = cox_frame(7, 40, 0, 0, 0.0).with_columns(
        status=(pl.int_range(pl.len()) >= 2).cast(pl.Int64)
    )
    exact = cox_summary(frame, COX)
    assert (exact.n, exact.n_events) == (40, 38)
    model = disclose_model(exact, POLICY)
    assert (model.n, model.n_events, model.n_dropped, model.n_excluded) == (40, None, 0, 0)


def test_incidence_events_and_censored_are_cells_of_the_group() -> None:
    # nearly everyone has an event: the few censored patients would be n - e1 - e2
    frame = cohort([40], 0, seed=5, causes=2, event_rate=0.95)
    exact = incidence_summary(frame, NRM)
    (truth,) = exact.groups
    censored = truth.n - sum(c.events for c in truth.causes)
    assert censored in range(1, K)
    (group,) = disclose_incidence(exact, POLICY).groups
    assert group.n == 40
    released = [c.events for c in group.causes]
    assert None in released  # the censored cell is withheld, and a cause's count with it
    shown = sum(e for e in released if e is not None)
    assert all(
        c.events is None or c.events == t.events
        for c, t in zip(group.causes, truth.causes, strict=True)
    )
    assert 40 - shown >= K  # what the released counts leave is no small cell
