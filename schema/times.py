"""Requested ``times``: answered in the caller's order, asked of the lake once each, ascending.

A caller's ``times: [24, 12, 24]`` is answered as asked (``atTimes[i]`` answers ``times[i]``, a
repeated time again), while the lake request holds each distinct time once in ascending order
(:func:`lake_times`). One question is then one lake request whatever the order it was asked in:
one ``queryHash``, one cached result and one protected release (the privacy ledger is keyed by
the request, so a reordering neither spends budget again nor draws fresh noise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Protocol, TypeVar

from schema.errors import BadRequestError

MAX_TIMES: Final = 50


class AtTime(Protocol):
    """A lake answer at one requested time."""

    @property
    def time(self) -> float: ...


P = TypeVar("P", bound=AtTime)


def checked_times(times: list[float] | None) -> tuple[float, ...]:
    """The requested times in the caller's order, duplicates kept; at most 50, none negative.

    Examples
    --------
    >>> checked_times([24, 12, 24])
    (24, 12, 24)
    """
    if any(t < 0 for t in times or []) or len(times or []) > MAX_TIMES:
        raise BadRequestError(f"times: give at most {MAX_TIMES} times, none negative")
    return tuple(times or [])


def lake_times(asked: Sequence[float]) -> tuple[float, ...]:
    """The times of the lake request: each distinct time asked, once, ascending.

    Examples
    --------
    >>> lake_times((24.0, 12.0, 24.0))
    (12.0, 24.0)
    """
    return tuple(sorted(set(asked)))


def as_asked(points: Sequence[P], asked: Sequence[float]) -> list[P]:
    """The lake's points (one per distinct time) in the order asked, a repeated time again.

    A group that releases no time points (its size withheld) stays without them.
    """
    by_time = {p.time: p for p in points}
    return [by_time[t] for t in asked] if by_time else []
