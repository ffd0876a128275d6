"""Who may do what (rule 11), in one place: query permissions and the mutation guard."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.permission import BasePermission

from models.enums import Role
from models.errors import Forbidden, NotFound
from schema.context import Info, Principal
from schema.errors import Error, returns_errors

READERS = frozenset({Role.ADMIN, Role.VIEWER})


def require(info: Info, *roles: Role) -> Principal:
    principal = info.context.principal
    if principal.role not in roles:
        raise Forbidden(f"a {principal.role.value} token may not do this")
    return principal


def may_see(principal: Principal, owner: int | None) -> bool:
    """An object owned by affiliate `owner` (None: program-wide) exists for this principal.

    ADMIN and VIEWER see everything; an AFFILIATE only its own objects, so that another
    affiliate's ids read exactly like ids that do not exist.
    """
    return principal.role is not Role.AFFILIATE or (owner is not None and owner == principal.affiliate_id)


def require_own(info: Info, affiliate_id: int, field: str = "affiliateId") -> None:
    """For mutations an AFFILIATE may make for itself: another affiliate reads as not found."""
    if not may_see(info.context.principal, affiliate_id):
        raise NotFound("no such affiliate", field)


class CanReadAll(BasePermission):
    """ADMIN and VIEWER read everything; an AFFILIATE reaches its data through `me` only."""

    message = "this field is for ADMIN and VIEWER tokens"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal.role in READERS


def mutation(*roles: Role) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any | Error]]]:
    """Guard a mutation resolver: check the role, and return refusals as typed payload members."""

    def decorate(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any | Error]]:
        @functools.wraps(fn)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            require(kwargs["info"], *roles)
            return await fn(*args, **kwargs)

        return returns_errors(guarded)

    return decorate
