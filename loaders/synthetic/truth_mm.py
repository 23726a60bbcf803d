"""Newly diagnosed myeloma cohorts (trials with arms, or real-world practice).

Overall survival is drawn from the planted R-ISS hazards (:data:`~loaders.synthetic.hazards.MM_OS`);
progression precedes death for most patients; first-line regimen, ASCT and strategy come from the
study arm (or the era, in real-world practice); progressed patients get a second line. A
registry that registers patients after diagnosis keeps only those still followed at entry
(:mod:`loaders.synthetic.registry_entry`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl
from lake.model import IMWG_RESPONSES

from loaders.synthetic.hazards import MM_OS, MM_OS_REAL_WORLD_FACTOR
from loaders.synthetic.mm_labs import myeloma_baseline
from loaders.synthetic.registry_entry import RegistryEntry, register
from loaders.synthetic.sampling import (
    birth_years,
    categorical,
    censoring_days,
    date_series,
    labels,
    rounded,
    weibull_ph_days,
)
from loaders.synthetic.truth import (
    Truth,
    assemble_events,
    conform,
    constant,
    event_rows,
    patients_frame,
)


@dataclass(frozen=True, slots=True)
class Regimen:
    """A first- or second-line regimen; ``response`` gives P(PD..sCR) in IMWG order."""

    name: str
    agents: tuple[str, ...]
    strategy: str
    asct: bool
    fixed_days: int
    response: tuple[float, ...]


VTD = Regimen(
    "VTD",
    ("bortezomib", "thalidomide", "dexamethasone"),
    "fixed_duration",
    True,
    180,
    (0.03, 0.05, 0.04, 0.28, 0.35, 0.17, 0.08),
)
TD = Regimen(
    "TD",
    ("thalidomide", "dexamethasone"),
    "fixed_duration",
    True,
    180,
    (0.06, 0.10, 0.06, 0.40, 0.26, 0.09, 0.03),
)
DARA_VTD = Regimen(
    "D-VTD",
    ("daratumumab", "bortezomib", "thalidomide", "dexamethasone"),
    "fixed_duration",
    True,
    180,
    (0.02, 0.03, 0.02, 0.18, 0.35, 0.25, 0.15),
)
VRD = Regimen(
    "VRd",
    ("bortezomib", "lenalidomide", "dexamethasone"),
    "continuous",
    True,
    0,
    (0.02, 0.04, 0.03, 0.25, 0.38, 0.18, 0.10),
)
VMP = Regimen(
    "VMP",
    ("bortezomib", "melphalan", "prednisone"),
    "fixed_duration",
    False,
    378,
    (0.05, 0.12, 0.06, 0.40, 0.22, 0.11, 0.04),
)
VMPT_VT = Regimen(
    "VMPT-VT",
    ("bortezomib", "melphalan", "prednisone", "thalidomide"),
    "continuous",
    False,
    0,
    (0.04, 0.08, 0.05, 0.35, 0.28, 0.14, 0.06),
)
RD = Regimen(
    "Rd",
    ("lenalidomide", "dexamethasone"),
    "continuous",
    False,
    0,
    (0.06, 0.12, 0.07, 0.42, 0.21, 0.09, 0.03),
)
DRD = Regimen(
    "DRd",
    ("daratumumab", "lenalidomide", "dexamethasone"),
    "continuous",
    False,
    0,
    (0.02, 0.04, 0.03, 0.22, 0.36, 0.21, 0.12),
)
SECOND_LINE = (
    Regimen(
        "KRd",
        ("carfilzomib", "lenalidomide", "dexamethasone"),
        "continuous",
        False,
        0,
        (0.10, 0.12, 0.06, 0.38, 0.24, 0.07, 0.03),
    ),
    Regimen(
        "Pd",
        ("pomalidomide", "dexamethasone"),
        "continuous",
        False,
        0,
        (0.20, 0.20, 0.10, 0.32, 0.14, 0.03, 0.01),
    ),
    Regimen(
        "DPd",
        ("daratumumab", "pomalidomide", "dexamethasone"),
        "continuous",
        False,
        0,
        (0.10, 0.12, 0.08, 0.35, 0.24, 0.08, 0.03),
    ),
)


@dataclass(frozen=True, slots=True)
class Study:
    """A trial (arms randomised 1:1) or a real-world registry (arm ``None``, era regimens)."""

    name: str
    arms: tuple[tuple[str | None, Regimen], ...]
    start: dt.date
    end: dt.date


@dataclass(frozen=True, slots=True)
class MyelomaCohort:
    """How one myeloma site's patients are drawn."""

    site: str
    id_prefix: str
    studies: tuple[Study, ...]
    data_origin: str
    cutoff: dt.date
    ldh_uln: float
    age_mean: float = 63.0
    fish_not_tested: float = 0.08
    gain1q_not_tested: float = 0.15
    loss_per_year: float = 0.02
    #: a registry that registers patients after diagnosis (left truncation); ``None``: at
    #: diagnosis, every drawn patient is seen
    registry_entry: RegistryEntry | None = None


def generate_myeloma(cohort: MyelomaCohort, ids: pl.Series, rng: np.random.Generator) -> Truth:
    """Draw the myeloma patients ``ids`` of ``cohort``."""
    n = ids.len()
    site = cohort.site
    study = rng.integers(0, len(cohort.studies), n)
    arm = rng.integers(0, 2, n)
    starts = np.array([(s.start - dt.date(1970, 1, 1)).days for s in cohort.studies])
    spans = np.array([(s.end - s.start).days for s in cohort.studies])
    diagnosis = starts[study] + (rng.random(n) * spans[study]).astype(np.int64)
    age = rounded(np.clip(rng.normal(cohort.age_mean, 8.5, n), 30, 92), 1)
    birth_year = birth_years(diagnosis, age)
    labs = myeloma_baseline(
        rng,
        ids,
        site=site,
        ldh_uln=cohort.ldh_uln,
        fish_not_tested=cohort.fish_not_tested,
        gain1q_not_tested=cohort.gain1q_not_tested,
    )
    regimens, arm_names, regimen_of = _assign_regimens(cohort.studies, study, arm)
    factor = MM_OS_REAL_WORLD_FACTOR if cohort.data_origin == "real_world" else 1.0
    hr = np.asarray(MM_OS.hazard_ratios)[labs.riss] * factor
    t_death = np.maximum(weibull_ph_days(rng, hr, median_years=MM_OS.reference_median_years), 60)
    censor = np.maximum(
        censoring_days(rng, diagnosis, cutoff=cohort.cutoff, loss_per_year=cohort.loss_per_year), 45
    )
    progresses = rng.random(n) < 0.85
    t_prog = np.clip(np.floor(rng.beta(2.0, 2.5, n) * t_death), 30, t_death - 1)
    dead = t_death <= censor
    progressed = progresses & (t_prog <= censor)
    last_day = diagnosis + np.floor(np.minimum(t_death, censor)).astype(np.int64)
    prog_day = diagnosis + t_prog.astype(np.int64)
    patients = patients_frame(
        ids,
        site=site,
        source_study=labels(study, [s.name for s in cohort.studies]),
        data_origin=cohort.data_origin,
        disease="MM",
        sex=labels((rng.random(n) < 0.44).astype(np.int64), ("M", "F")),
        birth_year=birth_year,
        age_at_diagnosis=age,
        diagnosis=diagnosis,
        study_arm=arm_names,
    )
    cause = np.where(
        progressed,
        categorical(rng, (0.85, 0.08, 0.02, 0.05), n),
        categorical(rng, (0.10, 0.40, 0.25, 0.25), n) + 1,
    )
    events = assemble_events(
        [
            event_rows(ids, site, "progression", prog_day, progressed),
            event_rows(
                ids,
                site,
                "death",
                last_day,
                dead,
                death_cause=labels(cause, ("disease", "infection", "toxicity", "other", "unknown")),
            ),
            event_rows(ids, site, "last_follow_up", last_day, np.ones(n, dtype=bool)),
        ]
    )
    line_start = diagnosis + rng.integers(3, 30, n)
    end_of_line1 = np.where(progressed, prog_day, np.where(dead, last_day, -1))
    lines, transplants = _lines_and_transplants(
        rng,
        ids,
        site,
        regimens=regimens,
        regimen_of=regimen_of,
        start=line_start,
        stop=end_of_line1,
        last_day=last_day,
        age=age,
        progressed=progressed,
        prog_day=prog_day,
        dead=dead,
        real_world=cohort.data_origin == "real_world",
    )
    groups = pl.DataFrame(
        {
            "patient_id": ids,
            "iss": labs.iss,
            "riss": labs.riss,
            "r2iss": labs.r2iss,
            "os_days": np.minimum(t_death, censor),
            "os_event": dead,
            "pfs_event": progressed | dead,
        }
    )
    tables = {
        "patients": conform(patients, "patients"),
        "baseline": conform(labs.baseline, "baseline"),
        "genetics": conform(labs.genetics, "genetics"),
        "treatment_lines": lines,
        "transplants": transplants,
        "events": events,
    }
    truth = Truth(tables=tables, groups=groups)
    if cohort.registry_entry is None:
        return truth
    # a child stream: the cohort's own draws stay those made before registry entry existed
    return register(
        truth, cohort.registry_entry, rng.spawn(1)[0], diagnosis=diagnosis, last=last_day
    )


def _assign_regimens(
    studies: tuple[Study, ...], study: np.ndarray, arm: np.ndarray
) -> tuple[list[Regimen], pl.Series, np.ndarray]:
    """Regimen list, arm labels and each patient's index into the regimen list."""
    regimens: list[Regimen] = []
    arm_labels: list[str | None] = []
    table = np.zeros((len(studies), 2), dtype=np.int64)
    for i, s in enumerate(studies):
        for j in range(2):
            label, regimen = s.arms[j % len(s.arms)]
            table[i, j] = len(regimens)
            regimens.append(regimen)
            arm_labels.append(label)
    regimen_of = table[study, arm]
    arm_names = pl.Series(arm_labels, dtype=pl.String).gather(pl.Series(regimen_of))
    return regimens, arm_names.alias("study_arm"), regimen_of


def _lines_and_transplants(
    rng: np.random.Generator,
    ids: pl.Series,
    site: str,
    *,
    regimens: list[Regimen],
    regimen_of: np.ndarray,
    start: np.ndarray,
    stop: np.ndarray,
    last_day: np.ndarray,
    age: np.ndarray,
    progressed: np.ndarray,
    prog_day: np.ndarray,
    dead: np.ndarray,
    real_world: bool,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = ids.len()
    fixed = np.array([r.fixed_days for r in regimens])[regimen_of]
    planned_end = np.where(fixed > 0, start + fixed, -1)
    end1 = np.where((planned_end > 0) & ((stop < 0) | (planned_end < stop)), planned_end, stop)
    end1 = np.where((end1 > 0) & (end1 > last_day), -1, end1)
    asct_eligible = np.array([r.asct for r in regimens])[regimen_of] & (age < 70)
    if real_world:
        asct_eligible &= rng.random(n) < 0.6
    asct_day = start + rng.integers(120, 180, n)
    has_asct = asct_eligible & (asct_day < np.where(progressed, prog_day, last_day))
    response1 = _responses(rng, [r.response for r in regimens], regimen_of)
    second = progressed & (prog_day + 45 < last_day)
    second_regimen = rng.integers(0, len(SECOND_LINE), n)
    start2 = prog_day + rng.integers(0, 45, n)
    line1 = _line_frame(
        ids,
        site,
        regimens,
        number=1,
        which=regimen_of,
        start=start,
        end=end1,
        response=response1,
        mask=np.ones(n, dtype=bool),
    )
    line2 = _line_frame(
        ids,
        site,
        list(SECOND_LINE),
        number=2,
        which=second_regimen,
        start=start2,
        end=np.where(dead, last_day, -1),
        response=_responses(rng, [r.response for r in SECOND_LINE], second_regimen),
        mask=second,
    )
    lines = pl.concat([line1, line2]).sort("_order", "line_number").drop("_order")
    index = np.flatnonzero(has_asct)
    transplants = pl.DataFrame(
        {
            "patient_id": ids.gather(index),
            "site": constant(site, index.size),
            "transplant_type": constant("autologous", index.size),
            "transplant_date": date_series(asct_day[index]),
            "conditioning": constant("MAC", index.size),
        }
    )
    return conform(lines, "treatment_lines"), conform(transplants, "transplants")


def _responses(
    rng: np.random.Generator, probs: list[tuple[float, ...]], which: np.ndarray
) -> pl.Series:
    cumulative = np.cumsum(np.asarray(probs), axis=1)[which]
    codes = (rng.random(which.size)[:, None] > cumulative).sum(axis=1)
    return labels(np.minimum(codes, len(IMWG_RESPONSES) - 1), IMWG_RESPONSES)


def _line_frame(
    ids: pl.Series,
    site: str,
    regimens: list[Regimen],
    *,
    number: int,
    which: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    response: pl.Series,
    mask: np.ndarray,
) -> pl.DataFrame:
    index = np.flatnonzero(mask)
    chosen = pl.Series(which[index])
    names = [r.name for r in regimens]
    agents = [r.agents for r in regimens]
    strategies = [r.strategy for r in regimens]
    agent_lists = pl.Series([list(a) for a in agents], dtype=pl.List(pl.String))
    return pl.DataFrame(
        {
            "patient_id": ids.gather(index),
            "site": constant(site, index.size),
            "line_number": pl.Series([number] * index.size, dtype=pl.Int16),
            "regimen": pl.Series(names, dtype=pl.String).gather(chosen),
            "agents": agent_lists.gather(chosen),
            "start_date": date_series(start[index]),
            "end_date": date_series(end[index], missing=end[index] < 0),
            "strategy": pl.Series(strategies, dtype=pl.String).gather(chosen),
            "best_response": response.gather(index),
            "_order": pl.Series(index, dtype=pl.Int64),
        }
    )
