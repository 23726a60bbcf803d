"""The lake lock on object storage: one lock object written with S3 conditional writes.

A load's write phase spans several Delta tables and the manifest, so delta-rs' per-table
commit protocol (a conditional ``PUT`` of ``_delta_log/N.json`` with ``If-None-Match: *``) is
not enough to serialise two loads: it keeps each table's log linear, not the lake's.
The lock is therefore an object, ``<lake>/.hemalake.lock``, taken with the same primitive
delta-rs relies on (a create that fails if the object exists), so it needs nothing beyond
the bucket: no DynamoDB table, no lock server. The holder names itself in the object and
renews it every :data:`HEARTBEAT_SHARE` of the lease (a conditional update on the object's
ETag, so a holder that lost the lock notices instead of overwriting the new holder).

A killed holder cannot release it. A waiter that sees the same ETag for a whole lease, timed
on its own monotonic clock (no clock agreement needed between machines), takes the lock over
with a conditional update on that ETag: of several waiters exactly one wins.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Final

import obstore
from obstore.exceptions import AlreadyExistsError, BaseError, NotFoundError, PreconditionError
from obstore.store import S3Store

from lake.errors import LoadError
from lake.location import LakeLocation, store_errors

logger = logging.getLogger(__name__)

LOCK_OBJECT: Final = ".hemalake.lock"
#: Seconds a lock object may go unrenewed before a waiter takes it over (the holder renews it
#: every ``HEARTBEAT_SHARE`` of this). Environment override for tests that kill a holder.
LEASE_ENV: Final = "HEMALAKE_LOCK_LEASE_SECONDS"
DEFAULT_LEASE_SECONDS: Final = 30.0
HEARTBEAT_SHARE: Final = 0.2


def lease_seconds() -> float:
    """The lock lease: :data:`LEASE_ENV` if set, else :data:`DEFAULT_LEASE_SECONDS`."""
    return float(os.environ.get(LEASE_ENV, DEFAULT_LEASE_SECONDS))


def holder_of(lake: LakeLocation) -> str:
    """Who holds the lock, as its holder wrote it (``unknown`` if nobody or unreadable)."""
    try:
        text = bytes(obstore.get(lake.store(), LOCK_OBJECT).bytes()).decode()
    except (FileNotFoundError, BaseError, UnicodeDecodeError):
        return "unknown"
    return text.split("\n", 1)[0].strip() or "unknown"


@contextmanager
def object_lock(
    lake: LakeLocation,
    *,
    timeout: float | None,
    on_wait: Callable[[str], None] | None,
) -> Iterator[None]:
    """Hold the lake's lock object for the body (see the module docstring).

    Raises
    ------
    LoadError
        Still held by a live holder after ``timeout`` seconds (``None``: wait forever).
    """
    store = lake.store()
    lease = lease_seconds()
    identity = (
        f"host {socket.gethostname()}, pid {os.getpid()}, "
        f"since {datetime.now(UTC).isoformat(timespec='seconds')}"
    )
    with store_errors(lake):
        etag = _acquire(store, lake, identity, lease=lease, timeout=timeout, on_wait=on_wait)
    stop = threading.Event()
    current = [etag]
    beat = threading.Thread(
        target=_renew, args=(store, identity, current, stop, lease), daemon=True
    )
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join()
        with suppress(FileNotFoundError, BaseError):
            head = obstore.head(store, LOCK_OBJECT)
            if head["e_tag"] == current[0]:
                obstore.delete(store, LOCK_OBJECT)


def _acquire(
    store: S3Store,
    lake: LakeLocation,
    identity: str,
    *,
    lease: float,
    timeout: float | None,
    on_wait: Callable[[str], None] | None,
) -> str:
    deadline = None if timeout is None else time.monotonic() + timeout
    seen: tuple[str, float] | None = None  # (ETag, when first seen unchanged)
    told = False
    while True:
        try:
            etag = obstore.put(store, LOCK_OBJECT, _body(identity), mode="create")["e_tag"]
            if etag is not None:
                return etag
        except AlreadyExistsError:
            pass
        try:
            held = obstore.head(store, LOCK_OBJECT)["e_tag"] or ""
        except (FileNotFoundError, NotFoundError):
            continue  # released between our create and our look: try again at once
        now = time.monotonic()
        if seen is None or seen[0] != held:
            seen = (held, now)
        elif now - seen[1] >= lease:
            try:
                taken = obstore.put(store, LOCK_OBJECT, _body(identity), mode={"e_tag": held})[
                    "e_tag"
                ]
            except (PreconditionError, FileNotFoundError, NotFoundError):
                seen = None
                continue
            if taken is not None:
                logger.warning(
                    "took over the lake lock of %s: not renewed for %.0f s (holder gone)",
                    lake,
                    lease,
                )
                return taken
        holder = holder_of(lake)
        if not told and on_wait is not None:
            limit = "no time limit" if timeout is None else f"up to {timeout:g} s"
            on_wait(
                f"waiting for the lake lock ({lake.uri(LOCK_OBJECT)}), held by {holder}; "
                f"waiting {limit}"
            )
            told = True
        if deadline is not None and time.monotonic() >= deadline:
            raise LoadError(
                f"the lake lock ({lake.uri(LOCK_OBJECT)}) is still held by {holder} after "
                f"{timeout:g} s; nothing was written. A holder that was killed loses the lock "
                f"after {lease:g} s without renewal; retry the load then"
            )
        time.sleep(min(0.5, lease * HEARTBEAT_SHARE))


def _renew(
    store: S3Store, identity: str, current: list[str], stop: threading.Event, lease: float
) -> None:
    """Rewrite the lock object every ``HEARTBEAT_SHARE`` of the lease, conditioned on the ETag
    we wrote last; stops (logging an error) if another process took the lock over."""
    while not stop.wait(lease * HEARTBEAT_SHARE):
        try:
            etag = obstore.put(store, LOCK_OBJECT, _body(identity), mode={"e_tag": current[0]})[
                "e_tag"
            ]
        except (PreconditionError, FileNotFoundError, NotFoundError):
            logger.error("the lake lock was taken over while this load held it: renewal stopped")
            return
        except BaseError as exc:  # a transient network error: try again at the next beat
            logger.warning("could not renew the lake lock: %s", exc)
            continue
        if etag is not None:
            current[0] = etag


def _body(identity: str) -> bytes:
    """The lock object's content: the holder's identity, then a nonce so that every write
    has a new ETag (waiters judge liveness by the ETag changing)."""
    return f"{identity}\n{time.time_ns()}\n".encode()
