"""Automatic persisted queries (APQ): a client sends a query's SHA-256 instead of its text.

The protocol is Apollo's, so Apollo Client's persisted-query link and others work unchanged.
A request carries ``extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}``:

- with the hash alone, the query registered under it runs; an unknown hash is answered with the
  error ``PersistedQueryNotFound`` (``extensions.code`` ``PERSISTED_QUERY_NOT_FOUND``), and the
  client sends the request again with the query;
- with the hash and the query, the hash must be the SHA-256 (hex) of the query's UTF-8 text
  (else ``400``); the query is registered under it (on its first send) and runs.

The query that runs is the registered text, so it goes through the same parsing, limits,
validation (once per text, :mod:`schema.documents`), access rules and audit as any other. The
store keeps the least recently used queries within ``max_bytes`` (setting ``query_cache_bytes``):
a hash evicted is simply not found, and the client registers it again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from typing import Final

from cross_web import HTTPException
from strawberry.http import GraphQLRequestData

from lake.query.release import LRUCache
from schema.documents import DEFAULT_DOCUMENT_CACHE_BYTES

#: ``extensions.code`` and message of an unknown hash (the names Apollo clients look for).
NOT_FOUND_CODE: Final = "PERSISTED_QUERY_NOT_FOUND"
NOT_FOUND_MESSAGE: Final = "PersistedQueryNotFound"
_SHA256_HEX: Final = re.compile(r"[0-9a-f]{64}")


class PersistedQueryNotFoundError(Exception):
    """The hash sent without a query is not registered (or was evicted)."""


class PersistedQueries:
    """The registered queries by the SHA-256 of their text, bounded by the bytes they hold."""

    def __init__(self, max_bytes: int = DEFAULT_DOCUMENT_CACHE_BYTES) -> None:
        self._queries = LRUCache(capacity=max_bytes, max_bytes=max_bytes)

    def __len__(self) -> int:
        return len(self._queries)

    def registered(self, digest: str) -> bool:
        """Whether a query is registered under ``digest`` (used, as :meth:`resolve` uses it)."""
        return self._queries.get(digest) is not None

    def resolve(self, data: GraphQLRequestData) -> GraphQLRequestData:
        """``data`` with the query a persisted-query request stands for (others unchanged).

        Raises
        ------
        PersistedQueryNotFoundError
            The hash came without a query and is not registered.
        HTTPException
            ``400``: the extension is malformed, of another version, or its hash is not the
            query's.
        """
        digest = persisted_hash_of(data)
        if digest is None:
            return data
        if data.query is None:
            query = self._queries.get(digest)
            if not isinstance(query, str):
                raise PersistedQueryNotFoundError(NOT_FOUND_MESSAGE)
            return dataclasses.replace(data, query=query)
        if hashlib.sha256(data.query.encode()).hexdigest() != digest:
            raise HTTPException(400, "persistedQuery.sha256Hash is not the SHA-256 of the query")
        if self._queries.get(digest) is None:
            self._queries.put(digest, data.query)
        return data


def persisted_hash_of(data: GraphQLRequestData) -> str | None:
    """The hash of ``data``'s ``persistedQuery`` extension, ``None`` without one (``400`` when
    malformed)."""
    extension = (data.extensions or {}).get("persistedQuery")
    return None if extension is None else persisted_hash(extension)


def persisted_hash(extension: object) -> str:
    """The hash of a well-formed ``persistedQuery`` extension (``400`` otherwise)."""
    if not isinstance(extension, dict) or extension.get("version") != 1:
        raise HTTPException(400, "persistedQuery must be an object with version 1")
    digest = extension.get("sha256Hash")
    if not isinstance(digest, str) or _SHA256_HEX.fullmatch(digest) is None:
        raise HTTPException(400, "persistedQuery.sha256Hash must be 64 lowercase hex digits")
    return digest
