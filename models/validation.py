"""Validation of what callers send, shared by every ledger operation: names and texts, amounts, milestones.

Each turns a bad value into `Invalid` naming the input field, so the API answers VALIDATION.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from models.errors import Invalid
from models.money import MoneyError, check_currency, to_minor
from models.rules.commission import Milestone, RuleError, validate_milestones

MAX_NAME = 200


@dataclass(frozen=True)
class Amount:
    """A client amount before validation: Decimal as sent, currency code as sent."""

    amount: Decimal
    currency: str


def minor(amount: Amount, field: str, *, allow_zero: bool = False) -> int:
    try:
        check_currency(amount.currency)
    except MoneyError as e:
        raise Invalid(str(e), f"{field}.currency") from None
    try:
        return to_minor(amount.amount, amount.currency, allow_zero=allow_zero)
    except MoneyError as e:
        raise Invalid(str(e), f"{field}.amount") from None


def text(value: str, field: str, *, limit: int = MAX_NAME) -> str:
    value = value.strip()
    if not value:
        raise Invalid(f"{field} must not be empty", field)
    if len(value) > limit:
        raise Invalid(f"{field} has at most {limit} characters", field)
    return value


def milestones(raw: Sequence[tuple[Decimal, int]], field: str) -> list[Milestone]:
    parsed = [Milestone(Decimal(p), int(d)) for p, d in raw]
    try:
        validate_milestones(parsed, field)
    except RuleError as e:
        raise Invalid(str(e), e.field) from None
    return parsed
