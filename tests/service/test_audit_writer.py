"""The audit writer: records written off the request path, in batches, none lost.

Every record handed to the sink reaches the file by the time it is closed (a shutdown without a
kill), whatever the concurrency and however small the queue; a writer that cannot write makes
every later record fail loudly; through a real server, the audit rows equal the requests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from lake.access import AuditRecord
from service.audit import AuditWriteError, JsonLinesAuditSink
from tests.service.conftest import STATISTICIAN_KEY, AppFactory, serving

SIZE = "query Size { cohort { size { value } } }"


def entry(i: int) -> AuditRecord:
    return AuditRecord(
        at=dt.datetime.now(dt.UTC),
        user=f"user{i}",
        role="analyst",
        action="graphql:Size",
        query_hash=f"{i:064d}",
        lake_version=1,
        outcome="ok",
        code=None,
    )


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("queue_size", [1, 10_000])
def test_close_writes_every_record_from_every_thread(tmp_path: Path, queue_size: int) -> None:
    sink = JsonLinesAuditSink(tmp_path / "audit.jsonl", queue_size=queue_size)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: sink.record(entry(i)), range(2_000)))
    sink.close()
    written = lines(tmp_path / "audit.jsonl")
    assert sorted(str(w["user"]) for w in written) == sorted(f"user{i}" for i in range(2_000))


def test_flush_makes_queued_records_readable(tmp_path: Path) -> None:
    sink = JsonLinesAuditSink(tmp_path / "audit.jsonl")
    for i in range(3):
        sink.record(entry(i))
    sink.flush()
    assert [w["user"] for w in lines(tmp_path / "audit.jsonl")] == ["user0", "user1", "user2"]
    sink.close()


def test_a_writer_that_cannot_write_refuses_later_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(_: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    sink = JsonLinesAuditSink(tmp_path / "audit.jsonl")
    sink.record(entry(0))
    with pytest.raises(AuditWriteError, match="No space left on device"):
        sink.flush()
    with pytest.raises(AuditWriteError, match="cannot be written"):
        sink.record(entry(1))
    with pytest.raises(AuditWriteError):
        sink.close()


def test_a_closed_sink_refuses_records(tmp_path: Path) -> None:
    sink = JsonLinesAuditSink(tmp_path / "audit.jsonl")
    sink.close()
    with pytest.raises(AuditWriteError, match="closed"):
        sink.record(entry(0))


@pytest.mark.e2e
def test_audit_rows_equal_requests_through_a_real_server(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    audit_log = tmp_path / "served-audit.jsonl"
    requests = 40
    with serving(app_factory(audit_log=audit_log)) as url:

        def ask(_: int) -> int:
            headers = {"authorization": f"Bearer {STATISTICIAN_KEY}"}
            with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
                return http.post("/graphql", json={"query": SIZE}).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(ask, range(requests))) == {200}
    # the server stopped without a kill: its lifespan wrote every queued record
    rows = lines(audit_log)
    assert len([r for r in rows if r["action"] == "graphql:query cohort"]) == requests
    assert len([r for r in rows if r["action"] == "SizeRequest"]) == requests
