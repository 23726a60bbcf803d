"""The audit log on object storage (SeaweedFS, ``tests/s3_server.py``): each batch one immutable
object whose lines read back, in name order, exactly as the file sink writes them; a store that
cannot be written makes every later record fail loudly; the settings and ``hemalake analyse``
name the prefix with the lake's storage options.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import obstore
import pytest

from lake.access import AuditRecord
from lake.errors import ConfigError
from lake.location import LakeLocation, locate, storage_options
from service.audit import AuditWriteError, JsonLinesAuditSink, audit_target
from service.cli_analyse import default_audit_log
from service.settings import settings_from_mapping
from tests.s3_server import BUCKET, S3Server
from tests.service.conftest import free_port

#: ``<YYYY-MM-DD>/<UTC time>-<host>-<pid>-<sequence>.jsonl``
NAME = re.compile(r"(\d{4}-\d\d-\d\d)/(\d{8})T\d{6}\.\d{6}Z-[\w.-]+-\d+-\d{12}\.jsonl")


def entry(i: int) -> AuditRecord:
    return AuditRecord(
        at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=i),
        user=f"user{i}",
        role="analyst",
        action="graphql:Size",
        query_hash=f"{i:064d}",
        lake_version=1,
        outcome="ok",
        code=None,
    )


def objects(location: LakeLocation) -> list[tuple[str, str]]:
    """Every audit object under ``location``: (name, text), in name order."""
    store = location.store()
    names = sorted(e["path"] for batch in obstore.list(store, None) for e in batch)
    return [(name, bytes(obstore.get(store, name).bytes()).decode()) for name in names]


def test_batches_are_objects_that_read_back_as_the_file_lines_in_order(
    s3_server: S3Server, tmp_path: Path
) -> None:
    location = s3_server.lake("audit-unit")
    on_s3, on_disk = JsonLinesAuditSink(location), JsonLinesAuditSink(tmp_path / "audit.jsonl")
    for first in range(0, 60, 20):  # three flushes: at least three batches
        for sink in (on_s3, on_disk):
            for i in range(first, first + 20):
                sink.record(entry(i))
            sink.flush()
    on_s3.close()
    on_disk.close()
    written = objects(location)
    assert len(written) >= 3
    for name, text in written:
        match = NAME.fullmatch(name)
        assert match is not None, name
        assert match[1].replace("-", "") == match[2]  # the day's folder is the object's day
        assert text.endswith("\n")
    assert "".join(text for _, text in written) == (tmp_path / "audit.jsonl").read_text()


def test_concurrent_records_all_land_each_object_once(s3_server: S3Server) -> None:
    location = s3_server.lake("audit-concurrent")
    sink = JsonLinesAuditSink(location, queue_size=5)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: sink.record(entry(i)), range(300)))
    sink.close()
    lines = [line for _, text in objects(location) for line in text.splitlines()]
    assert sorted(lines) == sorted(set(lines))
    assert len(lines) == 300


def test_refused_credentials_make_every_later_record_fail_loudly(s3_server: S3Server) -> None:
    wrong = {**s3_server.environ, "AWS_SECRET_ACCESS_KEY": "not-the-secret"}
    sink = JsonLinesAuditSink(locate(f"s3://{BUCKET}/audit", storage_options(environ=wrong)))
    sink.record(entry(0))
    with pytest.raises(AuditWriteError, match=f"s3://{BUCKET}/audit"):
        sink.flush()
    with pytest.raises(AuditWriteError, match="storage settings"):
        sink.record(entry(1))
    with pytest.raises(AuditWriteError):
        sink.close()
    assert objects(s3_server.lake("audit")) == []


def test_an_unreachable_store_makes_the_sink_fail_loudly(s3_server: S3Server) -> None:
    closed = {**s3_server.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    sink = JsonLinesAuditSink(locate(f"s3://{BUCKET}/audit", storage_options(environ=closed)))
    sink.record(entry(0))
    started = time.monotonic()
    with pytest.raises(AuditWriteError, match=r"object storage"):
        sink.flush()
    with pytest.raises(AuditWriteError):
        sink.record(entry(1))
    assert time.monotonic() - started < 300


def test_settings_name_an_s3_audit_with_the_storage_table() -> None:
    settings = settings_from_mapping(
        {
            "lake_root": "s3://bucket/lake",
            "audit_log": "s3://bucket/audit/",
            "privacy_ledger": "privacy.sqlite",
            "storage": {"endpoint": "http://127.0.0.1:1", "region": "eu-west-1"},
        }
    )
    audit = settings.audit
    assert isinstance(audit, LakeLocation)
    assert audit.url == "s3://bucket/audit"
    assert audit.storage_options == settings.lake.storage_options
    on_disk = settings_from_mapping({"lake_root": "lake", "audit_log": "file:///var/a.jsonl"})
    assert on_disk.audit == Path("/var/a.jsonl")
    assert settings_from_mapping({"lake_root": "lake", "audit_log": "a.jsonl"}).audit == Path(
        "a.jsonl"
    )
    with pytest.raises(ConfigError):
        audit_target("ftp://host/audit")


def test_analyse_audits_beside_an_s3_lake_never_inside_it(tmp_path: Path) -> None:
    lake = locate("s3://bucket/lakes/main", {"aws_region": "eu-west-1"})
    beside = default_audit_log(lake)
    assert isinstance(beside, LakeLocation)
    assert beside.url == "s3://bucket/lakes/main-audit"
    assert beside.storage_options == lake.storage_options
    assert default_audit_log(tmp_path / "lake") == tmp_path / "lake-audit.jsonl"
    with pytest.raises(ConfigError, match="--audit-log"):
        default_audit_log("s3://bucket")
