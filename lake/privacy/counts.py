"""Protected releases of counts: cohort size, breakdowns, histograms, completeness, risk
distributions and reclassification cross-tabs.

Each function returns a :class:`lake.privacy.plan.ProtectedPlan` whose cells are laid out over
public values (:mod:`lake.privacy.domains`) and whose sensitivity follows from the request:

- size: one cell, Δ = 1;
- breakdown of a one-valued attribute: its levels partition the cohort, Δ = 1 (the total is
  the sum of the noisy cells); of a list attribute (a patient counts in each of their values):
  the cohort size and one cell per level, Δ = 1 + number of levels;
- histogram on public edges: below, each bin, above and missing partition the cohort, Δ = 1;
- completeness of A attributes: known / not tested / missing per attribute, Δ = A;
- risk distribution: the categories partition the cohort (Δ = 1) and a NOT_CLASSIFIABLE patient
  counts once per missing input, Δ = 1 + number of inputs;
- reclassification: every (before, after) pair of levels partitions the cohort, Δ = 1; the
  compared, moved and excluded counts are sums of noisy cells;
- data quality for other sites' readers: per site, the patients with any quarantined row
  (a row without a patient id counts as its own unit), Δ = 1 (a patient belongs to one site).

Functions take a loader of the cohort's frame (possibly empty): a protected answer never
raises on an empty cohort, which would tell it is empty.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import polars as pl

from lake.cohort.attributes import LIST_ATTRIBUTES
from lake.cohort.risk import (
    CrossCell,
    CrossTab,
    MissingInput,
    RiskCategory,
    RiskDistribution,
    category,
)
from lake.cohort.summary import (
    Breakdown,
    CategoryCount,
    FieldCompleteness,
    Histogram,
    HistogramBin,
    not_tested_count,
)
from lake.errors import AnalysisError
from lake.privacy.domains import Level, level_index, score_levels
from lake.privacy.mechanism import IntVector, Noise
from lake.privacy.plan import ProtectedPlan, clipped, shown
from lake.query.metadata import QualityCount
from lake.risk.reclassification import NotClassified
from lake.risk.spec import RiskScore
from lake.risk.tristate import NOT_APPLICABLE, NOT_CLASSIFIABLE

Load = Callable[[], pl.DataFrame]


def _tally(index: pl.Series, size: int) -> IntVector:
    return np.bincount(index.to_numpy().astype(np.int64), minlength=size).astype(np.int64)


def size_plan(count: Callable[[], int], *, floor: int) -> ProtectedPlan[int | None]:
    """The cohort size."""
    return ProtectedPlan(
        kind="size",
        sensitivity=1,
        counts=lambda: np.array([count()], dtype=np.int64),
        release=lambda noisy, _: shown(noisy[0], floor),
    )


def breakdown_plan(
    load: Load, *, attribute: str, levels: Sequence[Level], floor: int
) -> ProtectedPlan[Breakdown]:
    """Counts by ``attribute`` over its public ``levels`` (missing last)."""
    listed = attribute in LIST_ATTRIBUTES
    # a list attribute has no missing level: an empty list counts in no cell
    cells = [level for level in levels if level is not None] if listed else list(levels)

    def counts() -> IntVector:
        frame = load()
        values = frame.get_column(attribute)
        if listed:
            index = level_index(values.explode().drop_nulls(), cells, what=attribute)
            return np.concatenate(([frame.height], _tally(index, len(cells))))
        return _tally(level_index(values, cells, what=attribute), len(cells))

    def release(noisy: IntVector, _: Noise) -> Breakdown:
        per_level = noisy[1:] if listed else noisy
        total = noisy[0] if listed else clipped(noisy).sum()
        return Breakdown(
            attribute=attribute,
            total=shown(total, floor),
            counts=tuple(
                CategoryCount(category=level, n=shown(n, floor))
                for level, n in zip(cells, per_level, strict=True)
            ),
        )

    return ProtectedPlan(
        kind="breakdown",
        sensitivity=1 + len(cells) if listed else 1,
        counts=counts,
        release=release,
    )


def histogram_plan(
    load: Load, *, attribute: str, bins: int, lower: float, upper: float, floor: int
) -> ProtectedPlan[Histogram]:
    """Counts below, within each of ``bins`` equal bins of [lower, upper], above, missing."""
    if not 1 <= bins <= 100:
        raise AnalysisError(f"histogram bins must be between 1 and 100 (got {bins})")
    if not (np.isfinite(lower) and np.isfinite(upper) and upper > lower):
        raise AnalysisError(
            f"histogram edges must be finite with lower < upper (got {lower}, {upper})"
        )
    edges = np.linspace(lower, upper, bins + 1)

    def counts() -> IntVector:
        values = load().get_column(attribute)
        if not values.dtype.is_numeric():
            raise AnalysisError(f"attribute {attribute!r} is not numeric; use a breakdown instead")
        x = values.cast(pl.Float64).to_numpy()
        known = x[~np.isnan(x)]
        inside = known[(known >= lower) & (known <= upper)]
        slot = np.clip(((inside - lower) / (upper - lower) * bins).astype(np.int64), 0, bins - 1)
        return np.concatenate(
            (
                [int((known < lower).sum())],
                np.bincount(slot, minlength=bins),
                [int((known > upper).sum()), int(np.isnan(x).sum())],
            )
        ).astype(np.int64)

    def release(noisy: IntVector, _: Noise) -> Histogram:
        return Histogram(
            attribute=attribute,
            total=shown(clipped(noisy).sum(), floor),
            bins=tuple(
                HistogramBin(lower=float(edges[i]), upper=float(edges[i + 1]), n=shown(n, floor))
                for i, n in enumerate(noisy[1 : bins + 1])
            ),
            below=shown(noisy[0], floor),
            above=shown(noisy[bins + 1], floor),
            missing=shown(noisy[bins + 2], floor),
        )

    return ProtectedPlan(kind="histogram", sensitivity=1, counts=counts, release=release)


def completeness_plan(
    load: Load, *, attributes: Sequence[str], floor: int
) -> ProtectedPlan[tuple[FieldCompleteness, ...]]:
    """Known / not tested / missing counts of each attribute."""

    def counts() -> IntVector:
        frame = load()
        result = []
        for attribute in attributes:
            values = frame.get_column(attribute)
            missing = values.null_count()
            not_tested = not_tested_count(values)
            result += [frame.height - missing - not_tested, not_tested, missing]
        return np.asarray(result, dtype=np.int64)

    def release(noisy: IntVector, _: Noise) -> tuple[FieldCompleteness, ...]:
        rows = noisy.reshape(len(attributes), 3)
        return tuple(
            FieldCompleteness(
                attribute=a,
                total=shown(clipped(row).sum(), floor),
                known=shown(row[0], floor),
                not_tested=shown(row[1], floor),
                missing=shown(row[2], floor),
            )
            for a, row in zip(attributes, rows, strict=True)
        )

    return ProtectedPlan(
        kind="completeness", sensitivity=len(attributes), counts=counts, release=release
    )


def risk_plan(load: Load, *, risk_score: RiskScore, floor: int) -> ProtectedPlan[RiskDistribution]:
    """A score's categories over the cohort and, among NOT_CLASSIFIABLE, each missing input."""
    version = risk_score.version
    levels = [c for c in score_levels(risk_score) if c is not None]
    inputs = list(risk_score.inputs)

    def counts() -> IntVector:
        frame = load()
        cats = level_index(frame.select(category(version)).to_series(), levels, what=version)
        missing = (
            frame.filter(category(version) == NOT_CLASSIFIABLE)
            .select(pl.col(version).struct.field("missing_inputs").explode().drop_nulls())
            .to_series()
        )
        per_input = [int((missing == i).sum()) for i in inputs]
        return np.concatenate((_tally(cats, len(levels)), per_input)).astype(np.int64)

    def release(noisy: IntVector, _: Noise) -> RiskDistribution:
        cats, per_input = noisy[: len(levels)], noisy[len(levels) :]
        missing = tuple(
            MissingInput(i, shown(n, floor)) for i, n in zip(inputs, per_input, strict=True)
        )
        return RiskDistribution(
            score=risk_score.name,
            version=version,
            total=shown(clipped(cats).sum(), floor),
            categories=tuple(
                RiskCategory(
                    category=c,
                    n=shown(n, floor),
                    missing_inputs=missing if c == NOT_CLASSIFIABLE else (),
                )
                for c, n in zip(levels, cats, strict=True)
            ),
        )

    return ProtectedPlan(kind="risk", sensitivity=1 + len(inputs), counts=counts, release=release)


def cross_tab_plan(
    load: Load,
    *,
    before: RiskScore,
    after: RiskScore,
    not_classified: NotClassified,
    floor: int,
) -> ProtectedPlan[CrossTab]:
    """Every (before, after) pair of the two scores' levels, and the compared / moved shares."""
    first = [c for c in score_levels(before) if c is not None]
    second = [c for c in score_levels(after) if c is not None]
    non_results = {NOT_CLASSIFIABLE, NOT_APPLICABLE}

    def counts() -> IntVector:
        frame = load()
        i = level_index(frame.select(category(before.version)).to_series(), first, what="before")
        j = level_index(frame.select(category(after.version)).to_series(), second, what="after")
        return _tally(i * len(second) + j, len(first) * len(second))

    def release(noisy: IntVector, _: Noise) -> CrossTab:
        pairs = [(b, a) for b in first for a in second]
        kept = clipped(noisy)
        compared = [not_classified == "as_category" or not ({b, a} & non_results) for b, a in pairs]
        n_compared = sum(int(n) for n, c in zip(kept, compared, strict=True) if c)
        n_moved = sum(
            int(n) for n, c, (b, a) in zip(kept, compared, pairs, strict=True) if c and b != a
        )
        return CrossTab(
            before=before.version,
            after=after.version,
            total=shown(kept.sum(), floor),
            cells=tuple(
                CrossCell(before=b, after=a, n=shown(n, floor))
                for (b, a), n in zip(pairs, noisy, strict=True)
            ),
            n_compared=shown(n_compared, floor),
            n_moved=shown(n_moved, floor),
            n_excluded=shown(int(kept.sum()) - n_compared, floor),
            not_classified=not_classified,
        )

    return ProtectedPlan(kind="reclassification", sensitivity=1, counts=counts, release=release)


def quality_plan(
    load: Load, *, sites: Sequence[str], floor: int
) -> ProtectedPlan[tuple[QualityCount, ...]]:
    """Per site of ``sites``, the patients with at least one quarantined row."""

    def counts() -> IntVector:
        rows = load().filter(pl.col("site").is_in(list(sites)))
        unit = pl.coalesce(
            pl.col("patient_id"),
            pl.concat_str(pl.lit("row:"), pl.col("source_file"), pl.col("row").cast(pl.String)),
        )
        per_site = dict(rows.group_by("site").agg(unit.n_unique()).iter_rows())
        return np.asarray([per_site.get(s, 0) for s in sites], dtype=np.int64)

    def release(noisy: IntVector, _: Noise) -> tuple[QualityCount, ...]:
        return tuple(
            QualityCount(site=s, table=None, check=None, n=shown(n, floor))
            for s, n in zip(sites, noisy, strict=True)
        )

    return ProtectedPlan(kind="data_quality", sensitivity=1, counts=counts, release=release)
