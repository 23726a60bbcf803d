"""Whole GraphQL responses answered again on the event loop, before Strawberry runs.

A cached answer used to cost a full GraphQL execution (three worker-thread hops and about
1.5 ms of Strawberry) although its bytes were known. :class:`ResponseCache` keeps those bytes, so
:class:`service.graphql_app.HemalakeGraphQL` answers a request asked again with no thread hop and
no execution. Authentication, the middleware (request id, security headers, metrics, body limit)
and the audit still run on every request.

**Key** (:data:`ResponseKey`): the authenticated caller (user, role and site: two callers never
share an entry, even of one role), the request as sent (method, query string, ``Content-Type``,
``Accept``, body: the document text or persisted hash, operation name and variables, byte for
byte, so the key is finer than the question and can only miss more), and the lake's newest
manifest commit observed before the request ran (:class:`service.manifest_watch.ManifestWatch`).

**What is kept** (:meth:`Capture.cacheable`): a ``200`` answer without errors, to a governed
caller, of a query whose root fields are all in :data:`CACHEABLE_ROOT_FIELDS`. These answers
depend on the caller, the request and the lake version only, and the gateway already caches
them per version (:mod:`lake.query.gateway`): the response cache stores the bytes of what it
would serve again. Left out, so answered by Strawberry as before:

- protected callers: each answer carries the caller's privacy receipt (ε charged by this
  request, spent and remaining this period), which changes between two identical requests; their
  repeated question still returns the same release without spending twice (the ledger's stored
  draw and the gateway's release cache);
- ``lake``: site logs and privacy budgets change without a new lake version;
- errors, refusals and limits: every such request is checked again, as before.

**Staleness**: none beyond today's. Every request (hit or miss) looks for a newer manifest
commit first; an answer computed while a load landed is kept under the commit observed before it
ran, which the next request no longer observes.

**Audit**: the records a request wrote when it ran (its operation's record and one per gateway
release, :data:`service.audit.CAPTURED`) are kept with the answer and queued again
(:meth:`service.audit.JsonLinesAuditSink.record_again`: one item, no thread hop), stamped with
the time of each hit, so the audit log reads as if the request had run.

Entries are bounded by bytes (:class:`lake.query.release.LRUCache`, setting
``response_cache_bytes``); ``hits`` and ``misses`` are served on ``/metrics``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Final

from starlette.types import Send

from lake.access import AuditRecord, Caller
from lake.query.release import LRUCache
from schema.context import Context

#: Root fields whose answers depend only on the caller, the request and the lake version.
CACHEABLE_ROOT_FIELDS: Final = frozenset({"cohort", "dictionary", "modelVersion", "__typename"})
#: Default of the setting ``response_cache_bytes``.
DEFAULT_RESPONSE_CACHE_BYTES: Final = 64 * 1024 * 1024
#: Method, query string, ``Content-Type``, ``Accept``, body, caller, newest manifest commit.
ResponseKey = tuple[str, bytes, str, str, bytes, Caller, int]


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """An answer as the GraphQL view sent it, and the audit records its request wrote (as a
    :meth:`service.audit.JsonLinesAuditSink.template`).

    ``persisted_hash`` is the hash a persisted-query request sent without its text: the answer
    is served again only while the hash is registered (else the client is told to send it).
    ``key`` is kept so the entry's weight counts the request bytes too.
    """

    key: ResponseKey
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    audit: tuple[str, ...]
    persisted_hash: str | None


@dataclass
class Capture:
    """What the view learns while Strawberry answers a request the cache missed."""

    key: ResponseKey
    context: Context | None = None
    results: int = 0
    clean: bool = True
    persisted_hash: str | None = None
    audit: list[AuditRecord] = field(default_factory=list)

    @property
    def caller(self) -> Caller:
        """The authenticated caller the key names."""
        return self.key[5]

    def saw(self, *, has_errors: bool, has_data: bool) -> None:
        """Note one processed result (a batch has several: it is never kept)."""
        self.results += 1
        self.clean = self.clean and has_data and not has_errors

    def cacheable(self, status: int) -> bool:
        """Whether the answer may be served again (see the module's *What is kept*)."""
        if status != 200 or self.results != 1 or not self.clean or self.context is None:
            return False
        kind, _, fields = self.context.action.partition(" ")
        return kind == "graphql:query" and set(fields.split(",")) <= CACHEABLE_ROOT_FIELDS


#: The capture of the request being answered by Strawberry after a miss (read by the view's
#: hooks: context, body parsing, result processing).
CAPTURE: ContextVar[Capture | None] = ContextVar("hemalake_response_capture", default=None)


class ResponseCache:
    """Answers by :data:`ResponseKey`, least recently used evicted past ``max_bytes``.

    Used from the event loop only; ``newest`` gives the lake's newest manifest commit (``None``:
    no lake yet, nothing is cached).
    """

    def __init__(self, *, max_bytes: int, newest: Callable[[], int | None]) -> None:
        self._entries = LRUCache(capacity=max_bytes, max_bytes=max_bytes)
        self.newest = newest
        self.hits = 0
        self.misses = 0

    def find(self, key: ResponseKey, *, registered: Callable[[str], bool]) -> CachedResponse | None:
        """The answer kept for ``key``, counted as a hit or a miss; an answer to a persisted
        query's hash only while ``registered(hash)`` (an evicted hash is answered as before:
        not found)."""
        entry = self._entries.get(key)
        if isinstance(entry, CachedResponse) and (
            entry.persisted_hash is None or registered(entry.persisted_hash)
        ):
            self.hits += 1
            return entry
        self.misses += 1
        return None

    def keep(
        self,
        capture: Capture,
        *,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        audit: Callable[[Sequence[AuditRecord]], tuple[str, ...]],
    ) -> None:
        """Keep the answer of a captured request when :meth:`Capture.cacheable`."""
        if capture.cacheable(status):
            self._entries.put(
                capture.key,
                CachedResponse(
                    key=capture.key,
                    status=status,
                    headers=tuple(headers),
                    body=body,
                    audit=audit(capture.audit),
                    persisted_hash=capture.persisted_hash,
                ),
            )

    @property
    def bytes(self) -> int:
        """What the kept answers hold."""
        return self._entries.bytes

    def __len__(self) -> int:
        return len(self._entries)


async def send_cached(entry: CachedResponse, send: Send) -> None:
    """Send ``entry``'s answer as the view sent it."""
    await send(
        {"type": "http.response.start", "status": entry.status, "headers": list(entry.headers)}
    )
    await send({"type": "http.response.body", "body": entry.body})
