"""Query forms read back what was written (any reply text, XLSX or CSV), refuse foreign columns;
lifecycle transitions of loads, answers and waivers on hand-built states."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lake.errors import ConfigError, SourceError
from loaders.query_forms import FORM_COLUMNS, read_replies, write_form
from loaders.query_lifecycle import (
    answer_transitions,
    current_states,
    load_transitions,
    waive_transition,
)
from loaders.system_tables import DATA_QUERIES

AT = datetime(2026, 12, 1, tzinfo=UTC)
#: What a data manager may type in a cell: any text but control characters (an XLSX cell
#: cannot hold them) and lone surrogates; line breaks, quotes, separators, ``=`` included.
REPLY = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t"), min_size=1
).filter(lambda text: text.strip() == text and text != "")


def _form(replies: list[str | None]) -> pl.DataFrame:
    n = len(replies)
    columns: dict[str, list[str | None]] = {c: [f"{c}{i}" for i in range(n)] for c in FORM_COLUMNS}
    columns["reply"] = replies
    return pl.DataFrame(columns, schema=dict.fromkeys(FORM_COLUMNS, pl.String))


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(replies=st.lists(st.none() | REPLY, min_size=1, max_size=6))
def test_an_answered_form_reads_back_every_reply(
    suffix: str, replies: list[str | None], tmp_path: Path
) -> None:
    path = tmp_path / f"answered{suffix}"
    write_form(_form(replies), path)
    read = read_replies(path)
    expected = [(f"query_id{i}", r) for i, r in enumerate(replies) if r is not None]
    assert list(read.iter_rows()) == expected


def test_a_form_with_the_sites_ids_or_without_replies_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "answered.csv"
    _form(["fine"]).with_columns(pl.lit("P7").alias("codice")).write_csv(path)
    with pytest.raises(SourceError, match="'codice' are not part of the query form"):
        read_replies(path)
    _form(["fine"]).drop("reply").write_csv(path)
    with pytest.raises(SourceError, match="has no reply column"):
        read_replies(path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match=r"\.xlsx or \.csv"):
        read_replies(tmp_path / "notes.txt")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(SourceError, match="not a readable XLSX workbook"):
        read_replies(tmp_path / "broken.xlsx")


def _found(*ids: str) -> pl.DataFrame:
    columns = ("site", "query", "patient_id", "query_id", "message")
    rows = [("S", "q", f"p{i}", i, f"m{i}") for i in ids]
    return pl.DataFrame(rows, schema={k: DATA_QUERIES[k] for k in columns}, orient="row")


def _after(states: pl.DataFrame, transitions: pl.DataFrame) -> pl.DataFrame:
    return current_states(pl.concat([states, transitions]))


def _state(states: pl.DataFrame) -> dict[str, tuple[str, str]]:
    return {r["query_id"]: (r["state"], r["reason"]) for r in states.iter_rows(named=True)}


def test_loads_open_resolve_and_reopen_but_never_reopen_a_waiver() -> None:
    states = current_states(None)
    first = load_transitions(_found("a", "b", "c"), states, site="S", load_id="L1", at=AT)
    states = _after(states, first)
    assert _state(states) == dict.fromkeys("abc", ("open", "found"))

    reply = pl.DataFrame({"query_id": ["b"], "reply": ["  will fix  "]})
    answered = answer_transitions(reply, states, by="DM", at=AT.replace(day=2))
    assert answered["note"].to_list() == ["will fix"]
    states = _after(states, answered)
    states = _after(
        states, waive_transition("c", "known gap", states, by="DC", at=AT.replace(day=3))
    )
    second = load_transitions(_found("c"), states, site="S", load_id="L2", at=AT.replace(day=4))
    states = _after(states, second)
    assert _state(states) == {
        "a": ("closed", "resolved"),
        "b": ("closed", "resolved"),
        "c": ("closed", "waived"),
    }
    third = load_transitions(_found("a", "c"), states, site="S", load_id="L3", at=AT.replace(day=5))
    assert _state(third) == {"a": ("open", "reopened")}
    # another site's load closes nothing of this one
    assert load_transitions(_found(), states, site="T", load_id="L4", at=AT).is_empty()


def test_answers_and_waivers_are_refused_on_unknown_or_closed_queries() -> None:
    states = current_states(
        load_transitions(_found("a"), current_states(None), site="S", load_id="L", at=AT)
    )
    with pytest.raises(ConfigError, match="unknown query id"):
        answer_transitions(
            pl.DataFrame({"query_id": ["zz"], "reply": ["x"]}), states, by="DM", at=AT
        )
    assert answer_transitions(
        pl.DataFrame({"query_id": ["a"], "reply": ["   "]}), states, by="DM", at=AT
    ).is_empty()
    waived = _after(states, waive_transition("a", "ok", states, by="DC", at=AT.replace(day=2)))
    with pytest.raises(ConfigError, match="already closed"):
        answer_transitions(
            pl.DataFrame({"query_id": ["a"], "reply": ["x"]}), waived, by="DM", at=AT
        )
    with pytest.raises(ConfigError, match="already closed"):
        waive_transition("a", "again", waived, by="DC", at=AT)
