"""The typed errors every mutation payload can hold, and the one wrapper that produces them."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import strawberry

from models.enums import ErrorCode
from models.errors import Forbidden, Invalid, LedgerError, NotFound
from models.transactions import CONFLICT_MESSAGE, is_conflict, is_unavailable
from schema.described import described_enum

UNAVAILABLE_MESSAGE = "the database is unavailable; nothing was changed by this request, retry shortly"

described_enum(
    ErrorCode,
    "ErrorCode",
    "The stable codes of refused changes: branch on these, never on messages. Payload errors carry the "
    "first nine; UNAUTHENTICATED and UNAVAILABLE appear only as `extensions.code` of HTTP-level errors "
    "(401, 503) and are listed so one type covers every code a client handles.",
    VALIDATION="Bad input: `field` names the offending input field; nothing was changed.",
    NOT_FOUND="The id names nothing (or nothing this token may see).",
    FORBIDDEN="This token's role may not do this.",
    CURRENCY_MISMATCH="An amount's currency differs from the one required (e.g. the product's currency).",
    AFFILIATE_DECLINED="The affiliate is DECLINED: no sale can be recorded for it.",
    REFUND_EXCEEDS_SALE="The refund is larger than what is left unrefunded of the sale.",
    ALREADY_PAID="This export group was already marked as paid.",
    INSTANT_PAYOUT="An instant (PayPal Instant Payment) payout cannot be voided.",
    CONFLICT="The object changed meanwhile (already revoked, already voided, a concurrent pay run): re-read "
    "and retry if still wanted.",
    UNAUTHENTICATED="HTTP 401: no valid bearer token.",
    UNAVAILABLE="HTTP 503: the database is unreachable; retry later.",
    SEPA_UNAVAILABLE="No SEPA file can be made: no debtor account in the program settings, or no EUR row qualifies.",
)


@strawberry.interface(
    description="A refused change: every mutation payload union has members implementing it. "
    "Nothing of the change was written."
)
class Error:
    code: str = strawberry.field(
        description="The error code as a string (one of ErrorCode's values); kept "
        "for clients written before `errorCode`."
    )
    message: str = strawberry.field(description="A human explanation in English, naming the figures involved.")
    field: str | None = strawberry.field(
        default=None,
        description="The input field at fault as a dotted camelCase path (e.g. `price.amount`); "
        "null when no single field is.",
    )

    @strawberry.field(description="The error code, typed: the same value as `code`.")
    def error_code(self) -> ErrorCode:
        return ErrorCode(self.code)


@strawberry.type(description="Bad input (code VALIDATION).")
class ValidationError(Error):
    pass


@strawberry.type(description="An id that names nothing this token may see (code NOT_FOUND).")
class NotFoundError(Error):
    pass


@strawberry.type(description="This token's role may not make this change (code FORBIDDEN).")
class ForbiddenError(Error):
    pass


@strawberry.type(
    description="A bookkeeping rule refused the change (CURRENCY_MISMATCH, AFFILIATE_DECLINED, "
    "REFUND_EXCEEDS_SALE, ALREADY_PAID, INSTANT_PAYOUT, CONFLICT)."
)
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
