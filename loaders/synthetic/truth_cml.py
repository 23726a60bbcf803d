"""CML chronic phase patients stopping TKI (EURO-SKI-like treatment-free remission attempt).

After the stop date, BCR::ABL1 is sampled monthly to month 6, every two months to month 12 and every
three months afterwards (ELN 2020 schedule, 03-cml.md §3.7). The latent molecular relapse time is
Weibull with the planted Sokal hazards (:data:`~loaders.synthetic.hazards.CML_MOLECULAR_RELAPSE`);
loss of MMR (IS > 0.1%) is seen at the first scheduled sample after it, and the TKI is restarted
7-45 days later. Eight quarterly deep-response samples precede the stop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl
from lake.model import BCR_ABL1_TRANSCRIPTS

from loaders.synthetic import scores
from loaders.synthetic.hazards import CML_MOLECULAR_RELAPSE
from loaders.synthetic.sampling import (
    DAYS_PER_YEAR,
    categorical,
    censoring_days,
    date_series,
    day_number,
    labels,
    lognormal,
    rounded,
    uniform_days,
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

#: Months after the TKI stop at which BCR::ABL1 is sampled.
SCHEDULE_MONTHS: Final = np.array(
    [1, 2, 3, 4, 5, 6, 8, 10, 12, *range(15, 121, 3)], dtype=np.float64
)
_DAYS_PER_MONTH: Final = DAYS_PER_YEAR / 12
#: Quarterly samples before the stop (5 years), none in the first year of TKI therapy.
_PRE_STOP_SAMPLES: Final = 20
#: log10 of BCR::ABL1 IS % before the deep response (MMR, not MR4: 0.011-0.089 %) and in it
#: (MR4 or deeper: at most 0.0089 %), after the stop (below MMR, any depth).
_MMR_ONLY_LOG10: Final = (-1.95, -1.05)
_DEEP_LOG10: Final = (-4.0, -2.05)
_AFTER_STOP_LOG10: Final = (-4.0, -1.05)
FIRST_LINE_TKIS: Final = ("imatinib", "nilotinib", "dasatinib")
SECOND_LINE_TKIS: Final = ("nilotinib", "dasatinib", "bosutinib")


@dataclass(frozen=True, slots=True)
class CmlCohort:
    """How the TKI-stop cohort's patients are drawn."""

    site: str
    first_person_id: int
    source_study: str
    start: dt.date
    end: dt.date
    cutoff: dt.date
    loss_per_year: float = 0.03


def generate_cml(cohort: CmlCohort, ids: pl.Series, rng: np.random.Generator) -> Truth:
    """Draw the CML patients ``ids`` (numeric strings: OMOP person ids)."""
    n, site = ids.len(), cohort.site
    diagnosis = uniform_days(rng, cohort.start, cohort.end, n)
    birth = diagnosis - (np.clip(rng.normal(52, 13, n), 18, 85) * DAYS_PER_YEAR).astype(np.int64)
    age = (diagnosis - birth) / DAYS_PER_YEAR
    spleen = np.where(rng.random(n) < 0.5, 0.0, rng.integers(1, 20, n).astype(np.float64))
    platelets = rounded(np.clip(lognormal(rng, median=380, sigma=0.5, n=n), 80, 2500))
    blasts = rounded(np.clip(rng.gamma(1.5, 1.0, n), 0, 12), 1)
    sokal_group = scores.sokal_group(scores.sokal(age, spleen, platelets, blasts))
    stop = diagnosis + (rng.uniform(5, 10, n) * DAYS_PER_YEAR).astype(np.int64)
    stop = np.minimum(stop, day_number(cohort.cutoff) - 200)
    t_relapse = weibull_ph_days(
        rng,
        np.asarray(CML_MOLECULAR_RELAPSE.hazard_ratios)[sokal_group],
        median_years=CML_MOLECULAR_RELAPSE.reference_median_years,
        shape=CML_MOLECULAR_RELAPSE.shape,
    )
    t_death = rng.exponential(80 * DAYS_PER_YEAR, n)
    censor = np.maximum(
        censoring_days(rng, stop, cutoff=cohort.cutoff, loss_per_year=cohort.loss_per_year), 35
    )
    follow = np.floor(np.minimum(t_death, censor)).astype(np.int64)
    sample_offsets = np.floor(SCHEDULE_MONTHS * _DAYS_PER_MONTH).astype(np.int64)
    first_after = np.searchsorted(sample_offsets, t_relapse, side="left")
    relapse_offset = sample_offsets[np.minimum(first_after, sample_offsets.size - 1)]
    relapsed = (first_after < sample_offsets.size) & (relapse_offset <= follow)
    restart_offset = relapse_offset + rng.integers(7, 45, n)
    restarted = relapsed & (restart_offset <= follow)
    dead = t_death <= censor
    last_day = stop + follow
    events = assemble_events(
        [
            event_rows(ids, site, "tki_stop", stop, np.ones(n, dtype=bool)),
            event_rows(ids, site, "tki_restart", stop + restart_offset, restarted),
            event_rows(
                ids,
                site,
                "death",
                last_day,
                dead,
                death_cause=constant("other", n),
            ),
            event_rows(ids, site, "last_follow_up", last_day, np.ones(n, dtype=bool)),
        ]
    )
    patients = patients_frame(
        ids,
        site=site,
        source_study=cohort.source_study,
        data_origin="real_world",
        disease="CML",
        sex=labels((rng.random(n) < 0.45).astype(np.int64), ("M", "F")),
        birth_year=date_series(birth).dt.year(),
        age_at_diagnosis=age,
        diagnosis=diagnosis,
        cml_phase=constant("chronic", n),
    )
    baseline = pl.DataFrame(
        {
            "patient_id": ids,
            "site": constant(site, n),
            "hemoglobin_g_dl": rounded(np.clip(rng.normal(12, 1.8, n), 6, 17), 1),
            "platelets_10e9_l": platelets,
            "wbc_10e9_l": rounded(np.clip(lognormal(rng, median=70, sigma=0.8, n=n), 5, 500), 1),
            "pb_blasts_pct": blasts,
            "basophils_pct": rounded(np.clip(rng.gamma(2.0, 1.5, n), 0, 25), 1),
            "eosinophils_pct": rounded(np.clip(rng.gamma(2.0, 1.0, n), 0, 15), 1),
            "spleen_cm": spleen,
            "weight_kg": rounded(np.clip(rng.normal(76, 14, n), 40, 150), 1),
        }
    )
    genetics = pl.DataFrame(
        {
            "patient_id": ids,
            "site": constant(site, n),
            "bcr_abl1_transcript": labels(
                categorical(rng, (0.35, 0.55, 0.10), n), BCR_ABL1_TRANSCRIPTS
            ),
        }
    )
    lines = _tki_lines(
        rng,
        ids,
        site,
        diagnosis=diagnosis,
        stop=stop,
        restart=stop + restart_offset,
        restarted=restarted,
    )
    samples = _samples(
        rng,
        ids,
        site,
        stop=stop,
        first_day=diagnosis + 365,
        offsets=sample_offsets,
        follow=follow,
        relapse_offset=relapse_offset,
        relapsed=relapsed,
    )
    groups = pl.DataFrame(
        {
            "patient_id": ids,
            "sokal_group": sokal_group,
            "relapse_event": relapsed,
            "mrfs_days": np.where(relapsed, relapse_offset, follow),
        }
    )
    return Truth(
        tables={
            "patients": conform(patients, "patients"),
            "baseline": conform(baseline, "baseline"),
            "genetics": conform(genetics, "genetics"),
            "treatment_lines": lines,
            "events": events,
            "bcr_abl1": samples,
        },
        groups=groups,
    )


def _tki_lines(
    rng: np.random.Generator,
    ids: pl.Series,
    site: str,
    *,
    diagnosis: np.ndarray,
    stop: np.ndarray,
    restart: np.ndarray,
    restarted: np.ndarray,
) -> pl.DataFrame:
    """First-line TKI, a switch for intolerance (20%), and the restart line after relapse."""
    n = ids.len()
    first = categorical(rng, (0.75, 0.15, 0.10), n)
    switched = rng.random(n) < 0.2
    switch_day = diagnosis + rng.integers(365, 1460, n)
    second = categorical(rng, (0.4, 0.4, 0.2), n)
    start1 = diagnosis + 7
    parts = [
        (
            np.ones(n, dtype=bool),
            1,
            FIRST_LINE_TKIS,
            first,
            start1,
            np.where(switched, switch_day, stop),
        ),
        (switched, 2, SECOND_LINE_TKIS, second, switch_day, stop),
    ]
    last_agent = np.where(
        switched,
        pl.Series(SECOND_LINE_TKIS).gather(pl.Series(second)).to_numpy(),
        pl.Series(FIRST_LINE_TKIS).gather(pl.Series(first)).to_numpy(),
    )
    frames = []
    for mask, number, names, which, start, end in parts:
        index = np.flatnonzero(mask)
        agent = pl.Series(names, dtype=pl.String).gather(pl.Series(which[index]))
        frames.append(_line(ids, site, index, agent=agent, number=number, start=start, end=end))
    index = np.flatnonzero(restarted)
    agent = pl.Series(last_agent[index], dtype=pl.String)
    restart_number = np.where(switched, 3, 2)
    restart_frame = _line(
        ids, site, index, agent=agent, number=0, start=restart, end=np.full(n, -1)
    )
    restart_frame = restart_frame.with_columns(
        line_number=pl.Series(restart_number[index], dtype=pl.Int16)
    )
    frames.append(restart_frame)
    lines = pl.concat(frames).sort("_order", "line_number").drop("_order")
    return conform(lines, "treatment_lines")


def _line(
    ids: pl.Series,
    site: str,
    index: np.ndarray,
    *,
    agent: pl.Series,
    number: int,
    start: np.ndarray,
    end: np.ndarray,
) -> pl.DataFrame:
    m = index.size
    return pl.DataFrame(
        {
            "patient_id": ids.gather(index),
            "site": constant(site, m),
            "line_number": pl.Series([number] * m, dtype=pl.Int16),
            "regimen": agent,
            "agents": agent.to_frame("agent").select(pl.concat_list("agent")).to_series(),
            "start_date": date_series(start[index]),
            "end_date": date_series(end[index], missing=end[index] < 0),
            "strategy": pl.Series(["continuous"] * m),
            "_order": pl.Series(index, dtype=pl.Int64),
        }
    )


def _samples(
    rng: np.random.Generator,
    ids: pl.Series,
    site: str,
    *,
    stop: np.ndarray,
    first_day: np.ndarray,
    offsets: np.ndarray,
    follow: np.ndarray,
    relapse_offset: np.ndarray,
    relapsed: np.ndarray,
) -> pl.DataFrame:
    """Pre-stop samples, post-stop samples up to relapse or follow-up end.

    Before the stop, each patient reaches a deep molecular response (MR4 or deeper) at a random
    quarter up to five years before it and stays there (ELN 2020 asks for MR4 at least two
    years, so some patients stop eligible and some not); earlier samples are in MMR only. After
    the stop, samples are below MMR until the relapse sample, which is above it.
    """
    n = ids.len()
    pre = -np.arange(_PRE_STOP_SAMPLES, 0, -1) * 91
    grid = np.concatenate([pre, offsets]).astype(np.int64)
    patient = np.repeat(np.arange(n), grid.size)
    offset = np.tile(grid, n)
    limit = np.where(relapsed, relapse_offset, follow)[patient]
    keep = (offset <= limit) & (offset >= (first_day - stop)[patient])
    patient, offset = patient[keep], offset[keep]
    deep_from = -91 * rng.integers(1, _PRE_STOP_SAMPLES + 1, n)
    in_mmr_only = offset < deep_from[patient]
    at_relapse = relapsed[patient] & (offset == relapse_offset[patient])
    m = patient.size
    detectable = at_relapse | in_mmr_only | (rng.random(m) < 0.35)
    low, high = np.select(
        [in_mmr_only, offset < 0],
        [np.array(_MMR_ONLY_LOG10)[:, None], np.array(_DEEP_LOG10)[:, None]],
        np.array(_AFTER_STOP_LOG10)[:, None],
    )
    below = rounded(10 ** rng.uniform(low, high), 5)
    lost = rounded(10 ** rng.uniform(-0.95, 0.7, m), 3)
    is_pct = np.where(at_relapse, lost, np.where(detectable, below, np.nan))
    return conform(
        pl.DataFrame(
            {
                "patient_id": ids.gather(patient),
                "site": constant(site, m),
                "sample_date": date_series(stop[patient] + offset),
                "detectable": detectable,
                "is_pct": pl.Series(is_pct, nan_to_null=True),
                "abl1_copies": rng.integers(20_000, 150_000, m),
            }
        ),
        "bcr_abl1",
    )
