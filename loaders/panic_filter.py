"""Keep Rust panic reports of the Delta writer off the data manager's terminal.

On a full disk (or a file size limit) delta-rs's object store panics in a worker thread
("thread '...' panicked at .../buffered.rs ... Already shut down", then a backtrace note) and
*then* returns the error the loader turns into its own message. The panic text, written by
Rust straight to file descriptor 2, names a library's source line and reads as a crash of the
load; the loader's message after it is the truth. :func:`rust_panics_filtered` sends fd 2 to a
temporary file while a load runs and replays it without the panic blocks; Python's own output
meant for the terminal while it runs (the lock-wait message) goes to the returned stream,
which is the original stderr.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Final, TextIO

#: The first line of a Rust panic report.
_PANIC_START: Final = re.compile(r"^thread '[^']*'.* panicked at ")
#: The last line of one (the backtrace note); a report without it ends at a blank line.
_PANIC_END: Final = re.compile(r"^note: .*RUST_BACKTRACE")


def without_panics(text: str) -> str:
    """``text`` minus every Rust panic report in it (from its ``thread '...' panicked at``
    line to its ``note: ... RUST_BACKTRACE`` line, or to a blank line)."""
    kept: list[str] = []
    in_panic = False
    for line in text.splitlines(keepends=True):
        if _PANIC_START.match(line):
            in_panic = True
        elif in_panic and (_PANIC_END.match(line) or not line.strip()):
            in_panic = False
        elif not in_panic:
            kept.append(line)
    return "".join(kept)


@contextmanager
def rust_panics_filtered() -> Iterator[TextIO]:
    """Capture fd 2 while the block runs, then write it to stderr minus panic reports.

    Yields the original stderr for output that must be seen at once. If no temporary file
    can be made (a full disk), nothing is captured and the real stderr is yielded.
    """
    sys.stderr.flush()
    with ExitStack() as stack:
        try:
            captured = stack.enter_context(tempfile.TemporaryFile())
        except OSError:
            yield sys.stderr
            return
        saved = os.dup(2)
        original = stack.enter_context(
            os.fdopen(os.dup(saved), "w", encoding="utf-8", errors="replace")
        )
        os.dup2(captured.fileno(), 2)
        try:
            yield original
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            original.write(without_panics(captured.read().decode("utf-8", errors="replace")))
            original.flush()
