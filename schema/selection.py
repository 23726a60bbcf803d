"""What a query selects below the field being resolved, for answers computed only when asked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection


def selects(info: Info[Any, Any], name: str) -> bool:
    """Whether the field resolved selects the subfield ``name`` (directly or in fragments).

    A subfield under ``@skip``/``@include`` counts as selected: at worst it is computed and not
    shown.
    """
    return any(_selects(field.selections, name) for field in info.selected_fields)


def _selects(selections: Sequence[Selection], name: str) -> bool:
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name:
                return True
        elif _selects(selection.selections, name):
            return True
    return False
