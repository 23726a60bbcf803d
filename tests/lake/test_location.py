"""Lake locations: URL parsing and storage options (pure), and the lake on a real S3 server
(SeaweedFS, ``tests/s3_server.py``): writes, time travel, the lock object, safe readers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lake.errors import ConfigError, LakeError, LoadError
from lake.location import LakeLocation, locate, storage_options
from lake.object_lock import LEASE_ENV
from lake.storage import (
    commit_site_load,
    lake_lock,
    lock_holder,
    manifest_log_version,
    open_lake,
    vacuum_lake,
)
from tests.s3_server import S3Server

REPO = Path(__file__).resolve().parents[2]
_segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)


@given(bucket=_segment, prefix=st.lists(_segment, max_size=3))
def test_an_s3_url_keeps_bucket_and_prefix_and_names_tables_under_it(
    bucket: str, prefix: list[str]
) -> None:
    path = "/".join([bucket, *prefix])
    lake = locate(f"s3://{path}/", {"aws_region": "eu-west-1"})
    assert lake.url == f"s3://{path}"
    assert lake.local is None
    assert lake.uri("patients") == f"s3://{path}/patients"
    assert lake.delta_options == {"aws_region": "eu-west-1"}


def test_a_path_or_file_url_is_a_local_lake(tmp_path: Path) -> None:
    assert locate(tmp_path).local == tmp_path
    assert locate(f"file://{tmp_path}").local == tmp_path
    assert locate(str(tmp_path)).delta_options is None


def test_an_unsupported_scheme_or_a_bucketless_url_is_refused_naming_the_forms() -> None:
    with pytest.raises(ConfigError, match=r"s3://bucket/prefix"):
        locate("gs://bucket/lake")
    with pytest.raises(ConfigError, match="names no bucket"):
        locate("s3://")


def test_storage_settings_override_the_environment_and_unknown_keys_fail() -> None:
    environ = {"AWS_REGION": "env-region", "AWS_ACCESS_KEY_ID": "env-key"}
    options = storage_options({"region": "file-region", "allow_http": True}, environ)
    assert options == {
        "aws_region": "file-region",
        "aws_access_key_id": "env-key",
        "aws_allow_http": "true",
    }
    assert storage_options({}, {"AWS_DEFAULT_REGION": "r"}) == {"aws_region": "r"}
    with pytest.raises(ConfigError, match="unknown storage setting"):
        storage_options({"secret": "x"}, {})


def test_credentials_are_never_printed() -> None:
    lake = LakeLocation("s3://b/l", {"aws_secret_access_key": "s3cr3t"})
    assert "s3cr3t" not in repr(lake)
    assert "s3cr3t" not in str(lake)


def _site(site: str, values: list[int]) -> dict[str, pl.DataFrame]:
    return {"readings": pl.DataFrame({"site": [site] * len(values), "value": values})}


@pytest.mark.slow
def test_commits_time_travel_and_vacuum_on_s3(s3_server: S3Server) -> None:
    lake = s3_server.lake("unit-travel")
    for values in ([1, 2], [3, 4, 5]):
        with lake_lock(lake, timeout=30):
            commit_site_load(
                lake, site="A", load_id=str(values), tables=_site("A", values), metadata={}
            )
    with lake_lock(lake, timeout=30):
        commit_site_load(lake, site="B", load_id="b", tables=_site("B", [9]), metadata={})
    assert open_lake(lake).scan("readings").collect().sort("value")["value"].to_list() == [
        3,
        4,
        5,
        9,
    ]
    assert open_lake(lake, 1).scan("readings").collect()["value"].sort().to_list() == [1, 2]
    assert manifest_log_version(lake) == 2  # Delta commits 0, 1, 2 of the manifest

    with lake_lock(lake, timeout=30):
        kept = vacuum_lake(lake, keep=[1], dry_run=False)
    # version 1's file is pinned, version 2 only replaced A's rows: nothing of a kept version
    # goes, and every kept version still reads
    assert kept == []
    assert open_lake(lake, 1).scan("readings").collect().height == 2
    with lake_lock(lake, timeout=30):
        removed = vacuum_lake(lake, keep=[], dry_run=False)
    assert len(removed) == 1
    assert removed[0].uri.startswith(lake.url)
    assert open_lake(lake).scan("readings").collect().height == 4


def _hold_lock(lake: LakeLocation, seconds: float) -> subprocess.Popen[bytes]:
    code = (
        "import sys, time; from lake.storage import lake_lock\n"
        "with lake_lock(sys.argv[1]):\n"
        "    print('held', flush=True); time.sleep(float(sys.argv[2]))\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, lake.url, str(seconds)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
    )


@pytest.mark.slow
def test_the_s3_lock_blocks_a_live_holder_and_is_taken_over_from_a_killed_one(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LEASE_ENV, "5")  # renewed every second by a live holder
    lake = s3_server.lake("unit-lock")
    holder = _hold_lock(lake, 120)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        assert f"pid {holder.pid}" in lock_holder(lake)
        # alive and renewing: a waiter gives up after its timeout, naming the holder
        told: list[str] = []
        started = time.monotonic()
        with (
            pytest.raises(LoadError, match=f"pid {holder.pid}"),
            lake_lock(lake, timeout=5, on_wait=told.append),
        ):
            pass
        assert time.monotonic() - started >= 5
        assert len(told) == 1
        assert "waiting" in told[0]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.communicate(timeout=30)
    started = time.monotonic()
    with lake_lock(lake, timeout=30):
        waited = time.monotonic() - started
        assert f"pid {os.getpid()}" in lock_holder(lake)
    assert 5 <= waited < 20  # one lease without renewal, then the takeover
    assert lock_holder(lake) == "unknown"  # released


_READ = (
    "import sys; from lake.storage import open_lake, read_latest\n"
    "lake = open_lake(sys.argv[1])\n"
    "assert lake.scan('readings').collect().height > 0\n"
    "assert read_latest(sys.argv[1], '_manifest') is not None\n"
)


@pytest.mark.slow
def test_the_lake_reader_exits_cleanly_on_s3_every_time(s3_server: S3Server) -> None:
    """deltalake's ``to_pyarrow_table`` on S3 aborted the interpreter at exit (134) in about
    half the runs; the lake reads through Polars only, which must exit 0 every time."""
    lake = s3_server.lake("unit-travel")
    if manifest_log_version(lake) is None:
        with lake_lock(lake, timeout=30):
            commit_site_load(lake, site="A", load_id="r", tables=_site("A", [1]), metadata={})
    codes = []
    for _ in range(6):
        run = subprocess.run(
            [sys.executable, "-c", _READ, lake.url],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            timeout=120,
            check=False,
        )
        codes.append((run.returncode, run.stderr.decode()[-500:]))
    assert [code for code, _ in codes] == [0] * 6, codes


def test_an_unreachable_s3_lake_is_a_lake_error_naming_the_settings() -> None:
    lake = locate(
        "s3://nowhere/lake",
        {
            "aws_endpoint_url": "http://127.0.0.1:9",
            "aws_region": "us-east-1",
            "aws_access_key_id": "k",
            "aws_secret_access_key": "s",
            "aws_allow_http": "true",
            "aws_max_retries": "0",
        },
    )
    with pytest.raises(LakeError, match="AWS_ENDPOINT_URL"):
        open_lake(lake)
