"""Cumulative-incidence step functions: the Aalen-Johansen estimate at every distinct time of a
group equals R cmprsk::cuminc there, and disclosure releases them as Kaplan-Meier steps (a prefix
of the exact steps with at least k at risk; none when a cause's or the censored count is
withheld)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.cohort.incidence import incidence_summary
from lake.disclosure import disclose_incidence
from tests.lake.test_disclosure_survival import NRM, POLICY, cohort, sizes_strategy

K = POLICY.min_cell_size
RSCRIPT = shutil.which("Rscript")
R_STEPS = """
library(cmprsk)
d <- read.csv(commandArgs(TRUE)[1])
out <- list()
for (g in unique(d$group)) {
  s <- d[d$group == g, ]
  fit <- cuminc(s$time_days, s$status, cencode = 0)
  times <- sort(unique(s$time_days))
  tp <- timepoints(fit, times)
  out[[g]] <- list(event = unname(tp$est["1 1", ]), competing = unname(tp$est["1 2", ]))
}
cat(jsonlite::toJSON(out, digits = NA))
"""


@pytest.mark.skipif(RSCRIPT is None, reason="R is not installed")
def test_exact_steps_equal_cmprsk_at_every_distinct_time(tmp_path: Path) -> None:
    frame = cohort([40, 70], 0, seed=11, causes=2)
    data = tmp_path / "d.csv"
    frame.write_csv(data)
    script = tmp_path / "steps.R"
    script.write_text(R_STEPS)
    assert RSCRIPT is not None
    run = subprocess.run(
        [RSCRIPT, str(script), str(data)], capture_output=True, text=True, timeout=120, check=True
    )
    r = json.loads(run.stdout)
    summary = incidence_summary(frame, NRM)
    for group in summary.groups:
        assert group.group is not None
        for cause in group.causes:
            expected = r[group.group][cause.cause]
            assert len(cause.steps) == len(expected)
            for step, value in zip(cause.steps, expected, strict=True):
                assert step.estimate == pytest.approx(value, rel=1e-6, abs=1e-12)


def test_steps_carry_the_risk_table() -> None:
    frame = cohort([50], 0, seed=12, causes=2)
    (group,) = incidence_summary(frame, NRM).groups
    event, competing = group.causes
    assert [s.time for s in event.steps] == [r.time for r in group.risk_table]
    assert [s.n_at_risk for s in event.steps] == [r.n_at_risk for r in group.risk_table]
    assert [s.events for s in event.steps] == [r.events[0] for r in group.risk_table]
    assert [s.events for s in competing.steps] == [r.events[1] for r in group.risk_table]
    assert sum(s.events for s in event.steps) == event.events


@settings(max_examples=40, deadline=None)
@given(sizes_strategy, st.integers(0, 2**16))
def test_released_steps_are_a_safe_prefix(sizes: list[int], seed: int) -> None:
    frame = cohort(sizes, 0, seed=seed, causes=2)
    exact = incidence_summary(frame, replace(NRM, times=()))
    released = disclose_incidence(exact, POLICY)
    for before, after in zip(exact.groups, released.groups, strict=True):
        lengths = {len(c.steps) for c in after.causes}
        assert len(lengths) <= 1  # every cause's curve ends at the same time
        withheld = any(c.events is None for c in after.causes)
        for full, shown in zip(before.causes, after.causes, strict=False):
            assert shown.steps == full.steps[: len(shown.steps)]
            assert all(s.n_at_risk >= K for s in shown.steps)
            if withheld:
                assert shown.steps == ()
        if after.n is None:
            assert after.causes == ()
