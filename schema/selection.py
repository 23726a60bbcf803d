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


def selects_within(info: Info[Any, Any], parent: str, name: str) -> bool:
    """Whether the field resolved selects ``name`` below its subfield ``parent`` (e.g. a
    group's ``medianFollowUp`` below ``groups``), directly or in fragments."""
    return any(
        _selects(child.selections, name)
        for field in info.selected_fields
        for child in _named(field.selections, parent)
    )


def _named(selections: Sequence[Selection], name: str) -> list[SelectedField]:
    """The subfields called ``name`` of ``selections``, fragments followed."""
    found: list[SelectedField] = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name:
                found.append(selection)
        else:
            found += _named(selection.selections, name)
    return found


def _selects(selections: Sequence[Selection], name: str) -> bool:
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name:
                return True
        elif _selects(selection.selections, name):
            return True
    return False
