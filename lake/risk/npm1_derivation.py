"""Derive an NPM1 co-mutation genotype table on a training cohort (HARMONY-style).

Method (the paper's exact procedure is UNCONFIRMED; this is a transparent stand-in):

1. Complete cases: rows whose FLT3-ITD, DNMT3A, IDH1/IDH2 and TET2 calls are all known.
   ``idh = idh1 or idh2``. Genotype = (flt3_itd, dnmt3a, idh, tet2), 16 possible cells.
2. Cells with fewer than ``min_cell_size`` patients stay unassigned (``NOT_CLASSIFIABLE`` when the
   table is applied): too few patients to rank.
3. A Cox proportional-hazards model on one indicator per ranked cell (reference: the largest cell,
   log hazard 0) gives each cell's log hazard ratio (:func:`fit_cell_log_hazards`, the single Cox
   call site: :class:`lake.survival.CoxPHFitter`, Efron ties, unpenalised, matching R
   ``coxph``). A ranked cell without events has an infinite log hazard (monotone likelihood):
   the fitter then emits a :class:`~lake.survival.SurvivalWarning`, as R does; raise
   ``min_cell_size`` or pool genotypes.
4. Cells ordered by log hazard are split into three contiguous groups, FAVORABLE / INTERMEDIATE /
   ADVERSE, minimising the patient-weighted within-group sum of squares of the log hazards
   (a 1-D optimal partition, exhaustive over the at most C(15, 2) = 105 cut pairs) subject to every
   group holding at least ``min_group_size`` patients.

The result is a new :class:`~lake.risk.npm1_table.Npm1Table` whose version id includes a digest of
the mapping, applied unchanged to validation cohorts by :func:`lake.risk.harmony_npm1.harmony_npm1`.
"""

from __future__ import annotations

import hashlib
import itertools
import logging

import numpy as np
import polars as pl

from lake.errors import AnalysisError, EmptyCohortError
from lake.risk.npm1_table import ALL_GENOTYPES, GENES, GROUPS, Cell, Group, Npm1Table
from lake.survival import CoxPHFitter

logger = logging.getLogger(__name__)
MARKERS = ("flt3_itd", "dnmt3a", "idh1", "idh2", "tet2")


def fit_cell_log_hazards(indicators: np.ndarray, time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Cox log hazard ratios of indicator columns (the one place a Cox model is fitted).

    Maximum partial likelihood with Efron ties (:class:`lake.survival.CoxPHFitter`, which
    matches R ``survival::coxph``); the returned coefficients are in column order.
    """
    columns = [f"x{i}" for i in range(indicators.shape[1])]
    data = pl.DataFrame(
        {**{c: indicators[:, i] for i, c in enumerate(columns)}, "time": time, "event": event}
    )
    fitter = CoxPHFitter(ties="efron").fit(data, duration_col="time", event_col="event")
    return np.asarray(fitter.params_, dtype=np.float64)


def derive_npm1_table(
    training: pl.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    min_group_size: int = 50,
    min_cell_size: int = 10,
    label: str | None = None,
) -> Npm1Table:
    """Rank genotype cells by Cox hazard and cut them into three groups; see the module doc.

    ``training`` holds the tri-state marker columns ``flt3_itd, dnmt3a, idh1, idh2, tet2`` plus
    ``time`` (any unit) and ``event`` (1 = event, 0 = censored). ``label`` names the version
    (``harmony_npm1_derived_<label>``); by default a digest of the resulting mapping.
    """
    known = training.filter(
        pl.all_horizontal(pl.col(m).is_in(["present", "absent"]) for m in MARKERS)
    )
    if known.height == 0:
        raise EmptyCohortError(
            "no training patient has all of FLT3-ITD, DNMT3A, IDH1/2, TET2 known"
        )
    dropped = training.height - known.height
    if dropped:
        logger.info(
            "NPM1 derivation: %d of %d patients dropped (incomplete genotype)",
            dropped,
            training.height,
        )
    flags = known.select(
        flt3_itd=pl.col("flt3_itd") == "present",
        dnmt3a=pl.col("dnmt3a") == "present",
        idh=(pl.col("idh1") == "present") | (pl.col("idh2") == "present"),
        tet2=pl.col("tet2") == "present",
    ).to_numpy()
    cell_index = flags @ np.array([8, 4, 2, 1])
    counts = np.bincount(cell_index, minlength=16)
    ranked = [c for c in range(16) if counts[c] >= min_cell_size]
    if len(ranked) < len(GROUPS):
        raise AnalysisError(
            f"only {len(ranked)} genotype cells have >= {min_cell_size} patients; need 3 to form "
            "three groups: lower min_cell_size or use a larger training cohort"
        )
    if counts[ranked].sum() < len(GROUPS) * min_group_size:
        raise AnalysisError(
            f"{counts[ranked].sum()} patients in ranked cells cannot form three groups of >= "
            f"{min_group_size} patients (min_group_size): lower it or use a larger training cohort"
        )
    reference = max(ranked, key=lambda c: counts[c])
    others = [c for c in ranked if c != reference]
    rows = np.isin(cell_index, ranked)
    indicators = (cell_index[rows, None] == np.array(others)[None, :]).astype(np.float64)
    hazards = fit_cell_log_hazards(
        indicators,
        known.get_column(time).to_numpy()[rows],
        known.get_column(event).to_numpy()[rows],
    )
    log_hazard = {reference: 0.0, **dict(zip(others, hazards.tolist(), strict=True))}
    groups = _three_groups(log_hazard, counts, min_group_size=min_group_size)
    cells = tuple(
        Cell(
            genotype=genotype,
            group=groups.get(i),
            n=int(counts[i]),
            log_hazard=log_hazard.get(i),
        )
        for i, genotype in enumerate(ALL_GENOTYPES)
    )
    mapping_digest = hashlib.sha256(repr([c.group for c in cells]).encode()).hexdigest()[:8]
    return Npm1Table(
        version=f"harmony_npm1_derived_{label or mapping_digest}",
        status="DERIVED",
        source="derived by lake.risk.npm1_derivation.derive_npm1_table (Cox ranking of genotypes)",
        cells=cells,
        derivation={
            "n_training": training.height,
            "n_complete": known.height,
            "min_group_size": min_group_size,
            "min_cell_size": min_cell_size,
            "reference_genotype": dict(zip(GENES, ALL_GENOTYPES[reference], strict=True)),
            "cox": "lake.survival.CoxPHFitter (Efron ties, unpenalised)",
        },
    )


def _three_groups(
    log_hazard: dict[int, float], counts: np.ndarray, *, min_group_size: int
) -> dict[int, Group]:
    order = sorted(log_hazard, key=lambda c: (log_hazard[c], c))
    values = np.array([log_hazard[c] for c in order])
    weights = np.array([counts[c] for c in order], dtype=np.float64)
    best: tuple[float, int, int] | None = None
    for i, j in itertools.combinations(range(1, len(order)), 2):
        parts = [slice(0, i), slice(i, j), slice(j, len(order))]
        if any(weights[p].sum() < min_group_size for p in parts):
            continue
        cost = sum(_weighted_ss(values[p], weights[p]) for p in parts)
        if best is None or cost < best[0]:
            best = (cost, i, j)
    if best is None:
        raise AnalysisError(
            f"no split into three groups of >= {min_group_size} patients exists: lower "
            "min_group_size or use a larger training cohort"
        )
    _, i, j = best
    favorable, intermediate, adverse = GROUPS
    labels: list[Group] = [favorable] * i + [intermediate] * (j - i) + [adverse] * (len(order) - j)
    return dict(zip(order, labels, strict=True))


def _weighted_ss(values: np.ndarray, weights: np.ndarray) -> float:
    mean = float(np.average(values, weights=weights))
    return float((weights * (values - mean) ** 2).sum())
