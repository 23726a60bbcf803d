"""Who may see what: callers, roles, the role matrix and the audit record.

Used only by :mod:`lake.query`, the boundary every result leaves ``lake/`` through. Kept apart so
the rules read as one table.

Role matrix
-----------
==============  =========  ===============  =================
role            aggregate  lake metadata    site operations
==============  =========  ===============  =================
analyst         yes        yes              no
statistician    yes        yes              no
data_manager    yes        yes              own site only
admin           yes        yes              every site
==============  =========  ===============  =================

*Aggregates* are counts and statistics over a cohort, always after disclosure control.
*Site operations* are the patient-level rows a data manager must act on (open data queries,
quarantined rows); they never leave for any other role.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal, Protocol, get_args

from lake.errors import AccessDeniedError

Role = Literal["analyst", "statistician", "data_manager", "admin"]
ROLES: Final[tuple[Role, ...]] = get_args(Role)
Action = Literal["aggregate", "lake_metadata", "site_operations"]

ROLE_ACTIONS: Final[dict[Role, frozenset[Action]]] = {
    "analyst": frozenset({"aggregate", "lake_metadata"}),
    "statistician": frozenset({"aggregate", "lake_metadata"}),
    "data_manager": frozenset({"aggregate", "lake_metadata", "site_operations"}),
    "admin": frozenset({"aggregate", "lake_metadata", "site_operations"}),
}


@dataclass(frozen=True, slots=True)
class Caller:
    """The identity a request runs under: user name, role and (data managers) home site."""

    user: str
    role: Role
    site: str | None = None


def check_access(caller: Caller, action: Action, *, site: str | None = None) -> None:
    """Raise :class:`AccessDeniedError` unless ``caller`` may perform ``action`` (on ``site``)."""
    if action not in ROLE_ACTIONS[caller.role]:
        raise AccessDeniedError(
            f"role {caller.role!r} may not read {action.replace('_', ' ')}; "
            "ask an administrator for a role that allows it"
        )
    if action == "site_operations" and caller.role != "admin" and site != caller.site:
        raise AccessDeniedError(
            f"a data manager sees only their own site ({caller.site!r}); ask for that site"
        )


Outcome = Literal["ok", "denied", "error"]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audited query: who asked what, when, on which lake version, and how it ended.

    ``query_hash`` is the SHA-256 of the normalised query, never the query's values.
    """

    at: dt.datetime
    user: str
    role: Role
    action: str
    query_hash: str
    lake_version: int | None
    outcome: Outcome
    code: str | None = None


class AuditSink(Protocol):
    """Where audit records go (the service writes them as JSON lines)."""

    def record(self, entry: AuditRecord) -> None:
        """Store one record; must be thread-safe."""
        ...
