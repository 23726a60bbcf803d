"""How many bytes a cached value holds, for caches bounded by memory rather than by entries."""

from __future__ import annotations

import sys
from dataclasses import fields, is_dataclass

import numpy as np
import polars as pl


def _children(value: object) -> list[object]:
    """The objects ``value`` refers to that a deep size counts."""
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    if is_dataclass(value) and not isinstance(value, type):
        return [getattr(value, f.name) for f in fields(value)]
    slots = [s for klass in type(value).__mro__ for s in getattr(klass, "__slots__", ())]
    children = [getattr(value, s) for s in slots if s != "__weakref__" and hasattr(value, s)]
    if hasattr(value, "__dict__"):
        children.extend(vars(value).values())
    return children


def footprint(value: object) -> int:
    """Approximate bytes held by ``value`` and everything it refers to, each object once.

    ``sys.getsizeof`` summed over containers, dataclass fields, slots and instance attributes;
    Polars series and frames count their buffers (``estimated_size``), NumPy arrays theirs
    (``nbytes``). Classes, modules and functions are not followed (they are shared, not held).
    Iterative, so deep values cannot reach the recursion limit.
    """
    seen: set[int] = set()
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, pl.Series | pl.DataFrame):
            total += int(item.estimated_size())
        elif isinstance(item, np.ndarray):
            total += sys.getsizeof(item) + (0 if item.base is not None else item.nbytes)
        elif isinstance(item, type) or callable(item):
            continue
        else:
            total += sys.getsizeof(item)
            if not isinstance(item, str | bytes | int | float | bool | None):
                stack.extend(_children(item))
    return total
