"""The boundary benchmark runs end to end on a small lake and reports sane figures."""

from __future__ import annotations

from pathlib import Path

from service.bench_boundary import run


def test_the_boundary_benchmark_measures_a_small_lake(tmp_path: Path) -> None:
    warm_s, p50_ms, baseline = run(3_000, 2, tmp_path / "lake")
    assert warm_s > 0
    assert p50_ms > 0
    assert baseline > 0
