"""A typed form of ``@strawberry.field(...)`` for resolver methods.

Strawberry types the decorator-factory form of ``strawberry.field`` as ``Any``, which strict mypy
reports as an untyped decorator; this wrapper keeps the resolver's own signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from strawberry.permission import BasePermission

F = TypeVar("F", bound=Callable[..., Any])


def resolver(
    *, description: str, permission_classes: list[type[BasePermission]] | None = None
) -> Callable[[F], F]:
    """Declare a resolver method as a GraphQL field with its description (and permissions)."""
    decorate: Callable[[F], F] = strawberry.field(
        description=description, permission_classes=permission_classes
    )
    return decorate
