"""The fuzz suite: 10,000 requests generated from the SDL and from malformed HTTP against a real
uvicorn server on loopback. None may answer 5xx, an error without a code, or a masked internal
error; most ask as a statistician (governed access), some as an analyst (protected access)."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from lake.privacy.budget import PrivacySettings
from tests.service.conftest import ANALYST_KEY, STATISTICIAN_KEY, AppFactory, serving
from tests.service.sdl_fuzz import (
    DocumentGenerator,
    Request,
    document_request,
    malformed_request,
    sdl_schema,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
REQUESTS = 10_000
CLIENTS = 4  # keep-alive connections, one per thread
SECONDS = 300  # a bound that stops the loop, not a target: 70-110 s on 2 busy cores
ANALYST_SHARE = 0.2
MALFORMED_SHARE = 0.25


@dataclass
class Findings:
    """What the server answered, and every answer that breaks a rule."""

    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, request: Request, status: int, content_type: str, body: bytes) -> None:
        problems = []
        codes: list[str] = []
        if status >= 500:
            problems.append("5xx")
        if request.path.startswith(("/graphql", "/export")) and content_type.startswith(
            ("application/json", "application/graphql-response+json")
        ):
            payload = json.loads(body)
            for error in payload.get("errors") or []:
                code = (error.get("extensions") or {}).get("code")
                codes.append(str(code))
                if code is None:
                    problems.append("an error without a code")
                elif code == "INTERNAL_SERVER_ERROR":
                    problems.append("a masked internal error")
        elif request.path.startswith("/graphql") or status >= 400:
            problems.append(f"not a JSON answer ({content_type})")
        with self.lock:
            self.statuses[status] += 1
            self.codes.update(codes)
            if problems:
                what = f"{request.method} {request.path[:80]} {(request.body or b'')[:300]!r}"
                self.failures.append(f"{', '.join(problems)}: {what} -> {status} {body[:300]!r}")


def requests(seed: int, count: int) -> Iterator[Request]:
    rng = random.Random(seed)
    generator = DocumentGenerator(sdl_schema(), rng)
    for _ in range(count):
        key = ANALYST_KEY if rng.random() < ANALYST_SHARE else STATISTICIAN_KEY
        if rng.random() < MALFORMED_SHARE:
            yield malformed_request(rng, key)
        else:
            yield document_request(generator, key)


def client(url: str, seed: int, count: int, deadline: float, findings: Findings) -> None:
    """Send ``count`` requests on one keep-alive connection (reopened when the server closes
    it), until ``deadline``."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        for request in requests(seed, count):
            if time.monotonic() > deadline:
                return
            connection.request(request.method, request.path, request.body, request.headers)
            response = connection.getresponse()
            body = response.read()
            content_type = response.getheader("content-type") or ""
            findings.check(request, response.status, content_type, body)
    finally:
        connection.close()


def test_fuzzed_requests_get_coded_client_errors(app_factory: AppFactory, tmp_path: Path) -> None:
    app = app_factory(
        privacy=PrivacySettings(user_budget=1e9, deployment_budget=1e12),
        privacy_ledger=tmp_path / "privacy.sqlite",
    )
    findings = Findings()
    started = time.monotonic()
    with serving(app) as url:
        threads = [
            threading.Thread(
                target=client,
                args=(url, seed, REQUESTS // CLIENTS, started + SECONDS, findings),
            )
            for seed in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 30)
    seconds = time.monotonic() - started
    print(  # the measurement is part of the result
        f"{sum(findings.statuses.values())} requests in {seconds:.1f} s; statuses "
        f"{dict(sorted(findings.statuses.items()))}; codes {dict(findings.codes.most_common())}"
    )
    assert findings.failures == [], "\n".join(sorted({f[:200] for f in findings.failures})[:40])
    assert sum(findings.statuses.values()) == REQUESTS
