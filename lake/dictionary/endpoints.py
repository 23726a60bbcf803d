"""The derived endpoints of the data dictionary, read off the endpoint catalogue (never stored).

Endpoints are computed at query time from the ``events`` and ``bcr_abl1`` tables
(:mod:`lake.endpoints`). So that the dictionary cannot drift from the code, the event kinds each
endpoint counts are found by evaluating its definition's expressions on a probe frame holding
every outcome kind with every grade and systemic-IST value, and the time origins by asking
:class:`~lake.cohort.endpoints.EndpointKey` which ones it accepts.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from typing import Final

import polars as pl

from lake.cohort.endpoints import CATALOGUE
from lake.endpoints import EndpointDefinition
from lake.endpoints.definitions import MMR_LOSS, MMR_THRESHOLD_PCT, MOLECULAR_SAMPLE
from lake.model import AGVHD_GRADES, CGVHD_SEVERITIES, EVENT_TYPES

#: Outcome kinds an endpoint can count: stored event types plus the two derived from samples.
OUTCOME_KINDS: Final = (*EVENT_TYPES, MMR_LOSS, MOLECULAR_SAMPLE)
_GRADES: Final = (None, *AGVHD_GRADES, *CGVHD_SEVERITIES)
_ISTS: Final = (None, False, True)
_PROBE: Final = pl.DataFrame(
    list(product(OUTCOME_KINDS, _GRADES, _ISTS)),
    schema={"kind": pl.String, "grade": pl.String, "systemic_ist": pl.Boolean},
    orient="row",
)


@dataclass(frozen=True, slots=True)
class DerivedKind:
    """An outcome kind computed from stored rows at query time."""

    kind: str
    source: str
    definition: str


@dataclass(frozen=True, slots=True)
class EndpointEntry:
    """One endpoint an analyst can ask for, as plain values."""

    name: str
    label: str
    definition: str
    events: tuple[str, ...]
    competing: tuple[str, ...]
    censored_by: tuple[str, ...]
    follow_up: str
    ties_go_to: str
    origins: tuple[str, ...]


def derived_kinds() -> tuple[DerivedKind, ...]:
    """The outcome kinds :func:`lake.endpoints.outcome_rows` derives from ``bcr_abl1`` samples."""
    return (
        DerivedKind(
            MMR_LOSS,
            "bcr_abl1",
            f"molecular relapse (loss of MMR): a sample with detectable = true and is_pct > "
            f"{MMR_THRESHOLD_PCT:g} % IS; one such sample suffices (EURO-SKI, 03-cml.md §3.8)",
        ),
        DerivedKind(
            MOLECULAR_SAMPLE,
            "bcr_abl1",
            "every sample; the last one after the origin ends follow-up of molecular endpoints",
        ),
    )


def matching_kinds(condition: pl.Expr | None) -> tuple[str, ...]:
    """The outcome kinds (qualified by grade / systemic IST where it matters) ``condition`` selects.

    A kind is listed bare when every grade and IST value of it matches, as
    ``kind grade A/B`` or ``kind with systemic IST`` when the match is that product, and with its
    matching (grade, IST) pairs otherwise.
    """
    if condition is None:
        return ()
    hits = _PROBE.filter(condition.fill_null(False))
    described = []
    for kind in OUTCOME_KINDS:
        pairs = {
            (r["grade"], r["systemic_ist"])
            for r in hits.filter(pl.col("kind") == kind).rows(named=True)
        }
        if pairs:
            described.append(_describe(kind, pairs))
    return tuple(described)


def _describe(kind: str, pairs: set[tuple[str | None, bool | None]]) -> str:
    grades = [g for g in _GRADES if any(p[0] == g for p in pairs)]
    ists = [i for i in _ISTS if any(p[1] == i for p in pairs)]
    if pairs != set(product(grades, ists)):
        listed = "; ".join(f"grade {g}, systemic_ist {i}" for g, i in sorted(pairs, key=str))
        return f"{kind} ({listed})"
    text = kind
    if len(grades) < len(_GRADES):
        text += f" grade {'/'.join(str(g) for g in grades)}"
    if ists == [True]:
        text += " with systemic IST"
    elif len(ists) < len(_ISTS):
        text += f" with systemic_ist in {'/'.join(str(i) for i in ists)}"
    return text


def _definition(factory: Callable[[], EndpointDefinition]) -> str:
    """The definition function's docstring (rule, citation, conventions) on one line."""
    doc = inspect.getdoc(getattr(factory, "func", factory)) or ""
    return re.sub(r":\w+:`", "`", " ".join(doc.split()).replace("``", "`"))


def endpoint_entries() -> list[EndpointEntry]:
    """Every endpoint of the API catalogue: what is its event, competing event and censoring."""
    entries = []
    for name, factory in CATALOGUE.items():
        definition = factory()
        entries.append(
            EndpointEntry(
                name=name,
                label=definition.name,
                definition=_definition(factory),
                events=matching_kinds(definition.interest),
                competing=matching_kinds(definition.competing),
                censored_by=matching_kinds(definition.censor_at),
                follow_up=definition.follow_up,
                ties_go_to=definition.ties_go_to,
                origins=definition.origins,
            )
        )
    return entries
