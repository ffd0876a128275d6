"""GraphQL money: `Money` out, `MoneyInput` in; conversions to and from ledger minor units."""

from __future__ import annotations

from decimal import Decimal, DecimalException

import strawberry
from strawberry.schema.types.base_scalars import wrap_parser
from strawberry.types.scalar import ScalarDefinition

from models.digits import plain_decimal
from models.money import from_minor, plain
from models.validation import Amount

NOT_PLAIN = Decimal("NaN")


def parse_decimal(text: object) -> Decimal:
    """An input Decimal (rule 12). Any string not in plain ASCII notation ("1E+2", " 12.00", "1_000.00",
    "１０.00", "12,50", "abc") becomes NaN, which every amount and percent check refuses as the
    VALIDATION payload naming its field; only a non-string (a JSON number) is a coercion error."""
    if not isinstance(text, str):
        raise DecimalException("a Decimal is a JSON string")
    value = plain_decimal(text)
    return NOT_PLAIN if value is None else value


EXACT_DECIMAL = ScalarDefinition(
    name="Decimal",
    description='An exact decimal as a JSON string, e.g. "12.50". JSON numbers are refused: a float may '
    "already have been rounded on its way here.",
    specified_by_url=None,
    serialize=plain,  # never exponent notation (rule 12), even for a value stored as "3E+1"
    parse_value=wrap_parser(parse_decimal, "Decimal", exceptions=(DecimalException,), include_error=False),
    parse_literal=None,
    origin=Decimal,
)


@strawberry.type(description="An exact amount: always as many decimals as the currency's minor unit.")
class Money:
    amount: Decimal = strawberry.field(
        description='The amount in plain notation with the currency\'s decimals ("12.50" USD, "1250" JPY).'
    )
    currency: str = strawberry.field(description="ISO-4217 currency code (e.g. USD).")

    @classmethod
    def of(cls, minor: int, currency: str) -> Money:
        return cls(amount=from_minor(minor, currency), currency=currency)


@strawberry.input(description="An amount sent by a client: never rounded, refused if it does not fit.")
class MoneyInput:
    amount: Decimal = strawberry.field(
        description='A decimal string ("12.50"): at most the currency\'s decimals, above 0, at most 1,000,000,000.'
    )
    currency: str = strawberry.field(description="ISO-4217 currency code (e.g. USD); case-insensitive.")

    def to_amount(self) -> Amount:
        return Amount(self.amount, self.currency.strip().upper())


def money_list(amounts: dict[str, int]) -> list[Money]:
    return [Money.of(amount, currency) for currency, amount in sorted(amounts.items())]
