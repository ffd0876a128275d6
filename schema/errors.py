"""The typed errors every mutation payload can hold, and the one wrapper that produces them."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import strawberry

from models.errors import Forbidden, Invalid, LedgerError, NotFound
from models.transactions import CONFLICT_MESSAGE, is_conflict, is_unavailable

UNAVAILABLE_MESSAGE = "the database is unavailable; nothing was changed by this request, retry shortly"


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


def failure_of(error: BaseException | None) -> tuple[str, str] | None:
    """(code, message) of an expected failure that reached a query as an exception, else None.

    A conflict that survived the retries is CONFLICT and an unreachable database UNAVAILABLE (the
    server answers 503), never a masked INTERNAL_SERVER_ERROR; the driver's text is not shown.
    """
    if error is None:
        return None
    if isinstance(error, LedgerError):
        return error.code, error.message
    if is_conflict(error):
        return "CONFLICT", CONFLICT_MESSAGE
    if is_unavailable(error):
        return "UNAVAILABLE", UNAVAILABLE_MESSAGE
    return None
