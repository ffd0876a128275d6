"""Who may do what (rule 11), in one place: query permissions, object-level access, the mutation guard.

Object-level access is structural: `guard_objects` wraps, once per built schema, the resolver of
every field whose type is (or may be) an `Owned` or `ProgramWide` object, so a field added later
is covered without anyone remembering to check it. For an AFFILIATE token another affiliate's
object reads as null (dropped from lists) and a program-wide object is a FORBIDDEN error,
whatever path led there.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    default_field_resolver,
    get_named_type,
    is_abstract_type,
    is_non_null_type,
)
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


# --- object-level access ------------------------------------------------------------------------


class Owned:
    """Mixin for object types that belong to one affiliate (the affiliate itself, its sales, payouts)."""

    def owner_id(self) -> int:
        raise NotImplementedError


class ProgramWide:
    """Mixin for object types about the program or several affiliates (exports and their groups and
    totals, skipped lists, tokens, the audit log, settings): ADMIN and VIEWER only."""


def forbidden(message: str = "this field is for ADMIN and VIEWER tokens") -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


def _readable(principal: Principal, value: object) -> bool:
    """An object an AFFILIATE may receive; a program-wide one is refused outright."""
    if isinstance(value, ProgramWide):
        raise forbidden()
    return not isinstance(value, Owned) or value.owner_id() == principal.affiliate_id


def _screen(principal: Principal, value: Any, non_null: bool) -> Any:
    """What an AFFILIATE receives of a resolved value: only its own objects."""
    if value is None:
        return None
    if isinstance(value, list):
        return [item for item in value if _readable(principal, item)]
    if _readable(principal, value):
        return value
    if non_null:  # cannot read as null here: the error nulls the parent instead
        raise GraphQLError("no such object", extensions={"code": "NOT_FOUND"})
    return None


def _checked(resolve: Callable[..., Any], non_null: bool) -> Callable[..., Any]:
    async def later(principal: Principal, pending: Awaitable[Any]) -> Any:
        return _screen(principal, await pending, non_null)

    def resolver(root: Any, info: Any, **kwargs: Any) -> Any:
        result = resolve(root, info, **kwargs)
        principal = info.context.principal
        if principal.role is not Role.AFFILIATE:
            return result
        if inspect.isawaitable(result):
            return later(principal, result)
        return _screen(principal, result, non_null)

    resolver.guards_objects = True  # type: ignore[attr-defined]
    return resolver


def _origin(named: GraphQLNamedType) -> type | None:
    definition = (named.extensions or {}).get("strawberry-definition")
    return getattr(definition, "origin", None)


def _carries_objects(schema: GraphQLSchema, named: GraphQLNamedType) -> bool:
    """The type is, or may at run time be, an owned or program-wide object."""
    types = schema.get_possible_types(named) if is_abstract_type(named) else [named]
    return any(isinstance(origin := _origin(t), type) and issubclass(origin, Owned | ProgramWide) for t in types)


def guard_objects(schema: GraphQLSchema) -> None:
    """Wrap every field that can return an owned or program-wide object (see the module docstring)."""
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for field in type_.fields.values():
            if _needs_guard(schema, field):
                field.resolve = _checked(field.resolve or default_field_resolver, is_non_null_type(field.type))


def _needs_guard(schema: GraphQLSchema, field: GraphQLField) -> bool:
    if getattr(field.resolve, "guards_objects", False):
        return False  # already wrapped
    return _carries_objects(schema, get_named_type(field.type))
