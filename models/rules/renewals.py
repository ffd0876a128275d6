"""Renewals (rule 14) and commission tiers (rule 15), as pure functions: no I/O, no clock, no ORM."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from models.rules.commission import Rate

# --- renewals (rule 14) and tiers (rule 15) -----------------------------------------------------

MAX_RENEWAL_MONTHS = 1200
MAX_RENEWAL_PAYMENTS = 100_000


@dataclass(frozen=True)
class RenewalTerms:
    """A product's renewal terms: an optional renewal rate and the two limits (None: no limit)."""

    percent: Decimal | None = None
    flat: int | None = None
    months: int | None = None
    payments: int | None = None


def add_months(when: datetime, months: int) -> datetime:
    """The same day `months` calendar months later, clamped to the month's last day (Jan 31 + 1 = Feb 28)."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    days = [
        31,
        29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month - 1]
    return when.replace(year=year, month=month, day=min(when.day, days))


def renewal_ended(
    terms: RenewalTerms, initial_at: datetime, occurred_at: datetime, earlier_renewals: int
) -> str | None:
    """Why a renewal earns nothing, or None when it earns.

    `renewalMonths` N: renewals dated before the initial sale + N calendar months earn (a monthly
    subscription with N = 12 pays commission on the initial sale and 11 renewals). `renewalPayments`
    N: the first N renewals of the subscription earn. The reason starts with the limit's name.

    >>> from datetime import datetime as d
    >>> renewal_ended(RenewalTerms(months=12), d(2026, 1, 15), d(2027, 1, 15), 11)
    'renewalMonths: renewals earn within 12 months of the initial sale'
    >>> renewal_ended(RenewalTerms(payments=3), d(2026, 1, 15), d(2026, 5, 15), 3)
    'renewalPayments: only the first 3 renewals earn'
    """
    if terms.months is not None and occurred_at >= add_months(initial_at, terms.months):
        return f"renewalMonths: renewals earn within {terms.months} months of the initial sale"
    if terms.payments is not None and earlier_renewals >= terms.payments:
        return f"renewalPayments: only the first {terms.payments} renewals earn"
    return None


def renewal_rate(terms: RenewalTerms, sale_rate: Rate) -> Rate:
    """A renewal earns the product's renewal rate when it has one, else the rate of the initial sale's tier."""
    if terms.percent is not None:
        return Rate(terms.percent, None)
    if terms.flat is not None:
        return Rate(None, terms.flat)
    return sale_rate


@dataclass(frozen=True)
class Assignment:
    """One tier assignment of an affiliate for a product: from `at` on, `tier` (None: the base tier)."""

    at: datetime
    order: int  # tie-breaker for assignments made at the same instant: the later one wins
    tier: int | None


def tier_at(assignments: Iterable[Assignment], when: datetime) -> int | None:
    """The tier in force at `when`: the latest assignment made at or before it, else the base tier (None)."""
    in_force = [a for a in assignments if a.at <= when]
    return max(in_force, key=lambda a: (a.at, a.order)).tier if in_force else None


def current_tiers(assignments: Iterable[tuple[int, Assignment]]) -> dict[int, int]:
    """Per product, the tier an affiliate is on now; products back on (or always on) the base tier are left out."""
    latest: dict[int, Assignment] = {}
    for product, a in assignments:
        if product not in latest or (a.at, a.order) > (latest[product].at, latest[product].order):
            latest[product] = a
    return {product: a.tier for product, a in latest.items() if a.tier is not None}
