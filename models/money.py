"""Exact money: ISO-4217 currencies, integer minor units inside, Decimal at the edges.

Amounts live in the database and in every rule as integers of the currency's minor unit, so
no sum can drift; they become `Decimal` only when read from or shown to a client.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from models.digits import plain_decimal

# ISO-4217 active codes whose minor unit is not 2 decimals.
_EXPONENT_EXCEPTIONS: dict[str, int] = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}
_TWO_DECIMAL = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD
LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN
PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB
TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG
""".split()
EXPONENTS: dict[str, int] = {**dict.fromkeys(_TWO_DECIMAL, 2), **_EXPONENT_EXCEPTIONS}

MAX_AMOUNT = Decimal(1_000_000_000)
NOT_PLAIN_AMOUNT = "an amount is written in ASCII: an optional '-', digits, an optional '.' and digits (rule 12)"


class MoneyError(ValueError):
    """An amount or currency a client sent that cannot be booked as it is."""


def exponent(currency: str) -> int:
    """The number of decimals of a currency's minor unit; unknown codes are refused."""
    try:
        return EXPONENTS[currency]
    except KeyError:
        raise MoneyError(f"{currency!r} is not an ISO-4217 currency code") from None


def check_currency(currency: str) -> str:
    exponent(currency)
    return currency


def to_minor(amount: Decimal | str, currency: str, *, allow_zero: bool = False) -> int:
    """Validate a client amount and convert it to minor units, never rounding."""
    places = exponent(currency)
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise MoneyError(f"{amount!r} is not a decimal amount") from None
    if not value.is_finite() or (isinstance(amount, str) and plain_decimal(amount) is None):
        raise MoneyError(NOT_PLAIN_AMOUNT)
    if value < 0 or (value == 0 and not allow_zero):
        raise MoneyError("amount must be greater than 0")
    if value > MAX_AMOUNT:
        raise MoneyError(f"amount must be at most {MAX_AMOUNT}")
    scaled = value.scaleb(places)
    written = -int(value.as_tuple().exponent)  # "10.000" has three decimals, though it equals 10.00
    if scaled != scaled.to_integral_value() or written > places:
        raise MoneyError(f"{currency} amounts have at most {places} decimals, got {amount}")
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    """Minor units to a Decimal with exactly the currency's decimals ("12.50", "1250"): `scaleb` keeps the
    integer's digits and sets the exponent to -places, exact for any amount within the context's 28 digits
    (a third of the cost of also quantizing, on a page that shows 600 amounts)."""
    return Decimal(minor).scaleb(-exponent(currency))


def plain(value: Decimal) -> str:
    """A Decimal in plain notation, whatever its exponent: "30", "12.5", "12.50", never "3E+1" (rule 12)."""
    return format(value, "f")


def canonical_percent(value: Decimal) -> str:
    """A percent as stored and shown: no trailing zeros and no exponent ("30", "12.5", "0.5")."""
    return plain(value.normalize())


def format_money(minor: int, currency: str) -> str:
    """Human form used in messages: 'USD 12.50'."""
    return f"{currency} {from_minor(minor, currency)}"
