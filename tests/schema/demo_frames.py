"""A seeded in-memory lake for API tests: model-shaped frames behind the TableSource protocol.

The storage layer is not under test in schema/service tests, so tables are held in memory; every
frame is built with the model's schema so a drift in :mod:`lake.model` breaks these tests.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from lake.errors import UnknownVersionError
from lake.model import IMWG_RESPONSES, table


class FrameSource:
    """Model-shaped tables held in memory at one lake version."""

    def __init__(self, frames: dict[str, pl.DataFrame], *, version: int = 1) -> None:
        self._frames = frames
        self.version = version

    def scan(self, table_name: str) -> pl.LazyFrame:
        """The table, or an empty frame with the model's schema when none was given."""
        schema = table(table_name).schema
        return self._frames.get(table_name, pl.DataFrame(schema=schema)).lazy()


class FrameLake:
    """Several versions of an in-memory lake; an unknown version raises ``UnknownVersionError``."""

    def __init__(self, *versions: FrameSource) -> None:
        self._versions = {v.version: v for v in versions}
        self.opened: list[int | None] = []

    def open(self, lake_version: int | None) -> FrameSource:
        """The snapshot at ``lake_version`` (``None``: newest)."""
        self.opened.append(lake_version)
        if lake_version is None:
            return self._versions[max(self._versions)]
        if lake_version not in self._versions:
            newest = max(self._versions)
            raise UnknownVersionError(
                f"the lake has no version {lake_version}; the newest is {newest}"
            )
        return self._versions[lake_version]


def _shape(name: str, columns: dict[str, object]) -> pl.DataFrame:
    schema = table(name).schema
    return pl.DataFrame(columns).select(
        pl.col(c).cast(t) if c in columns else pl.lit(None, dtype=t).alias(c)
        for c, t in schema.items()
    )


def demo_frames(n: int = 200, *, seed: int = 20240501) -> dict[str, pl.DataFrame]:
    """``n`` myeloma patients over two sites with labs, FISH, lines, transplants and events."""
    rng = np.random.default_rng(seed)
    ids = [f"p{i:05d}" for i in range(n)]
    sites = rng.choice(["AMS", "ROT"], size=n).tolist()
    diagnosis = [dt.date(2015, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 2000, n)]
    patients = _shape(
        "patients",
        {
            "patient_id": ids,
            "site": sites,
            "source_study": rng.choice(["HOVON-143", "REGISTRY"], size=n).tolist(),
            "data_origin": ["trial"] * n,
            "sex": rng.choice(["M", "F"], size=n).tolist(),
            "age_at_diagnosis": np.round(rng.uniform(40, 85, n), 1).tolist(),
            "disease": ["MM"] * n,
            "diagnosis_date": diagnosis,
        },
    )
    baseline = _shape(
        "baseline",
        {
            "patient_id": ids,
            "site": sites,
            "beta2m_mg_l": np.round(rng.lognormal(1.2, 0.6, n), 2).tolist(),
            "albumin_g_dl": np.round(rng.uniform(2.5, 4.8, n), 1).tolist(),
        },
    )
    del17p = rng.choice(["present", "absent", "not_tested"], size=n, p=[0.1, 0.7, 0.2])
    genetics = _shape("genetics", {"patient_id": ids, "site": sites, "del17p": del17p.tolist()})
    lines = _shape(
        "treatment_lines",
        {
            "patient_id": ids,
            "site": sites,
            "line_number": [1] * n,
            "agents": [["bortezomib", "lenalidomide", "dexamethasone"]] * n,
            "start_date": diagnosis,
            "strategy": rng.choice(["continuous", "fixed_duration"], size=n).tolist(),
            "best_response": rng.choice(list(IMWG_RESPONSES), size=n).tolist(),
        },
    )
    follow_up = rng.integers(30, 2500, n)
    died = rng.random(n) < 0.4
    events = _shape(
        "events",
        {
            "patient_id": ids + [i for i, d in zip(ids, died, strict=True) if d],
            "site": sites + [s for s, d in zip(sites, died, strict=True) if d],
            "event_type": ["last_follow_up"] * n + ["death"] * int(died.sum()),
            "event_date": [
                d + dt.timedelta(days=int(f)) for d, f in zip(diagnosis, follow_up, strict=True)
            ]
            + [
                d + dt.timedelta(days=int(f))
                for d, f, x in zip(diagnosis, follow_up, died, strict=True)
                if x
            ],
        },
    )
    return {
        "patients": patients,
        "baseline": baseline,
        "genetics": genetics,
        "treatment_lines": lines,
        "events": events,
    }
