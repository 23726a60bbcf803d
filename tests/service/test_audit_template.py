"""An answer served again is audited with the very lines its request wrote, stamped anew.

:meth:`service.audit.JsonLinesAuditSink.template` splits the records' lines around their times
and :meth:`~service.audit.JsonLinesAuditSink.record_again` joins them with the time of the hit;
the result must be, line for line, what :meth:`~service.audit.JsonLinesAuditSink.record` writes
for the same records at that time, whatever text the client put in the free fields.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.access import AuditRecord
from service.audit import JsonLinesAuditSink

free_text = st.text(max_size=20) | st.sampled_from(['"at":""', '","at":"', "\n", "\\"])


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.one_of(st.none(), free_text), min_size=1, max_size=4),
    user=free_text,
    epsilon=st.one_of(st.none(), st.floats(0, 10)),
)
def test_recorded_again_is_recorded_at_the_new_time(
    tmp_path_factory: pytest.TempPathFactory,
    names: list[str | None],
    user: str,
    epsilon: float | None,
) -> None:
    first = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    entries = [
        AuditRecord(
            at=first,
            user=user,
            role="statistician",
            action="graphql:query cohort",
            operation_name=name,
            query_hash="0" * 64,
            lake_version=3,
            outcome="ok",
            code=None,
            epsilon=epsilon,
        )
        for name in names
    ]
    root = tmp_path_factory.mktemp("audit")
    again = JsonLinesAuditSink(root / "again.jsonl")
    again.record_again(JsonLinesAuditSink.template(entries))
    again.close()
    text = (root / "again.jsonl").read_text()
    written = [json.loads(line) for line in text.split("\n")[:-1]]  # not splitlines: U+0085
    assert len(written) == len(entries)
    stamped = dt.datetime.fromisoformat(str(written[0]["at"]))
    assert stamped > first
    direct = JsonLinesAuditSink(root / "direct.jsonl")
    for entry in entries:
        direct.record(dataclasses.replace(entry, at=stamped))
    direct.close()
    assert (root / "again.jsonl").read_text() == (root / "direct.jsonl").read_text()
