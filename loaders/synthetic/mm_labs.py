"""Myeloma baseline labs and FISH at diagnosis, with the latent ISS / R-ISS / R2-ISS groups.

Shared by the myeloma trial/real-world generator and the allo-HSCT registry generator. Labs are
drawn in canonical units on a 0.01 grid (so a unit round-trip through the site's export is exact
to 1e-9) and moved off the ISS thresholds (:func:`~loaders.synthetic.sampling.avoid_thresholds`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from loaders.synthetic import scores
from loaders.synthetic.sampling import Bools, Codes, avoid_thresholds, lognormal, rounded, tri_state

#: Latent prevalence of the FISH abnormalities in newly diagnosed myeloma.
FISH_PREVALENCE = {"del17p": 0.10, "t4_14": 0.12, "t14_16": 0.04, "gain1q": 0.35}


@dataclass(frozen=True, slots=True)
class MyelomaBaseline:
    """Per-patient baseline and genetics frames plus latent staging codes."""

    baseline: pl.DataFrame
    genetics: pl.DataFrame
    iss: Codes
    riss: Codes
    r2iss: Codes


def myeloma_baseline(
    rng: np.random.Generator,
    ids: pl.Series,
    *,
    site: str,
    ldh_uln: float,
    fish_not_tested: float,
    gain1q_not_tested: float,
) -> MyelomaBaseline:
    """Draw labs and FISH for ``ids`` and stage them on the latent values."""
    n = ids.len()
    beta2m = rounded(np.clip(lognormal(rng, median=3.8, sigma=0.6, n=n), 0.8, 40.0), 2)
    beta2m = avoid_thresholds(beta2m, (3.5, 5.5), step=0.01)
    albumin = rounded(np.clip(rng.normal(3.6, 0.55, n), 1.6, 5.4), 2)
    albumin = avoid_thresholds(albumin, (3.5,), step=0.01)
    ldh = rounded(ldh_uln * lognormal(rng, median=0.8, sigma=0.3, n=n))
    latent: dict[str, Bools] = {k: rng.random(n) < p for k, p in FISH_PREVALENCE.items()}
    ldh_high = ldh > ldh_uln
    high_risk = latent["del17p"] | latent["t4_14"] | latent["t14_16"]
    iss = scores.iss(beta2m, albumin)
    riss = scores.riss(iss, high_risk, ldh_high)
    r2iss = scores.r2iss(
        iss,
        del17p=latent["del17p"],
        t4_14=latent["t4_14"],
        gain1q=latent["gain1q"],
        ldh_high=ldh_high,
    )
    baseline = pl.DataFrame(
        {
            "patient_id": ids,
            "site": pl.Series([site] * n, dtype=pl.String),
            "beta2m_mg_l": beta2m,
            "albumin_g_dl": albumin,
            "ldh_u_l": ldh,
            "ldh_uln_u_l": np.full(n, float(ldh_uln)),
            "creatinine_mg_dl": rounded(
                np.clip(lognormal(rng, median=1.0, sigma=0.45, n=n), 0.3, 15), 2
            ),
            "hemoglobin_g_dl": rounded(np.clip(rng.normal(10.8, 1.8, n), 5.0, 16.5), 1),
            "platelets_10e9_l": rounded(np.clip(rng.normal(220, 70, n), 15, 650)),
            "weight_kg": rounded(np.clip(rng.normal(74, 14, n), 40, 150), 1),
        }
    )
    panel_missing = rng.random(n) < fish_not_tested
    genetics = pl.DataFrame(
        {
            "patient_id": ids,
            "site": pl.Series([site] * n, dtype=pl.String),
            **{
                name: tri_state(
                    rng,
                    latent[name],
                    not_tested=np.where(
                        panel_missing, 1.0, gain1q_not_tested if name == "gain1q" else 0.02
                    ),
                )
                for name in FISH_PREVALENCE
            },
        }
    )
    return MyelomaBaseline(baseline, genetics, iss, riss, r2iss)
