"""Shared pieces of the bundled site profiles: data cutoff, FISH panel, code-map helpers."""

from __future__ import annotations

import datetime as dt

CUTOFF = dt.date(2025, 6, 30)
FISH = ("del17p", "t4_14", "t14_16", "gain1q")


def markers(present: str, absent: str, not_tested: str) -> dict[str, str]:
    """Tri-state marker codes in the site's spelling."""
    return {present: "present", absent: "absent", not_tested: "not_tested"}
