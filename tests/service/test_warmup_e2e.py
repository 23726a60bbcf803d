"""The newest lake version is warmed off the request path: at start, and again after a load.

A real server over a lake the test loads into (two bundled sites, one at a time): ``/metrics``
shows the version warmed last, and it follows the load without any request asking for data. The
lake side is checked on its own: after :func:`lake.query.warmup.warm`, asking the common columns
derives nothing (the column cache logs every derivation at DEBUG).
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import time
from pathlib import Path

import httpx
import pytest

from lake.query.cohorts import CohortSnapshots
from lake.query.warmup import WARM_ATTRIBUTES, WARM_ENDPOINTS, warm
from lake.storage import LakeOpener
from loaders.load import load_site
from service.app import create_app
from tests.conftest import SITES_DIR, DemoLake
from tests.service.conftest import ADMIN_KEY, lake_settings, serving

pytestmark = [pytest.mark.e2e]


def _warmed_version(url: str) -> int | None:
    text = httpx.get(f"{url}/metrics", headers={"x-api-key": ADMIN_KEY}, timeout=10).text
    for line in text.splitlines():
        if line.startswith("hemalake_warm_lake_version "):
            return int(line.split()[1])
    return None


def _wait_for_warm(url: str, version: int, *, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while _warmed_version(url) != version:
        assert time.monotonic() < deadline, f"lake version {version} not warmed in {seconds} s"
        time.sleep(0.2)


def test_the_newest_version_is_warmed_at_start_and_after_a_load(
    demo_lake: DemoLake, tmp_path: Path
) -> None:
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text(secrets.token_hex(32))
    root = tmp_path / "lake"
    first, second = (SITES_DIR / site / "mapping.yaml" for site in ("EU-CMLSTOP", "IT-MMT"))
    loaded = load_site(first, lake_root=root, key_file=key_file)
    assert loaded.lake_version is not None
    settings = dataclasses.replace(
        lake_settings(demo_lake, tmp_path / "audit.jsonl"),
        lake_root=root,
        privacy_ledger=tmp_path / "privacy.sqlite",
        warm_interval_seconds=1,
    )
    with serving(create_app(settings=settings)) as url:
        _wait_for_warm(url, loaded.lake_version)
        again = load_site(second, lake_root=root, key_file=key_file)
        assert again.lake_version is not None
        assert again.lake_version > loaded.lake_version
        _wait_for_warm(url, again.lake_version)


def test_warming_builds_what_queries_read_first(
    demo_lake: DemoLake, caplog: pytest.LogCaptureFixture
) -> None:
    snapshots = CohortSnapshots(
        open_snapshot=LakeOpener(demo_lake.root), cohort_cache_size=4, versions_kept=1
    )
    warmed = warm(snapshots)
    assert warmed.lake_version == demo_lake.newest
    with caplog.at_level(logging.DEBUG, logger="lake.cohort.columns"):
        columns = snapshots.columns(warmed.lake_version)
        columns.attributes(WARM_ATTRIBUTES)
        for key in WARM_ENDPOINTS:
            columns.endpoint(key)
        assert not [r for r in caplog.records if "computing" in r.getMessage()]
        columns.attributes(["hemoglobin_g_dl"])  # not warmed: derived on first use
        assert [r for r in caplog.records if "computing" in r.getMessage()]
