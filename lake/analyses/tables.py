"""Tables cut from a GraphQL answer: a list of objects at a path, one row per object.

Shared by ``/export.csv`` (service/routes.py) and the study analyses' reports, so a table of a
report is the table ``/export.csv`` gives for the same question and path.
"""

from __future__ import annotations


def columns(row: dict[str, object], prefix: str = "") -> dict[str, object]:
    """A row's scalar fields, nested objects as dotted columns; lists are left out."""
    found: dict[str, object] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            found |= columns(value, f"{prefix}{key}.")
        elif not isinstance(value, list):
            found[f"{prefix}{key}"] = value
    return found


def rows_at(data: object, path: str) -> list[dict[str, object]]:
    """The rows of the list of objects at ``path`` (dot-separated fields from ``data``).

    A list met on the way is expanded: each of its objects continues the path, and its own
    columns (prefixed with the list's field name) are repeated on every row below it, so
    ``cohort.survival.groups.steps`` gives the steps of every group beside ``groups.group``.
    Raises :class:`KeyError` naming the path when it does not lead to a list of objects.
    """
    parts = path.split(".")
    level: list[tuple[dict[str, object], object]] = [({}, data)]
    for depth, part in enumerate(parts):
        below: list[tuple[dict[str, object], object]] = []
        for inherited, node in level:
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"path {path!r}: no field {part!r} in the result")
            value = node[part]
            if isinstance(value, list) and depth < len(parts) - 1:
                for item in value:
                    if not isinstance(item, dict):
                        raise KeyError(f"path {path!r}: {part!r} is not a list of objects")
                    below.append(({**inherited, **columns(item, f"{part}.")}, item))
            else:
                below.append((inherited, value))
        level = below
    rows: list[dict[str, object]] = []
    for inherited, node in level:
        if not isinstance(node, list) or not all(isinstance(row, dict) for row in node):
            raise KeyError(f"path {path!r} does not lead to a list of objects")
        rows += [{**inherited, **columns(row)} for row in node]
    return rows
