"""Run one blocking lake call off the event loop and translate its errors to public ones."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import ParamSpec, TypeVar

from anyio import to_thread
from lake.errors import HemalakeError

from schema.errors import public_error

P = ParamSpec("P")
T = TypeVar("T")


async def call_lake(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` in a worker thread; lake errors become public errors."""
    try:
        return await to_thread.run_sync(partial(fn, *args, **kwargs))
    except HemalakeError as error:
        raise public_error(error) from error
