"""Rust panic reports are dropped from captured stderr; everything else is kept as it was."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from loaders.panic_filter import without_panics

PANIC = (
    "thread 'tokio-runtime-worker' (17104) panicked at /home/runner/.cargo/registry/src/"
    "object_store-0.13.2/src/buffered.rs:369:41:\nAlready shut down\nstack backtrace:\n"
    "note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.\n"
)
lines = st.lists(
    st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=40).filter(
        lambda line: "panicked at" not in line
    ),
    max_size=8,
)


@given(lines, lines)
def test_a_panic_report_is_removed_and_the_rest_kept(before: list[str], after: list[str]) -> None:
    head = "".join(f"{line}\n" for line in before)
    tail = "".join(f"{line}\n" for line in after)
    assert without_panics(head + PANIC + tail) == head + tail
    assert without_panics(head + tail) == head + tail
