"""Validated documents remembered by their text, so a repeated query is parsed and validated once.

Validation does not depend on variables: the rules (GraphQL's and
:class:`schema.grouping.ListAttributeRule`) and the limits (:mod:`schema.limits`: depth, fields,
aliases, cost, all counted on the document) look at the document alone. A document that passed
them once passes them again, so its parsed AST, the rules it passed and its normalised text
(printed once, for the audit hash) are kept, bounded by the bytes they hold (setting
``query_cache_bytes``). Only documents without errors are kept: a refused document is checked
again on every request, as before, and errors (which the error extensions rewrite per request)
are never shared between requests.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import ASTValidationRule, DocumentNode
from lake.query.release import LRUCache

#: Default bound of a :class:`DocumentCache` (setting ``query_cache_bytes``).
DEFAULT_DOCUMENT_CACHE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CheckedDocument:
    """A document that parsed and passed ``rules`` and the limits; ``normalised`` is its printed
    form (whitespace and comments removed), the text the audit hashes."""

    query: str
    document: DocumentNode
    rules: tuple[type[ASTValidationRule], ...]
    normalised: str


class DocumentCache:
    """Valid documents by their text, least recently used evicted past ``max_bytes``."""

    def __init__(self, max_bytes: int = DEFAULT_DOCUMENT_CACHE_BYTES) -> None:
        self._entries = LRUCache(capacity=max_bytes, max_bytes=max_bytes)

    def find(
        self, query: str, rules: tuple[type[ASTValidationRule], ...]
    ) -> CheckedDocument | None:
        """The checked document of ``query`` when it passed the same ``rules``."""
        entry = self._entries.get(query)
        if isinstance(entry, CheckedDocument) and entry.rules == rules:
            return entry
        return None

    def normalised(self, query: str) -> str | None:
        """The normalised text of ``query`` when it is kept."""
        entry = self._entries.get(query)
        return entry.normalised if isinstance(entry, CheckedDocument) else None

    def keep(self, entry: CheckedDocument) -> None:
        """Remember ``entry`` (weighed by its footprint: text, AST and printed form)."""
        self._entries.put(entry.query, entry)

    @property
    def bytes(self) -> int:
        """What the kept documents hold."""
        return self._entries.bytes

    def __len__(self) -> int:
        return len(self._entries)
