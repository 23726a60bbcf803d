"""The public error set: the only errors whose message reaches a client.

Each carries a stable ``code`` in ``extensions`` that clients branch on. Any other exception is
masked to "Unexpected error." by :func:`should_mask_error`. Messages say what to fix and never
contain patient data: they are built from the request's own arguments and the lake's code lists.

=====================  =============================================================
code                   meaning
=====================  =============================================================
BAD_REQUEST            an argument is invalid (names the field and the valid values)
UNKNOWN_SCORE          the risk score is not registered (lists the registered ones)
EMPTY_COHORT           the cohort, or a group of it, has no patients
FORBIDDEN              the caller's role does not allow this result
PRIVACY_BUDGET_EXCEEDED  the protected release would pass the caller's privacy budget
UNAUTHENTICATED        no valid API key was given
LAKE_UNAVAILABLE       the lake cannot be read (an outage: the server log says why)
NOT_FOUND              the pinned lake version does not exist (names the newest)
COST_LIMIT_EXCEEDED    the query asks for too many expensive fields at once
=====================  =============================================================

Errors from parsing, validation and the query limits carry GRAPHQL_PARSE_FAILED or
GRAPHQL_VALIDATION_FAILED, variables that do not coerce BAD_REQUEST, and masked errors
INTERNAL_SERVER_ERROR (:class:`CodedMaskErrors`), so every error a client sees has a code.

The service adds HTTP-level codes outside execution (``service/graphql_app.py``):
NOT_ACCEPTABLE (406), PAYLOAD_TOO_LARGE (413), NOT_FOUND (404), METHOD_NOT_ALLOWED (405), and
BAD_REQUEST (400) for a request that is not well-formed.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from graphql import GraphQLError, GraphQLSyntaxError
from lake import errors as lake_errors
from strawberry.extensions import MaskErrors

logger = logging.getLogger(__name__)


class PublicError(Exception):
    """An error whose message and code are shown to the client."""

    code: ClassVar[str] = "BAD_REQUEST"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.extensions = {"code": self.code}


class BadRequestError(PublicError):
    """An argument is invalid."""

    code = "BAD_REQUEST"


class UnknownScoreError(PublicError):
    """The risk score asked for is not registered."""

    code = "UNKNOWN_SCORE"


class EmptyCohortError(PublicError):
    """The cohort (or a group of it) has no patients."""

    code = "EMPTY_COHORT"


class ForbiddenError(PublicError):
    """The caller's role does not allow the result."""

    code = "FORBIDDEN"


class PrivacyBudgetExceededError(PublicError):
    """A protected release would pass the caller's (or the deployment's) privacy budget."""

    code = "PRIVACY_BUDGET_EXCEEDED"


class LakeUnavailableError(PublicError):
    """The lake cannot be read."""

    code = "LAKE_UNAVAILABLE"


class NotFoundError(PublicError):
    """The lake version asked for does not exist."""

    code = "NOT_FOUND"


def public_error(error: lake_errors.HemalakeError) -> PublicError:
    """The public error for a lake error; lake messages already say what to fix."""
    if isinstance(error, lake_errors.EmptyCohortError):
        return EmptyCohortError(str(error))
    if isinstance(error, lake_errors.BudgetExhaustedError):
        return PrivacyBudgetExceededError(str(error))
    if isinstance(error, lake_errors.AccessDeniedError):
        return ForbiddenError(str(error))
    if isinstance(error, lake_errors.UnknownVersionError):
        return NotFoundError(str(error))
    if isinstance(error, lake_errors.LakeError):
        return LakeUnavailableError(str(error))
    return BadRequestError(str(error))


def should_mask_error(error: GraphQLError) -> bool:
    """Mask every error raised while executing except the public ones.

    Errors without an original exception come from parsing and validation (including the
    depth, alias, token and cost limits), and errors coercing the variables wrap GraphQL's own
    error without a path (execution never started): they describe the query, not the data, and
    pass. A GraphQL error *with* a path (e.g. serialising a result value) is masked: it could
    quote a value.
    """
    original = error.original_error
    if original is None or isinstance(original, PublicError):
        return False
    return not (isinstance(original, GraphQLError) and error.path is None)


def error_code(error: GraphQLError) -> str:
    """The code of an error that has none of its own (see the module docstring)."""
    original = error.original_error
    if isinstance(original, GraphQLSyntaxError) or error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"  # graphql-core prefixes every syntax error so
    if original is None:
        return "GRAPHQL_VALIDATION_FAILED"
    if isinstance(original, GraphQLError) and error.path is None:
        return "BAD_REQUEST"
    return "INTERNAL_SERVER_ERROR"


def log_error(error: GraphQLError) -> None:
    """A client's error at INFO on one line (what it asked is not the server's fault); an
    internal one, which the client sees masked, at ERROR with its traceback."""
    where = ".".join(str(p) for p in error.path) if error.path else "request"
    if should_mask_error(error):
        original = error.original_error
        exc_info = (type(original), original, original.__traceback__) if original else None
        logger.error("internal error at %s: %s", where, error.message, exc_info=exc_info)
    else:
        code = (error.extensions or {}).get("code") or error_code(error)
        logger.info("client error %s at %s: %s", code, where, error.message.splitlines()[0])


class CodedMaskErrors(MaskErrors):
    """Strawberry's ``MaskErrors`` (with :func:`should_mask_error`), then a code on every error."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask_error)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        """The masked error, coded INTERNAL_SERVER_ERROR."""
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": error_code(error)}
        return processed
