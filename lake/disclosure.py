"""Statistical disclosure control: minimum cell size suppression of aggregate counts.

Every aggregate that leaves ``lake/`` passes through this module (called by
:mod:`lake.query.gateway`,
never by the computations themselves), so the rule lives in one place and the computations stay
exact.

Rules
-----
With a minimum cell size ``k`` (default 5):

1. *Primary suppression.* A count ``n`` with ``0 < n < k`` is withheld (``None``). Zero is
   released: an empty cell identifies nobody.
2. *Complementary suppression.* In a set of cells that add up to a released total (a breakdown,
   a histogram), a single withheld cell could be recovered as ``total - sum(others)``. When
   exactly one cell is withheld, the smallest other positive cell is withheld too.
3. *Small populations.* When the population itself (a cohort, a group) has fewer than ``k``
   members, every count derived from it is withheld, the total included.
4. *Estimates rest on released counts.* A survival or incidence estimate is released only when
   its group's size and its event count are (its drops would give them back) and at least ``k``
   patients are at risk at its time. Group sizes plus the patients without the endpoint are
   cells of the cohort (rule 2), so a withheld group size cannot be had by subtraction. A
   Kaplan-Meier group's events and its patients without the event are cells of its size
   (rule 2, :func:`event_cells`): 3 survivors among 40 withhold the 37 events, and with them
   the curve, its quantiles and its estimates.
5. *Curves.* A Kaplan-Meier step function ends before its risk set falls below ``k``, and
   earlier while the patients it leaves out would have 1 to ``k - 1`` events, or 1 to
   ``k - 1`` without the event, recoverable by subtraction (they are cells of the released
   ``n`` and events, as in rule 4); nothing (time point, quantile) is released beyond its end
   (:func:`released_steps`), unless the whole curve is released: a time past it then answers
   what the curve's end gives away (S = 0 once it has reached 0, a final F once everyone has
   had an event; else not estimable) with nobody at risk. A cumulative incidence curve ends
   by the same rule over its group's risk table (never released itself), so fine-grained
   time points cannot rebuild it.
   Times are released in the requested unit, uncoarsened, so released steps equal the exact
   estimate; every released event time is one among at least ``k`` patients at risk.
6. *Models.* A Cox model or a staging comparison on fewer than ``k`` patients or fewer than
   ``k`` events is refused (:func:`require_model_counts`: with few events the likelihood ratio
   and AIC give back the events' risk sets); its complete cases and dropped patients are cells
   of the cohort, its events and the complete cases without the event cells of ``n`` (rule 2).

Suppressed values are ``None``; the API shows them as ``null`` with ``suppressed: true``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from lake.cohort.exposure_effect import ExposureEffectSummary
from lake.cohort.fine_gray import FineGraySummary
from lake.cohort.incidence import GroupIncidence, IncidencePoint, IncidenceSummary
from lake.cohort.models import CoxSummary, StagingSummary
from lake.cohort.risk import CrossTab, RiskDistribution
from lake.cohort.steps import StepFunction
from lake.cohort.summary import Breakdown, FieldCompleteness, Histogram
from lake.cohort.survival import GroupSurvival, SurvivalSummary, TimePoint
from lake.cohort.survival_options import IntervalCounts, RestrictedMean
from lake.errors import ConfigError, EmptyCohortError
from lake.survival import QuantileEstimate, StatisticalResult

#: a fitted regression model whose counts are n, events, dropped and excluded
Model = TypeVar("Model", CoxSummary, FineGraySummary)

DEFAULT_MIN_CELL_SIZE = 5


@dataclass(frozen=True, slots=True)
class DisclosurePolicy:
    """Minimum cell size rule.

    Parameters
    ----------
    min_cell_size
        Smallest count released; ``1`` disables suppression (for tests and trusted exports).

    Examples
    --------
    >>> policy = DisclosurePolicy(min_cell_size=5)
    >>> policy.count(3), policy.count(0), policy.count(12)
    (None, 0, 12)
    >>> policy.cells([20, 3, 9, 0])
    (20, None, None, 0)
    """

    min_cell_size: int = DEFAULT_MIN_CELL_SIZE

    def __post_init__(self) -> None:
        if self.min_cell_size < 1:
            raise ConfigError(
                f"min_cell_size must be at least 1 (got {self.min_cell_size}); "
                "use 1 to disable suppression"
            )

    def releases(self, n: int) -> bool:
        """Whether the count ``n`` may be shown on its own (rule 1)."""
        return n == 0 or n >= self.min_cell_size

    def count(self, n: int | None) -> int | None:
        """``n`` if it may be released, else ``None`` (rule 1)."""
        if n is None or not self.releases(n):
            return None
        return n

    def population(self, n: int) -> bool:
        """Whether a population of size ``n`` is large enough to release anything (rule 3)."""
        return n >= self.min_cell_size

    def cells(self, counts: Sequence[int]) -> tuple[int | None, ...]:
        """Counts of cells summing to a released total, with rules 1 and 2 applied."""
        released: list[int | None] = [self.count(n) for n in counts]
        withheld = [i for i, n in enumerate(released) if n is None]
        if len(withheld) == 1:
            candidates = [(n, i) for i, n in enumerate(released) if n is not None and n > 0]
            if candidates:
                released[min(candidates)[1]] = None
        return tuple(released)


def disclose_breakdown(value: Breakdown, policy: DisclosurePolicy) -> Breakdown:
    """A breakdown with rules 1-3 applied to its cells and total."""
    released = policy.population(value.total or 0)
    cells = policy.cells([c.n or 0 for c in value.counts])
    return replace(
        value,
        total=value.total if released else None,
        counts=tuple(
            replace(c, n=n if released else None) for c, n in zip(value.counts, cells, strict=True)
        ),
    )


def disclose_histogram(value: Histogram, policy: DisclosurePolicy) -> Histogram:
    """A histogram with rules 1-3 applied to its bins, out-of-range and missing counts, total."""
    released = policy.population(value.total or 0)
    *bins, below, above, missing = policy.cells(
        [*(b.n or 0 for b in value.bins), value.below or 0, value.above or 0, value.missing or 0]
    )
    return replace(
        value,
        total=value.total if released else None,
        bins=tuple(
            replace(b, n=n if released else None) for b, n in zip(value.bins, bins, strict=True)
        ),
        missing=missing if released else None,
        below=below if released else None,
        above=above if released else None,
    )


def disclose_completeness(
    value: tuple[FieldCompleteness, ...], policy: DisclosurePolicy
) -> tuple[FieldCompleteness, ...]:
    """Completeness counts with rules 1-3 applied per attribute."""
    result = []
    for field in value:
        released = policy.population(field.total or 0)
        known, not_tested, missing = policy.cells(
            [field.known or 0, field.not_tested or 0, field.missing or 0]
        )
        result.append(
            replace(
                field,
                total=field.total if released else None,
                known=known if released else None,
                not_tested=not_tested if released else None,
                missing=missing if released else None,
            )
        )
    return tuple(result)


# -- time-to-event results -------------------------------------------------------------------
#
# A summary splits its cohort into groups plus the patients without the endpoint; the cohort's
# size is released on its own, so those counts are cells of a released total (rules 1-3). A group
# whose size is withheld releases nothing but its label: its curve would give the size back (the
# first risk set is n, the first drop is d / n). An estimate rests on its events: a curve whose
# event count is withheld releases no estimate, since its drops would give the count back.


def _at_risk_reason(n_at_risk: int | None, policy: DisclosurePolicy) -> str | None:
    """Why an estimate at a time with ``n_at_risk`` patients at risk is withheld, if it is."""
    if n_at_risk is None or not policy.population(n_at_risk):
        return f"withheld: fewer than {policy.min_cell_size} at risk"
    return None


def _events_reason(policy: DisclosurePolicy) -> str:
    return f"withheld: fewer than {policy.min_cell_size} events"


def _event_cells_reason(policy: DisclosurePolicy) -> str:
    """Why a Kaplan-Meier estimate is withheld with its group's events (either cell is small;
    which one is not told, as a breakdown does not tell a primary from a complementary cell)."""
    k = policy.min_cell_size
    return f"withheld: fewer than {k} events or fewer than {k} patients without one"


def event_cells(n: int, events: int, policy: DisclosurePolicy) -> int | None:
    """The released count of ``events`` among ``n`` patients whose number is released or known.

    The events and the patients without one add up to ``n``, so they are cells of it (rules
    1-2): a small number without the event (3 survivors of 40) withholds the events too, or it
    would come back as ``n`` minus them.

    Examples
    --------
    >>> policy = DisclosurePolicy(min_cell_size=5)
    >>> event_cells(40, 37, policy), event_cells(40, 3, policy), event_cells(40, 40, policy)
    (None, None, 40)
    """
    released, _ = policy.cells([events, n - events])
    return released


def _curve_length(
    n_at_risk: npt.ArrayLike,
    events: npt.ArrayLike,
    totals: Sequence[int],
    policy: DisclosurePolicy,
) -> int:
    """How many leading rows of a curve's risk table may be released (rules 1-2 of curves).

    ``events[i][j]`` counts events of kind ``j`` at row ``i``; ``totals[j]`` is that kind's
    released total. The curve stops before the first row with fewer than ``k`` at risk, and
    earlier still while the events of any kind it would leave out (total minus the released
    rows' events, a subtraction from a released total) number between 1 and ``k - 1``: the
    longest prefix whose left-out counts are each 0 or at least ``k``, found for every prefix
    at once from the running sums (no loop over the rows).
    """
    at_risk = np.asarray(n_at_risk, dtype=np.int64)
    small = np.flatnonzero(at_risk < policy.min_cell_size)
    longest = int(small[0]) if small.size else at_risk.size
    if not len(totals):
        return longest
    counts = np.asarray(events, dtype=np.int64).reshape(at_risk.size, len(totals))[:longest]
    shown = np.vstack([np.zeros((1, len(totals)), dtype=np.int64), np.cumsum(counts, axis=0)])
    hidden = np.asarray(totals, dtype=np.int64) - shown  # left out by each prefix length
    releasable = ((hidden == 0) | (hidden >= policy.min_cell_size)).all(axis=1)
    fits = np.flatnonzero(releasable)
    return int(fits[-1]) if fits.size else 0


def released_steps(steps: StepFunction, events: int, policy: DisclosurePolicy) -> StepFunction:
    """The released prefix of a Kaplan-Meier step function with ``events`` events.

    Rules (with minimum cell size ``k``; the group's ``n`` and ``events``, hence its
    ``n - events`` patients without the event, are released):

    1. Every released step has at least ``k`` patients at risk; the curve is cut before the
       first step with fewer (risk sets only shrink, so nothing after it would qualify).
    2. The patients beyond the cut are withheld cells of the released counts: the events among
       them (``events`` - released step events) and those without the event
       (``n - events`` - released censorings) must each be 0 or at least ``k``, else the cut
       moves to an earlier step. Their number, the sum of the two, is then 0 or at least ``k``
       too, so every released step's censored count can be shown.
    3. Nothing is released beyond the last released step's time: no requested time point, no
       quantile (a median on the hidden part, or a midpoint reaching into it, would be an
       individual's time).

    Within the released curve, per-step events and censorings are released as they are: they
    follow from S and the risk set (d = n (1 - S_i / S_{i-1})), and each rests on a risk set of
    at least ``k``.
    """
    counts = steps.frame.select("events", "censored").to_numpy()
    length = _curve_length(
        steps.frame.get_column("n_at_risk").to_numpy(),
        counts,
        [events, int(counts[:, 1].sum())],
        policy,
    )
    return steps[:length]


def _quantile(q: QuantileEstimate | None, end: float) -> QuantileEstimate | None:
    """A quantile with every time beyond the released curve's end withheld (rule 3)."""
    return None if q is None else _on_curve(q, end)


def _on_curve(q: QuantileEstimate, end: float) -> QuantileEstimate:
    def shown(t: float | None) -> float | None:
        return t if t is not None and t <= end else None

    return replace(q, estimate=shown(q.estimate), lower=shown(q.lower), upper=shown(q.upper))


def _survival_point(
    point: TimePoint, end: float, reason: str, policy: DisclosurePolicy, *, whole: bool
) -> TimePoint:
    """A requested time point: counts by rule 1, estimates only on the released curve.

    Past the end of a ``whole`` released curve the engine's answer stands (S = 0 after a curve
    that reached 0, else not estimable): it follows from the released last step.
    """
    past_whole = whole and point.time > end
    withheld = None if past_whole else _at_risk_reason(point.n_at_risk, policy)
    withheld = withheld or (reason if point.time > end and not past_whole else None)
    if point.survival is None or withheld is None:
        return replace(point, n_at_risk=policy.count(point.n_at_risk))
    return replace(
        point,
        survival=None,
        lower=None,
        upper=None,
        n_at_risk=policy.count(point.n_at_risk),
        reason=withheld,
        std_err=None,
        cumulative_hazard=None,
        cumulative_hazard_se=None,
    )


def _restricted_mean(rmst: RestrictedMean | None, end: float, reason: str) -> RestrictedMean | None:
    """The restricted mean only up to a ``tau`` on the released curve (it is a sum over its
    steps, and its se over their risk sets); beyond it, withheld as a median is."""
    if rmst is None or rmst.tau <= end:
        return rmst
    return RestrictedMean(rmst.tau, None, None, reason)


def _interval(counts: IntervalCounts, end: float, reason: str) -> IntervalCounts:
    """Counts of an interval ending on the released curve: sums of its released steps' events
    and censorings, and its risk set at least that of the curve's last step (rule 5); an
    interval reaching beyond the curve is withheld whole (its counts are cells of the hidden
    tail)."""
    if counts.end <= end:
        return counts
    return IntervalCounts(counts.start, counts.end, None, None, None, reason)


def _disclose_group(group: GroupSurvival, n: int | None, policy: DisclosurePolicy) -> GroupSurvival:
    if n is None or not policy.population(n):
        small = f"withheld: fewer than {policy.min_cell_size} patients"
        return replace(
            group,
            n=None,
            events=None,
            median=None,
            median_follow_up=None,
            at_times=(),
            steps=group.steps[:0],
            quartiles=None if group.quartiles is None else (),
            restricted_mean=_restricted_mean(group.restricted_mean, -math.inf, small),
            intervals=None if group.intervals is None else (),
        )
    events = event_cells(n, group.events or 0, policy)
    steps = group.steps[:0] if events is None else released_steps(group.steps, events, policy)
    end = steps[-1].time if steps else -math.inf
    reason = (
        _event_cells_reason(policy)
        if events is None
        else "withheld: beyond the end of the released curve"
    )
    return replace(
        group,
        events=events,
        median=_quantile(group.median, end),
        median_follow_up=_quantile(group.median_follow_up, end),
        at_times=tuple(
            _survival_point(p, end, reason, policy, whole=len(steps) == len(group.steps))
            for p in group.at_times
        ),
        steps=steps,
        quartiles=None
        if group.quartiles is None
        else tuple(_on_curve(q, end) for q in group.quartiles),
        restricted_mean=_restricted_mean(group.restricted_mean, end, reason),
        intervals=None
        if group.intervals is None
        else tuple(_interval(c, end, reason) for c in group.intervals),
    )


def _without_group_counts(test: StatisticalResult | None) -> StatisticalResult | None:
    """A test without its per-group observed / expected counts (they are the group's events)."""
    return None if test is None else replace(test, observed=(), expected=())


def disclose_survival(value: SurvivalSummary, policy: DisclosurePolicy) -> SurvivalSummary:
    """Kaplan-Meier summary with the group sizes, events, risk sets and curves disclosed.

    Group sizes and the excluded count are cells of the cohort (rules 1-3), each group's events
    and patients without the event cells of its size (:func:`event_cells`); each group then by
    :func:`released_steps` (requested times and quantiles end where the released step function
    ends), with no estimate for a group whose events are withheld. The options follow the same
    rules: quartiles as the median, the cumulative hazard (and the se of S) as S at its time,
    the restricted mean only for a tau on the released curve, and counts per interval only for
    an interval ending on it (they are then sums of released steps; an interval reaching into
    the hidden tail is withheld whole). The log-rank and weighted test statistics and p-values
    are released (they identify nobody); their per-group observed / expected counts are
    dropped when any group's size or events are withheld.
    """
    *sizes, excluded = policy.cells([*(g.n or 0 for g in value.groups), value.n_excluded or 0])
    groups = tuple(_disclose_group(g, n, policy) for g, n in zip(value.groups, sizes, strict=True))
    logrank, trend, weighted = value.logrank, value.trend, value.weighted
    if any(g.n is None or g.events is None for g in groups):
        logrank, trend = _without_group_counts(logrank), _without_group_counts(trend)
        weighted = _without_group_counts(weighted)
    return replace(
        value,
        n_excluded=excluded,
        groups=groups,
        logrank=logrank,
        trend=trend,
        weighted=weighted,
    )


def disclose_risk(value: RiskDistribution, policy: DisclosurePolicy) -> RiskDistribution:
    """Score categories with rules 1-3; each missing-input count with rule 1."""
    released = policy.population(value.total or 0)
    cells = policy.cells([c.n or 0 for c in value.categories])
    return replace(
        value,
        total=value.total if released else None,
        categories=tuple(
            replace(
                c,
                n=n if released else None,
                missing_inputs=tuple(
                    replace(m, n=policy.count(m.n) if released else None) for m in c.missing_inputs
                ),
            )
            for c, n in zip(value.categories, cells, strict=True)
        ),
    )


def disclose_cross_tab(value: CrossTab, policy: DisclosurePolicy) -> CrossTab:
    """Cross-tab cells with rules 1-3; the moved / compared / excluded counts with rule 1."""
    released = policy.population(value.total or 0)
    cells = policy.cells([c.n or 0 for c in value.cells])

    def count(n: int | None) -> int | None:
        return policy.count(n) if released else None

    return replace(
        value,
        total=value.total if released else None,
        cells=tuple(
            replace(c, n=n if released else None) for c, n in zip(value.cells, cells, strict=True)
        ),
        n_compared=count(value.n_compared),
        n_moved=count(value.n_moved),
        n_excluded=count(value.n_excluded),
    )


def _incidence_point(
    point: IncidencePoint,
    events: int | None,
    end: float,
    policy: DisclosurePolicy,
    *,
    whole: bool,
) -> IncidencePoint:
    """F(t) only with its cause's events released, >= ``k`` at risk and t on the curve.

    Past the end of a ``whole`` released curve the engine's answer stands (F final when
    everyone had an event by the end, else not estimable): it is F at the released end.
    """
    past_whole = whole and point.time > end
    withheld = (
        (None if past_whole else _at_risk_reason(point.n_at_risk, policy))
        or (_events_reason(policy) if events is None else None)
        or (
            "withheld: beyond the end of the released curve"
            if point.time > end and not past_whole
            else None
        )
    )
    n_at_risk = policy.count(point.n_at_risk)
    if withheld is None:
        return replace(point, n_at_risk=n_at_risk)
    return replace(
        point, estimate=None, lower=None, upper=None, n_at_risk=n_at_risk, reason=withheld
    )


def _disclose_incidence_group(
    group: GroupIncidence, n: int | None, policy: DisclosurePolicy
) -> GroupIncidence:
    if n is None or not policy.population(n):
        return replace(group, n=None, causes=(), risk_table=())
    exact = [c.events or 0 for c in group.causes]
    *events, censored = policy.cells([*exact, n - sum(exact)])
    kinds = [j for j, e in enumerate(events) if e is not None]
    rows = group.risk_table
    after = [*(r.n_at_risk for r in rows[1:]), 0]
    per_row = [
        [*(r.events[j] for j in kinds), r.n_at_risk - sum(r.events) - later]
        for r, later in zip(rows, after, strict=True)
    ]
    totals = [*(exact[j] for j in kinds), n - sum(exact)]
    if censored is None:  # a withheld count is not a released total to subtract from
        per_row, totals = [row[:-1] for row in per_row], totals[:-1]
    length = _curve_length([r.n_at_risk for r in rows], per_row, totals, policy)
    # the steps' numbers at risk fall by the events of every cause and the censorings: with one
    # of those counts withheld, the others and a whole curve would give it back by subtraction
    every_count = censored is not None and None not in events
    end = rows[length - 1].time if length else -math.inf
    causes = tuple(
        replace(
            c,
            events=e,
            at_times=tuple(
                _incidence_point(p, e, end, policy, whole=length == len(rows)) for p in c.at_times
            ),
            steps=c.steps[:length] if every_count else (),
        )
        for c, e in zip(group.causes, events, strict=True)
    )
    return replace(group, causes=causes, risk_table=())


def disclose_incidence(value: IncidenceSummary, policy: DisclosurePolicy) -> IncidenceSummary:
    """Cumulative incidence with group sizes, events, risk sets and curve ends disclosed.

    Group sizes and the excluded count are cells of the cohort (rules 1-3); each cause's event
    count and the group's censored count (n minus every cause's events) are cells of the group
    size, so a small censored count is not released by subtraction. F(t) of a cause is released
    only when its events are, at least ``k`` patients of the group are at risk at t, and t lies
    on the group's released curve: its risk table cut as a Kaplan-Meier curve is
    (:func:`released_steps`, rules 1-2, over the events of every cause whose count is released
    and the censorings), so that requested times, however fine, give back neither a small risk
    set nor the few events or censorings of a cut-off tail. The causes' step functions are
    released up to that end, as Kaplan-Meier steps are, and only when every cause's events and
    the censored count are released (the steps' numbers at risk fall by all of them). The rest
    of the risk table is never released; Gray's tests are.
    """
    *sizes, excluded = policy.cells([*(g.n or 0 for g in value.groups), value.n_excluded or 0])
    groups = tuple(
        _disclose_incidence_group(g, n, policy) for g, n in zip(value.groups, sizes, strict=True)
    )
    return replace(value, n_excluded=excluded, groups=groups)


def require_model_counts(n: int, events: int, policy: DisclosurePolicy) -> int | None:
    """Refuse a model on fewer than ``k`` patients or events; else its released event count.

    A proportional-hazards fit (a Cox model, a staging comparison) on ``n`` complete cases
    with ``d`` events has a partial likelihood that is a sum over those ``d`` patients; its
    null value, recoverable from the released likelihood-ratio statistic and AIC as
    ℓ(0) = (2·df − AIC − LR) / 2, is −Σ log R(tᵢ) over the event times (−log R(R − 1)…(R − dᵢ + 1)
    at Efron-tied ones): with one event it gives that event's risk set R(t₁) back, and Harrell's
    C is then the share of the others at risk whose predicted risk is lower. A model on fewer
    than ``k`` events is refused, like one on fewer than ``k`` patients, rather than released
    with statistics that rest on a withheld count. The events are then released as cells of
    ``n`` (:func:`event_cells`).

    Raises
    ------
    EmptyCohortError
        Fewer than ``k`` complete cases or events (the API's EMPTY_COHORT).
    """
    k = policy.min_cell_size
    if not policy.population(n):
        raise EmptyCohortError(f"the model would rest on fewer than {k} patients; widen the cohort")
    if not policy.population(events):
        raise EmptyCohortError(
            f"the model would rest on fewer than {k} events (its likelihood ratio and AIC would "
            "give back their risk sets); widen the cohort or choose an endpoint with more events"
        )
    return event_cells(n, events, policy)


def disclose_model(value: Model, policy: DisclosurePolicy) -> Model:
    """A Cox or Fine-Gray model's counts disclosed; refused on fewer than ``k`` patients or
    events (a Fine-Gray model's: of the modelled cause).

    Refusal and events as :func:`require_model_counts`, the rule a staging comparison follows
    (:func:`disclose_staging`). The complete cases, the dropped and the excluded patients are
    cells of the cohort (rules 1-2); the events and the complete cases without the event are
    cells of ``n``, so a few patients without the event do not come back as ``n`` − events.
    """
    events = require_model_counts(value.n or 0, value.n_events or 0, policy)
    n, dropped, excluded = policy.cells([value.n or 0, value.n_dropped or 0, value.n_excluded or 0])
    return replace(value, n=n, n_events=events, n_dropped=dropped, n_excluded=excluded)


def disclose_exposure_effect(
    value: ExposureEffectSummary, policy: DisclosurePolicy
) -> ExposureEffectSummary:
    """An exposure's effect disclosed; refused on fewer than ``k`` patients or events.

    Refusal and events as a Cox model's (:func:`require_model_counts`). The patients analysed
    and the excluded are cells of the cohort, the exposed and the never exposed cells of the
    patients analysed (rules 1-2). Each Simon-Makuch curve is disclosed as a Kaplan-Meier group
    of :func:`disclose_survival` (its patients, events and released steps); the Mantel-Byar
    per-group observed / expected counts are dropped when a curve's counts are withheld.
    """
    events = require_model_counts(value.n or 0, value.n_events or 0, policy)
    n, excluded = policy.cells([value.n or 0, value.n_excluded or 0])
    exposed = value.n_exposed or 0
    n_exposed = None if n is None else policy.cells([exposed, n - exposed])[0]
    curves = tuple(_disclose_group(c, policy.count(c.n), policy) for c in value.curves)
    test = value.mantel_byar
    if any(c.n is None or c.events is None for c in curves):
        test = replace(test, observed=(), expected=())
    return replace(
        value,
        n=n,
        n_events=events,
        n_exposed=n_exposed,
        n_excluded=excluded,
        mantel_byar=test,
        curves=curves,
    )


def disclose_staging(value: StagingSummary, policy: DisclosurePolicy) -> StagingSummary:
    """A staging comparison's counts disclosed; refused on fewer than ``k`` patients or events.

    Counts: the complete cases ``n`` and ``n_dropped`` are cells of the cohort, and the
    events and the patients without the event are cells of ``n`` (rules 1-2), so none comes
    back by subtraction from a released total.

    Refusal on fewer than ``k`` patients or events, as a Cox model's
    (:func:`require_model_counts`: every system's ℓ(0) = (2·df − AIC − LR) / 2 gives the
    events' risk sets back).

    Small stages: the C-index (with its IJ interval), LR χ² and AIC are released whatever the
    stages' sizes. Each is one figure over all ``n`` patients and their events (at least ``k``
    of each), not a count, and nothing released tells a stage's share of it apart. The
    per-stage hazard ratios would (a stage's log-hazard ratio has a standard error of about
    √(1/d_stage + 1/d_reference), which gives its events back), so they are left out of the
    summary, and no per-stage count is released. ``stages`` lists the stages present on the
    complete cases: that a stage has patients is told as a breakdown tells a withheld cell
    from an empty one.
    """
    events = require_model_counts(value.n or 0, value.n_events or 0, policy)
    n, dropped = policy.cells([value.n or 0, value.n_dropped or 0])
    return replace(value, n=n, n_events=events, n_dropped=dropped)
