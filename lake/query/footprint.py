"""How many bytes a cached value holds, for caches bounded by memory rather than by entries."""

from __future__ import annotations

import sys
from dataclasses import fields, is_dataclass
from typing import Final

import numpy as np
import polars as pl

#: A list or tuple longer than this is weighed from this many of its items, evenly spaced.
SAMPLE: Final = 32
_ATOMS: Final = frozenset({str, bytes, int, float, bool, type(None), complex})
#: The attribute names followed on instances of each type, found once per type.
_ATTRIBUTES: dict[type, tuple[str, ...]] = {}


def _attributes(kind: type, value: object) -> tuple[str, ...]:
    """The dataclass fields, else the slots, of ``kind`` (cached per type)."""
    names = _ATTRIBUTES.get(kind)
    if names is None:
        if is_dataclass(value):
            names = tuple(f.name for f in fields(value))
        else:
            slots = (s for k in kind.__mro__ for s in getattr(k, "__slots__", ()))
            names = tuple(s for s in slots if s not in {"__weakref__", "__dict__"})
        _ATTRIBUTES[kind] = names
    return names


def footprint(value: object) -> int:
    """Approximate bytes held by ``value`` and everything it refers to, each object once.

    ``sys.getsizeof`` summed over containers, dataclass fields, slots and instance attributes;
    Polars series and frames count their buffers (``estimated_size``), NumPy arrays theirs
    (``nbytes``). Classes, modules and functions are not followed (they are shared, not held). A
    list or tuple of more than :data:`SAMPLE` items (e.g. a curve's step records) is weighed
    from :data:`SAMPLE` evenly spaced items, scaled to its length, so weighing costs about the
    same for a curve of a hundred steps as for one of a hundred thousand.
    """
    return _footprint(value, set())


def _footprint(value: object, seen: set[int]) -> int:
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        kind = type(item)
        if kind in _ATOMS:
            total += sys.getsizeof(item)
        elif isinstance(item, list | tuple | set | frozenset):
            items = item if isinstance(item, list | tuple) else tuple(item)
            total += sys.getsizeof(item)
            if len(items) > SAMPLE:
                step = len(items) / SAMPLE
                sampled = sum(_footprint(items[int(i * step)], seen) for i in range(SAMPLE))
                total += sampled * len(items) // SAMPLE
            else:
                stack.extend(items)
        elif isinstance(item, dict):
            total += sys.getsizeof(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, pl.Series | pl.DataFrame):
            total += int(item.estimated_size())
        elif isinstance(item, np.ndarray):
            total += sys.getsizeof(item) + (0 if item.base is not None else item.nbytes)
        elif isinstance(item, type) or callable(item):
            continue
        else:
            total += sys.getsizeof(item)
            stack.extend(
                getattr(item, name) for name in _attributes(kind, item) if hasattr(item, name)
            )
            if hasattr(item, "__dict__"):
                stack.extend(vars(item).values())
    return total
