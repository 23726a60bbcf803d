"""Session fixtures shared across test packages: the bundled multi-site demo lake.

The demo lake is what ``hemalake demo`` serves: every bundled site of ``loaders/sites`` loaded
with :func:`loaders.load.load_site` (as ``hemalake load loaders/sites`` does) into a temporary
directory, with a fresh pseudonym key file beside it. It is built once per test session (a few
seconds) and must be treated as read-only by the tests that share it.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from loaders.cli import spec_paths
from loaders.load import load_site

logger = logging.getLogger(__name__)
#: ``s3_server``: SeaweedFS on loopback for the tests of lakes in object storage
pytest_plugins = ("tests.s3_server",)
SITES_DIR = Path(__file__).parents[1] / "loaders" / "sites"


@dataclass(frozen=True, slots=True)
class DemoLake:
    """The built demo lake: its root, key file, build time and the lake version of each site."""

    root: Path
    key_file: Path
    build_seconds: float
    site_versions: dict[str, int]
    #: patients each site's load accepted, from the loader's own report (an oracle for counts)
    site_patients: dict[str, int]

    @property
    def newest(self) -> int:
        """The newest lake version (the last site's load)."""
        return max(self.site_versions.values())


@pytest.fixture(scope="session")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> DemoLake:
    """Every bundled site loaded into a fresh lake, once per session (read-only for tests)."""
    base = tmp_path_factory.mktemp("demo")
    key_file = base / "pseudonym.key"
    key_file.write_text(secrets.token_hex(32))
    root = base / "lake"
    started = time.perf_counter()
    versions, patients = {}, {}
    for spec in spec_paths(SITES_DIR):
        result = load_site(spec, lake_root=root, key_file=key_file)
        if result.status != "committed" or result.lake_version is None:
            raise RuntimeError(f"demo lake: loading {spec} ended {result.status}")
        versions[result.site] = result.lake_version
        counts = result.counts.filter(pl.col("table") == "patients")
        patients[result.site] = int(counts.get_column("rows_accepted").sum())
    seconds = time.perf_counter() - started
    logger.info("demo lake built in %.1f s (%d sites)", seconds, len(versions))
    return DemoLake(
        root=root,
        key_file=key_file,
        build_seconds=seconds,
        site_versions=versions,
        site_patients=patients,
    )
