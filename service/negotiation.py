"""The response media type of a GraphQL request, from its ``Accept`` header.

GraphQL over HTTP (draft) with RFC 9110 §12.5.1 content negotiation:

- no ``Accept`` (or an empty one): ``application/json``, the legacy type every client reads;
- each media range may carry a weight ``q`` (default 1; ``q=0`` means "not acceptable"); a
  response type takes the weight of the most specific range that matches it (exact type, then
  ``application/*``, then ``*/*``);
- the type with the highest weight wins; at equal weight an exact range beats a wildcard, two
  exact ranges choose ``application/graphql-response+json``, and a wildcard alone chooses
  ``application/json`` (the graphql-http audit: "SHOULD accept ``*/*`` and use
  ``application/json``");
- ``None`` when neither type is acceptable (the view answers ``406``).
"""

from __future__ import annotations

from typing import Final

GRAPHQL_RESPONSE: Final = "application/graphql-response+json"
LEGACY_JSON: Final = "application/json"
#: how specific a media range is: an exact type, ``application/*``, ``*/*``
SPECIFICITY: Final = {"*/*": 0, "application/*": 1}


def media_ranges(accept: str) -> dict[str, float]:
    """Each media range of ``accept`` (lower case, parameters other than ``q`` dropped) with
    its weight; a weight that is not a number counts as 0."""
    ranges: dict[str, float] = {}
    for part in accept.split(","):
        media_range, *parameters = (p.strip() for p in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    weight = 0.0
        if media_range:
            ranges[media_range.lower()] = weight
    return ranges


def negotiate(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header, or ``None`` if none is acceptable."""
    if not accept or not accept.strip():
        return LEGACY_JSON
    ranges = media_ranges(accept)
    best: tuple[float, int, bool, str] | None = None
    for media_type in (GRAPHQL_RESPONSE, LEGACY_JSON):
        matching = [r for r in (media_type, "application/*", "*/*") if r in ranges]
        if not matching:
            continue
        media_range = matching[0]  # the most specific
        specificity = SPECIFICITY.get(media_range, 2)
        preferred = (media_type == GRAPHQL_RESPONSE) == (specificity == 2)
        candidate = (ranges[media_range], specificity, preferred, media_type)
        if best is None or candidate > best:
            best = candidate
    if best is None or best[0] == 0:
        return None
    return best[3]
