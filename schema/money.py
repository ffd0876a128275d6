"""GraphQL money: `Money` out, `MoneyInput` in; conversions to and from ledger minor units."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from models.ledger import Amount
from models.money import from_minor


@strawberry.type(description="An exact amount: always as many decimals as the currency's minor unit.")
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, minor: int, currency: str) -> Money:
        return cls(amount=from_minor(minor, currency), currency=currency)


@strawberry.input
class MoneyInput:
    amount: Decimal
    currency: str

    def to_amount(self) -> Amount:
        return Amount(self.amount, self.currency.strip().upper())


def money_list(amounts: dict[str, int]) -> list[Money]:
    return [Money.of(amount, currency) for currency, amount in sorted(amounts.items())]
