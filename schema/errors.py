"""The typed errors every mutation payload can hold, and the one wrapper that produces them."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import strawberry

from models.errors import Forbidden, Invalid, LedgerError, NotFound


@strawberry.interface
class Error:
    code: str
    message: str
    field: str | None = None


@strawberry.type
class ValidationError(Error):
    pass


@strawberry.type
class NotFoundError(Error):
    pass


@strawberry.type
class ForbiddenError(Error):
    pass


@strawberry.type
class RuleViolation(Error):
    pass


# The error members of every mutation payload union (the contract lists these four).
Errors = ValidationError | NotFoundError | ForbiddenError | RuleViolation


def error_member(error: LedgerError) -> Error:
    kind: type[Error] = {Invalid: ValidationError, NotFound: NotFoundError, Forbidden: ForbiddenError}.get(
        type(error), RuleViolation
    )
    return kind(code=error.code, message=error.message, field=error.field)


P = ParamSpec("P")
R = TypeVar("R")


def returns_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | Error]]:
    """Turn a refused change (LedgerError) into its payload member instead of a GraphQL error."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return await fn(*args, **kwargs)
        except LedgerError as e:
            return error_member(e)

    return wrapper
