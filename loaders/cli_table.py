"""A Polars frame printed as a terminal table (the loader commands' one output format)."""

from __future__ import annotations

import polars as pl
from rich.console import Console
from rich.table import Table


def print_frame(console: Console, title: str, frame: pl.DataFrame) -> None:
    """Print ``frame`` under ``title``; nulls print as empty cells."""
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(column)
    for row in frame.iter_rows():
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
