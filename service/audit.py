"""The audit sink: one JSON line per query or refused HTTP request, written off the request path.

A request hands its record to a bounded queue and goes on; one writer thread takes what has
queued, writes it as one batch of JSON lines, flushes and ``fsync``\\s the file (durable: a batch
acknowledged by the writer survives a crash of the process), then takes the next batch. Under
load a batch holds many records, so the ``fsync`` is shared. No record is dropped:

- when the queue is full, :meth:`JsonLinesAuditSink.record` blocks until the writer has room
  (back-pressure on requests, never a silent loss);
- when the writer failed (the disk is full, the file is gone), every later
  :meth:`JsonLinesAuditSink.record` raises :class:`AuditWriteError` (an operator's problem, not
  the caller's: the client sees an internal error), so requests fail loudly rather than run
  unaudited;
- :meth:`JsonLinesAuditSink.close` (at shutdown) writes everything queued before it returns.

While :data:`CAPTURED` holds a list (the response cache's miss path,
:mod:`service.response_cache`), every record queued in that context is also appended to it, so
the records of a request's answer can be queued again when the answer is served again.

The log is a file (appended, ``fsync``\\ed per batch) or an object-storage prefix
(``s3://bucket/prefix``, with the lake's storage options: :mod:`lake.location`). Object storage
has no append, so there each batch becomes one immutable object,
``<prefix>/<YYYY-MM-DD>/<UTC time>-<host>-<pid>-<sequence>.jsonl`` (the lines of the file, in
the same format; names sort in write order per process), put only if no object has that name
yet; a batch acknowledged by the store is durable as an fsynced one is.

Without either the lines go to the ``hemalake.audit`` logger only (which does not propagate, so
audit lines never mix with the application log).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Final, TextIO

import obstore
import orjson

from lake.access import AuditRecord
from lake.location import LakeLocation, locate, store_errors
from service.auth import Authenticator, Unauthenticated

AUDIT_LOGGER = "hemalake.audit"
#: Records queued at most before :meth:`JsonLinesAuditSink.record` blocks.
DEFAULT_QUEUE_SIZE: Final = 10_000
#: Records written at most per batch (one write, one flush, one fsync).
BATCH_SIZE: Final = 1_000
#: How long the writer waits, once a record arrived, for more to batch with it.
LINGER_SECONDS: Final = 0.005
#: Tells the writer to stop once everything before it is written.
_STOP: Final = object()
#: The records queued by the current request, when it collects them (worker threads started by
#: ``anyio.to_thread`` copy the context, so the gateway's records land here too).
CAPTURED: ContextVar[list[AuditRecord] | None] = ContextVar("hemalake_audit_captured", default=None)


class AuditWriteError(RuntimeError):
    """The audit log cannot be written: queries are refused until it can."""


def audit_target(log: Path | str, options: Mapping[str, str] | None = None) -> Path | LakeLocation:
    """The audit log named by ``log``: a file (a path or ``file:///path``), or an object-storage
    prefix (``s3://bucket/prefix``) with ``options`` (``None``: from the ``AWS_*`` environment,
    as for the lake: :func:`lake.location.locate`)."""
    text = str(log)
    if "://" not in text:
        return Path(text)
    location = locate(text, options)
    return location if location.local is None else location.local


class _ObjectBatches:
    """Writes each batch of audit lines as one new object under an object-storage prefix."""

    def __init__(self, location: LakeLocation) -> None:
        self._location = location
        self._store = location.store()
        host = "".join(c if c.isalnum() or c in "-." else "_" for c in socket.gethostname())
        self._origin = f"{host or 'host'}-{os.getpid()}"
        self._sequence = 0

    def put(self, text: str) -> None:
        """Store ``text`` as the next object; never overwrites one (a conditional create).

        Raises
        ------
        lake.errors.StorageError
            The store refused or failed the write (an ``OSError``, as a disk's failure is).
        """
        self._sequence += 1
        now = dt.datetime.now(dt.UTC)
        name = f"{now:%Y-%m-%d}/{now:%Y%m%dT%H%M%S.%fZ}-{self._origin}-{self._sequence:012d}.jsonl"
        with store_errors(self._location):
            obstore.put(self._store, name, text.encode(), mode="create")


def _line(fields: Mapping[str, object]) -> str:
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS).decode()


def _fields(entry: AuditRecord, at: str) -> dict[str, object]:
    """The fields of ``entry``'s line, stamped ``at``."""
    return {
        "at": at,
        "user": entry.user,
        "role": entry.role,
        "action": entry.action,
        "operation_name": entry.operation_name,
        "query_hash": entry.query_hash,
        "lake_version": entry.lake_version,
        "outcome": entry.outcome,
        "code": entry.code,
        "access": entry.access,
        "epsilon": entry.epsilon,
    }


class JsonLinesAuditSink:
    """Queues audit records for a writer thread that appends them as JSON lines to ``path``
    (fsynced per batch), or writes each batch as one object under an object-storage prefix, or
    only to the ``hemalake.audit`` logger when ``path`` is ``None``.

    ``record`` and ``refusal`` are thread-safe and return once the line is queued; ``flush``
    waits until everything queued so far is written; ``close`` flushes and stops the writer.
    """

    def __init__(
        self, path: Path | LakeLocation | None, *, queue_size: int = DEFAULT_QUEUE_SIZE
    ) -> None:
        self._logger = logging.getLogger(AUDIT_LOGGER)
        self._logger.propagate = False
        self._logger.setLevel(logging.INFO)
        self._path = path
        self._objects = _ObjectBatches(path) if isinstance(path, LakeLocation) else None
        self._file: TextIO | None = (
            path.open("a", encoding="utf-8") if isinstance(path, Path) else None
        )
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._failure: BaseException | None = None
        self._closed = False
        self._writer = threading.Thread(target=self._write, name="hemalake-audit", daemon=True)
        self._writer.start()

    def record(self, entry: AuditRecord) -> None:
        """Queue one record (blocks while the queue is full); also collect it in
        :data:`CAPTURED` when the request collects its records."""
        captured = CAPTURED.get()
        if captured is not None:
            captured.append(entry)
        self._put(_line(_fields(entry, entry.at.isoformat())))

    def record_again(self, template: tuple[str, ...]) -> None:
        """Queue the records of a :meth:`template` again, stamped now, as one item (an answer
        served again: :mod:`service.response_cache`)."""
        if len(template) > 1:
            at = dt.datetime.now(dt.UTC).isoformat()
            self._put(f'"at":"{at}"'.join(template))

    @staticmethod
    def template(entries: Sequence[AuditRecord]) -> tuple[str, ...]:
        """The lines of ``entries`` split around their times, so :meth:`record_again` stamps
        them with one ``join`` instead of encoding them again. Keys are sorted and string values
        escaped, so the unescaped text ``"at":""`` occurs only as the time's key and value."""
        return tuple("\n".join(_line(_fields(entry, "")) for entry in entries).split('"at":""'))

    def refusal(
        self,
        *,
        method: str,
        path: str,
        status: int,
        code: str,
        headers: Mapping[str, str],
        authenticator: Authenticator,
    ) -> None:
        """Record an HTTP request refused before any query ran (401, 406, 413, an unknown
        persisted query).

        The caller is named when the request carried a valid API key (``null`` otherwise); the
        key itself, the query and the body are never written.
        """
        try:
            caller = authenticator.caller(headers)
        except Unauthenticated:
            user, role = None, None
        else:
            user, role = caller.user, caller.role
        self._put(
            _line(
                {
                    "at": dt.datetime.now(dt.UTC).isoformat(),
                    "user": user,
                    "role": role,
                    "action": f"http:{method} {path}",
                    "query_hash": None,
                    "lake_version": None,
                    "outcome": "denied",
                    "code": code,
                    "status": status,
                }
            )
        )

    def _put(self, line: str) -> None:
        """Queue ``line``; refuse loudly when the writer can no longer write."""
        self._raise_on_failure()
        if self._closed:
            raise AuditWriteError(f"the audit log {self._where} is closed: the request is refused")
        self._queue.put(line)

    @property
    def _where(self) -> str:
        return str(self._path) if self._path is not None else f"logger {AUDIT_LOGGER}"

    def _raise_on_failure(self) -> None:
        if self._failure is not None:
            raise AuditWriteError(
                f"the audit log {self._where} cannot be written ({self._failure}); queries are "
                "refused until it can: check the disk and the file's permissions (or the bucket "
                "and the storage settings), then restart"
            ) from self._failure

    def _write(self) -> None:
        """The writer thread: batches of lines, each written, flushed and fsynced."""
        while True:
            items = [self._queue.get()]
            # a burst of requests queues up meanwhile: one wake-up (and one fsync) for all of
            # it, rather than a thread switch per request on a busy event loop
            time.sleep(LINGER_SECONDS)
            while len(items) < BATCH_SIZE:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            lines = [item for item in items if isinstance(item, str)]
            try:
                if self._failure is None and lines:
                    self._emit(lines)
            except OSError as error:
                self._failure = error
            finally:
                for _ in items:
                    self._queue.task_done()
            if any(item is _STOP for item in items):
                return

    def _emit(self, lines: list[str]) -> None:
        if self._objects is not None:
            self._objects.put("\n".join(lines) + "\n")
            return
        if self._file is None:
            for line in "\n".join(lines).split("\n"):  # an item may hold several lines
                self._logger.info(line)
            return
        self._file.write("\n".join(lines) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def flush(self) -> None:
        """Wait until every record queued so far is written; raises if it could not be."""
        self._queue.join()
        self._raise_on_failure()

    def close(self) -> None:
        """Write everything queued, stop the writer and close the file (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._writer.join()
        if self._file is not None:
            self._file.close()
            self._file = None
        self._raise_on_failure()
