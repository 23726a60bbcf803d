"""The audit sink: one JSON line per query or refused HTTP request, on its own logger and file."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from pathlib import Path

from lake.access import AuditRecord
from service.auth import Authenticator, Unauthenticated

AUDIT_LOGGER = "hemalake.audit"


class JsonLinesAuditSink:
    """Writes audit records as JSON lines to ``path`` (or only to the ``hemalake.audit`` logger).

    The logger does not propagate, so audit lines never mix with the application log.
    """

    def __init__(self, path: Path | None) -> None:
        self._logger = logging.getLogger(AUDIT_LOGGER)
        self._logger.propagate = False
        self._logger.setLevel(logging.INFO)
        self._handler: logging.Handler | None = None
        if path is not None:
            self._handler = logging.FileHandler(path, encoding="utf-8")
            self._handler.setFormatter(logging.Formatter("%(message)s"))
            self._logger.addHandler(self._handler)

    def record(self, entry: AuditRecord) -> None:
        """Write one record (thread-safe: logging handlers lock)."""
        self._logger.info(
            json.dumps(
                {
                    "at": entry.at.isoformat(),
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
                },
                sort_keys=True,
            )
        )

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
        """Record an HTTP request refused before any query ran (401, 406, 413).

        The caller is named when the request carried a valid API key (``null`` otherwise); the
        key itself, the query and the body are never written.
        """
        try:
            caller = authenticator.caller(headers)
        except Unauthenticated:
            user, role = None, None
        else:
            user, role = caller.user, caller.role
        self._logger.info(
            json.dumps(
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
                },
                sort_keys=True,
            )
        )

    def close(self) -> None:
        """Detach and close the file handler."""
        if self._handler is not None:
            self._logger.removeHandler(self._handler)
            self._handler.close()
            self._handler = None
