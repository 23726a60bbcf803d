"""Who may see what: callers, roles, the role matrix and the audit record.

Used only by :mod:`lake.query.gateway`, the boundary every result leaves ``lake/`` through.
Kept apart so the rules read as one table.

Role matrix
-----------
==============  =========  ==========  ===============  =================
role            access     aggregate   lake metadata    site operations
==============  =========  ==========  ===============  =================
analyst         protected  yes         yes              no
client_app      protected  yes         yes              no
data_manager    protected  yes         yes              own site only
statistician    governed   yes         yes              no
admin           governed   yes         yes              every site
==============  =========  ==========  ===============  =================

*Access* is how aggregates leave (:data:`ROLE_ACCESS`):

- ``governed``: exact results, for roles that work under a data-sharing agreement; every query
  is audited and attributable, and the minimum cell size still applies (:mod:`lake.disclosure`).
- ``protected``: every number is a differentially private release (:mod:`lake.privacy`) charged
  to the caller's privacy budget; models whose outputs cannot be protected are refused.

*Aggregates* are counts and statistics over a cohort. *Site operations* are the patient-level
rows a data manager must act on (open data queries, quarantined rows); they never leave for any
other role. Patient-level rows never leave for any role through an aggregate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal, Protocol, get_args

from lake.errors import AccessDeniedError

Role = Literal["analyst", "client_app", "statistician", "data_manager", "admin"]
ROLES: Final[tuple[Role, ...]] = get_args(Role)
Action = Literal["aggregate", "lake_metadata", "site_operations"]
Access = Literal["governed", "protected"]

ROLE_ACCESS: Final[dict[Role, Access]] = {
    "analyst": "protected",
    "client_app": "protected",
    "data_manager": "protected",
    "statistician": "governed",
    "admin": "governed",
}
#: The roles that may ask what protected access refuses (named in refusals).
GOVERNED_ROLES: Final = tuple(r for r in ROLES if ROLE_ACCESS[r] == "governed")

ROLE_ACTIONS: Final[dict[Role, frozenset[Action]]] = {
    "analyst": frozenset({"aggregate", "lake_metadata"}),
    "client_app": frozenset({"aggregate", "lake_metadata"}),
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

    @property
    def access(self) -> Access:
        """How aggregates leave for this caller (:data:`ROLE_ACCESS`)."""
        return ROLE_ACCESS[self.role]


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
    ``action`` says what was run (for a GraphQL request: the operation type and root fields,
    read from the document); ``operation_name`` is the client's own label for it, kept apart
    because the client chooses it freely. ``access`` says how it was released; ``epsilon`` is
    the privacy loss charged to the caller for a protected release (0 when the caller had
    received the same release before).
    """

    at: dt.datetime
    user: str
    role: Role
    action: str
    query_hash: str
    lake_version: int | None
    outcome: Outcome
    code: str | None = None
    access: Access | None = None
    epsilon: float | None = None
    operation_name: str | None = None


class AuditSink(Protocol):
    """Where audit records go (the service writes them as JSON lines)."""

    def record(self, entry: AuditRecord) -> None:
        """Store one record; must be thread-safe."""
        ...
