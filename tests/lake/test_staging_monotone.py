"""A staging comparison where a stage has no events answers, or says why it cannot (fuzz suite).

Its Cox fit has an infinite hazard ratio for that stage (monotone likelihood, R warns). The
comparison releases no per-stage ratio, so the engine's warning must not turn the answer into an
internal error (the suite runs with warnings as errors). Where Newton's method reaches a singular
information matrix first (it depends on the floating-point path), the engine refuses with an
:class:`~lake.errors.AnalysisError` naming the divergence: a client error the API codes
BAD_REQUEST. Either is a proper answer; a raw warning or any other exception is not.
"""

from __future__ import annotations

import math

import polars as pl

from lake.cohort.endpoints import EndpointKey
from lake.cohort.models import StagingRequest, staging_summary
from lake.errors import AnalysisError


def _stage(values: list[str]) -> pl.Series:
    return pl.Series([{"category": v} for v in values])


def test_a_stage_without_events_answers_or_names_the_divergence() -> None:
    n = 40
    first = ["I" if i % 2 else "II" for i in range(n)]
    second = ["A" if i < n // 2 else "B" for i in range(n)]
    frame = pl.DataFrame(
        {
            "time_days": [float(10 + i) for i in range(n)],
            # stage B of the second system has no events at all
            "status": [1 if i < n // 2 and i % 3 else 0 for i in range(n)],
            "one": _stage(first),
            "two": _stage(second),
        }
    )
    key = EndpointKey(endpoint="OS", origin="diagnosis", landmark_days=0, line_number=None)
    try:
        summary = staging_summary(frame, StagingRequest(endpoint=key, scores=("one", "two")))
    except AnalysisError as error:
        refusal = str(error)
    else:
        refusal = ""
    if refusal:
        assert "diverge to infinity" in refusal
        return
    assert [s.system for s in summary.systems] == ["one", "two"]
    assert all(math.isfinite(s.aic) and math.isfinite(s.lr_statistic) for s in summary.systems)
