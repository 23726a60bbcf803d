"""Field-level permissions; the role matrix itself lives in :mod:`lake.access` (one place)."""

from __future__ import annotations

from typing import Any

from lake.access import ROLE_ACTIONS
from strawberry.permission import BasePermission
from strawberry.types import Info

from schema.context import Context
from schema.errors import ForbiddenError


class CanReadSiteOperations(BasePermission):
    """Data managers (own site) and administrators: patient-level rows a site must act on."""

    message = "only data managers and administrators may read site operations"
    error_extensions = {"code": ForbiddenError.code}  # noqa: RUF012 - strawberry's attribute

    def on_unauthorized(self) -> None:
        """Refuse with the public FORBIDDEN error (Strawberry's own error would be masked)."""
        raise ForbiddenError(self.message)

    def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        """Whether the caller's role allows site operations at all (the site is checked later)."""
        return "site_operations" in ROLE_ACTIONS[info.context.caller.role]
