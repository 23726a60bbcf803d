"""Risk score names given as arguments: checked against the registry, UNKNOWN_SCORE otherwise."""

from __future__ import annotations

from lake.cohort.risk import score
from lake.errors import AnalysisError

from schema.errors import UnknownScoreError


def score_version(name: str) -> str:
    """The version id of the registered score ``name`` (a name or a version id).

    Raises
    ------
    UnknownScoreError
        The score is not registered; the message lists the registered names and versions.
    """
    try:
        return score(name).version
    except AnalysisError as error:
        raise UnknownScoreError(str(error)) from error
