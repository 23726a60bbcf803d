"""Statistical disclosure control: minimum cell size suppression of aggregate counts.

Every aggregate that leaves ``lake/`` passes through this module (called by :mod:`lake.query`,
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

Suppressed values are ``None``; the API shows them as ``null`` with ``suppressed: true``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from lake.cohort_incidence import GroupIncidence, IncidenceSummary
from lake.cohort_models import CoxSummary, StagingSummary
from lake.cohort_risk import CrossTab, RiskDistribution
from lake.cohort_summary import Breakdown, FieldCompleteness, Histogram
from lake.cohort_survival import GroupSurvival, SurvivalSummary
from lake.errors import ConfigError, EmptyCohortError

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
    """A histogram with rules 1-3 applied to its bins, missing count and total."""
    released = policy.population(value.total or 0)
    *bins, missing = policy.cells([*(b.n or 0 for b in value.bins), value.missing or 0])
    return replace(
        value,
        total=value.total if released else None,
        bins=tuple(
            replace(b, n=n if released else None) for b, n in zip(value.bins, bins, strict=True)
        ),
        missing=missing if released else None,
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


def _disclose_group(group: GroupSurvival, policy: DisclosurePolicy) -> GroupSurvival:
    if not policy.population(group.n or 0):
        return replace(group, n=None, events=None, median=None, median_follow_up=None, at_times=())
    return replace(
        group,
        events=policy.count(group.events),
        at_times=tuple(
            point
            if policy.releases(point.n_at_risk or 0)
            else replace(
                point,
                survival=None,
                lower=None,
                upper=None,
                n_at_risk=None,
                reason=f"withheld: fewer than {policy.min_cell_size} at risk",
            )
            for point in group.at_times
        ),
    )


def disclose_survival(value: SurvivalSummary, policy: DisclosurePolicy) -> SurvivalSummary:
    """Groups below the cell size lose every estimate; small risk sets are withheld.

    The log-rank statistic and p-value are released (they identify nobody); its per-group
    observed / expected counts are dropped when any group is withheld.
    """
    groups = tuple(_disclose_group(g, policy) for g in value.groups)
    logrank, trend = value.logrank, value.trend
    if any(g.n is None for g in groups):
        logrank = None if logrank is None else replace(logrank, observed=(), expected=())
        trend = None if trend is None else replace(trend, observed=(), expected=())
    return replace(value, groups=groups, logrank=logrank, trend=trend)


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


def _disclose_incidence_group(group: GroupIncidence, policy: DisclosurePolicy) -> GroupIncidence:
    if not policy.population(group.n or 0):
        return replace(group, n=None, causes=())
    return replace(
        group, causes=tuple(replace(c, events=policy.count(c.events)) for c in group.causes)
    )


def disclose_incidence(value: IncidenceSummary, policy: DisclosurePolicy) -> IncidenceSummary:
    """Groups below the cell size lose every estimate; small event counts are withheld."""
    return replace(value, groups=tuple(_disclose_incidence_group(g, policy) for g in value.groups))


def _require_population(n: int, policy: DisclosurePolicy) -> None:
    if not policy.population(n):
        raise EmptyCohortError(
            f"the model would rest on fewer than {policy.min_cell_size} patients; widen the cohort"
        )


def disclose_model(value: CoxSummary, policy: DisclosurePolicy) -> CoxSummary:
    """A Cox model on fewer patients than the cell size is refused; event counts rule 1."""
    _require_population(value.n, policy)
    return value


def disclose_staging(value: StagingSummary, policy: DisclosurePolicy) -> StagingSummary:
    """A comparison on fewer patients than the cell size is refused."""
    for system in value.systems:
        _require_population(system.n, policy)
    return value
