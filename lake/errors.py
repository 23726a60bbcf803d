"""The one exception hierarchy of hemalake.

Every error a user can cause derives from :class:`HemalakeError` and says what is wrong, where,
and what to do about it. Programming errors stay ordinary Python exceptions.

::

    HemalakeError
    ├── ConfigError        a mapping spec, setting or option is invalid (names file and line)
    ├── SourceError        a site export cannot be read at all (names file, and row if known)
    ├── LoadError          a load could not be committed; the lake is unchanged
    │   └── SchemaMigrationError  a stored table cannot take the model's schema (type change,
    │                             removed or new required column)
    ├── LakeError          a lake table or version is missing or unreadable
    │   └── UnknownVersionError  the lake version asked for does not exist
    ├── AccessDeniedError  the caller's role does not allow this result (lake/query/gateway.py)
    │   └── BudgetExhaustedError  the release would exceed a privacy budget (lake/privacy)
    └── AnalysisError      a cohort or statistic cannot be computed as asked
        └── EmptyCohortError   the cohort (or a group of it) has no patients
"""

from __future__ import annotations


class HemalakeError(Exception):
    """Root of every error a data manager, analyst or client can act on."""


class ConfigError(HemalakeError):
    """A mapping spec, setting or option is invalid."""


class SourceError(HemalakeError):
    """A site export cannot be read (wrong format, missing column, broken file)."""


class LoadError(HemalakeError):
    """A load was refused or interrupted; the previous lake version is intact."""


class SchemaMigrationError(LoadError):
    """A stored table's schema cannot be migrated to the model's: only new nullable columns are
    added automatically; a changed type or a removed column needs the lake rebuilt."""


class LakeError(HemalakeError):
    """A lake table or version is missing or unreadable."""


class StorageError(LakeError, OSError):
    """Object storage refused or failed an operation (credentials, endpoint, network).

    Also an ``OSError``, so code that tolerates a failing disk tolerates a failing bucket."""


class UnknownVersionError(LakeError):
    """The lake version asked for does not exist (the lake itself is readable)."""


class AccessDeniedError(HemalakeError):
    """The caller's role does not allow the result asked for (checked in lake/query/gateway.py)."""


class AnalysisError(HemalakeError):
    """A cohort, score or statistic cannot be computed with the arguments given."""


class EmptyCohortError(AnalysisError):
    """The cohort, or a group of it after filtering, has no patients."""


class BudgetExhaustedError(AccessDeniedError):
    """A protected release would exceed the caller's (or the deployment's) privacy budget."""
