"""``hemalake serve`` runs uvicorn on uvloop and httptools unless told otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
import uvicorn

from service.cli import main


@pytest.mark.parametrize(
    ("flags", "loop", "http"),
    [([], "uvloop", "httptools"), (["--loop", "asyncio", "--http", "h11"], "asyncio", "h11")],
)
def test_serve_chooses_the_event_loop_and_http_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], loop: str, http: str
) -> None:
    ran: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: ran.update(options))
    assert main(["serve", "--lake", str(tmp_path / "lake"), *flags]) == 0
    assert (ran["loop"], ran["http"]) == (loop, http)
