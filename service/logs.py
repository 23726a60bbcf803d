"""Structured logs: one JSON object per line, each carrying the request id it was written under.

:class:`service.middleware.RequestMiddleware` sets :data:`REQUEST_ID` for each HTTP request
(and sends it back as ``X-Request-Id``); logging handlers run in the context of the code that
logs, and worker threads started with ``anyio.to_thread`` copy it, so every line written while a
request is served names it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from contextvars import ContextVar
from typing import Final

#: The id of the HTTP request being served, ``None`` outside one.
REQUEST_ID: Final[ContextVar[str | None]] = ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    """``{"at", "level", "logger", "request_id", "message"}``, plus ``"exception"`` (the
    traceback) when the record carries one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "at": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "request_id": REQUEST_ID.get(),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    """Send every logger's records (uvicorn's too) to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
