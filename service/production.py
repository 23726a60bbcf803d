"""What production mode refuses (``production = true``): settings safe on a laptop, unsafe on a
hospital network. :meth:`service.settings.Settings.__post_init__` raises with every problem.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Final

from service.oidc import is_loopback_or_https

if TYPE_CHECKING:
    from service.settings import Settings

#: Keys printed in the repository (docs, examples, tests): anyone can read them.
DEVELOPMENT_KEYS: Final = (
    "analyst-key",
    "statistician-key",
    "manager-key",
    "admin-key",
    "dev-key",
    "demo",
    "changeme",
    "secret",
    "test",
)
DEVELOPMENT_KEY_DIGESTS: Final = frozenset(
    hashlib.sha256(k.encode()).hexdigest() for k in DEVELOPMENT_KEYS
)
#: Where ``hemalake demo`` writes its lake (service/demo.py).
DEMO_DIRECTORY: Final = ".demo"


def production_problems(settings: Settings) -> list[str]:
    """Every reason ``settings`` are unsafe in production; empty when they are fine."""
    problems = []
    if settings.allow_anonymous:
        problems.append("allow_anonymous is on: every caller would be admitted as an analyst")
    if settings.oidc is None and not settings.api_keys:
        problems.append("no [oidc] issuer and no API keys: nobody could authenticate")
    leaked = sorted(d[:12] for d in settings.api_keys if d in DEVELOPMENT_KEY_DIGESTS)
    if leaked:
        problems.append(
            f"API key(s) {leaked} are development keys printed in the repository; make new ones"
        )
    if settings.oidc is not None:
        insecure = [u for u in settings.oidc.urls if not is_loopback_or_https(u)]
        if insecure:
            problems.append(f"oidc URLs {insecure} are not HTTPS: keys could be swapped in transit")
    if settings.audit_log is None:
        problems.append("no audit_log: the audit would be lost (set a file on a kept volume)")
    if DEMO_DIRECTORY in Path(settings.lake_root).parts:
        problems.append(f"lake_root {settings.lake_root} is the demo lake (synthetic data)")
    if "*" in settings.cors_origins:
        problems.append("cors_origins has '*': name the origins of the hospital's web apps")
    return problems
