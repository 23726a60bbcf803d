"""How a load tells the user what it is doing: a ``Reporter`` protocol, terminal and silent.

The loader calls the reporter at each stage and once at the end with the
:class:`~loaders.result.LoadResult`; it never prints itself (SQLMesh's ``Console`` pattern).
"""

from __future__ import annotations

from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from loaders.result import LoadResult


class Reporter(Protocol):
    """Receives a load's progress and summary."""

    def start(self, site: str, *, stages: int) -> None:
        """A load of ``site`` begins; it will report ``stages`` stages."""

    def stage(self, name: str) -> None:
        """The load reached stage ``name`` (registered, uploaded, mapped, validated, ...)."""

    def finish(self, result: LoadResult) -> None:
        """The load ended (committed or unchanged)."""

    def warn(self, message: str) -> None:
        """Something the data manager must see now (a wait for the lake lock, a warning)."""


class SilentReporter:
    """Reports no progress (tests, library use, the API); warnings only to ``warnings_to``."""

    def __init__(self, *, warnings_to: Console | None = None) -> None:
        self._warnings_to = warnings_to

    def warn(self, message: str) -> None:
        """Print the warning if a console was given."""
        if self._warnings_to is not None:
            self._warnings_to.print(f"[yellow]warning:[/] {message}", highlight=False)

    def start(self, site: str, *, stages: int) -> None:
        """Ignore the start."""

    def stage(self, name: str) -> None:
        """Ignore the stage."""

    def finish(self, result: LoadResult) -> None:
        """Print only the result's warnings (if a console was given)."""
        for warning in result.warnings:
            self.warn(warning)


class RichReporter:
    """A progress bar per load and a summary table of rows in / accepted / quarantined."""

    def __init__(self, *, console: Console | None = None) -> None:
        self._console = console or Console(stderr=True)
        self._progress: Progress | None = None
        self._task = TaskID(0)

    def start(self, site: str, *, stages: int) -> None:
        """Open a progress bar for ``site``."""
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[stage]}"),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(f"load {site}", total=stages, stage="")

    def warn(self, message: str) -> None:
        """Print the warning above the bar."""
        self._console.print(f"[yellow]warning:[/] {message}", highlight=False)

    def stage(self, name: str) -> None:
        """Advance the bar."""
        if self._progress is not None:
            self._progress.update(self._task, advance=1, stage=name)

    def finish(self, result: LoadResult) -> None:
        """Close the bar and print the per-file summary and quarantine reasons."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        title = (
            f"{result.site}: lake version {result.lake_version} ({result.status}), "
            f"load {result.load_id}"
        )
        table = Table(title=title)
        for header in ("file", "table", "rows in", "accepted", "quarantined"):
            table.add_column(header, justify="left" if header in ("file", "table") else "right")
        for row in result.counts.iter_rows(named=True):
            table.add_row(
                row["file"],
                row["table"],
                str(row["rows_in"]),
                str(row["rows_accepted"]),
                str(row["rows_quarantined"]),
            )
        self._console.print(table)
        for warning in result.warnings:
            self._console.print(f"[yellow]warning:[/] {warning}", highlight=False)
        for check, issues in sorted(result.issues_by_check.items()):
            self._console.print(f"  quarantine: {issues} issue(s) of check [bold]{check}[/]")
        if result.data_queries:
            self._console.print(f"  {result.data_queries} data quer(ies) raised for the site")
