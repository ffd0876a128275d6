"""Rule 16, pure: who earns on a sale and how much, and how a refund reduces each commission.

No I/O, no clock: booking and refunds (models.ledger.booking, models.ledger.sales) read the rows, call these,
and write what they return. Every amount is in minor units of the sale's currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from models.enums import CommissionRole
from models.rules.commission import HUNDRED, RuleError, commission_for_sale, refund_reduction, validate_percent
from models.rules.renewals import Assignment, RenewalTerms, renewal_ended, tier_at

MAX_JV_PARTNERS = 10


@dataclass(frozen=True)
class JvEntry:
    """One JV partner of a product as booking needs it: its percent and its own renewal limits."""

    payee_id: int
    percent: Decimal
    months: int | None = None
    payments: int | None = None
    declined: bool = False  # the payee is DECLINED when the sale is booked: it earns nothing


@dataclass(frozen=True)
class SecondTier:
    """The recruiter in force at the sale (None: nobody) and the product's second-tier percent."""

    recruiter_id: int | None
    percent: Decimal | None
    declined: bool = False


@dataclass(frozen=True)
class RenewalFacts:
    """A renewal's place in its subscription: the initial sale's time and the renewals booked before."""

    initial_at: datetime
    renewals_before: int


@dataclass(frozen=True)
class Share:
    """One commission a sale books: its payee, role, percent (None: flat) and amount."""

    role: CommissionRole
    payee_id: int
    percent: Decimal | None
    amount: int
    ended: str | None = None


def recruiter_at(assignments: Iterable[Assignment], when: datetime) -> int | None:
    """The recruiter in force at `when`: the latest setting at or before it (rule 16.1, like rule 15)."""
    return tier_at(assignments, when)


def shares(
    amount: int,
    first_tier: Share,
    second_tier: SecondTier,
    jv: Sequence[JvEntry],
    renewal: RenewalFacts | None,
    occurred_at: datetime,
) -> list[Share]:
    """The commissions of one sale, in booking order (rule 16.4).

    The AFFILIATE commission is always booked, even at 0.00; SECOND_TIER only when the first tier's
    renewal limits did not end it; a JV partner within its own limits. A computed 0.00, a DECLINED
    payee or an ended limit books no row for the two others.
    """
    booked = [first_tier]
    if (
        second_tier.recruiter_id is not None
        and second_tier.percent is not None
        and not second_tier.declined
        and first_tier.ended is None
    ):
        booked.append(
            Share(
                CommissionRole.SECOND_TIER,
                second_tier.recruiter_id,
                second_tier.percent,
                percent_of_sale(amount, second_tier.percent),
            )
        )
    for entry in jv:
        if entry.declined:
            continue
        if renewal is not None:
            terms = RenewalTerms(months=entry.months, payments=entry.payments)
            if renewal_ended(terms, renewal.initial_at, occurred_at, renewal.renewals_before) is not None:
                continue
        booked.append(
            Share(CommissionRole.JV_PARTNER, entry.payee_id, entry.percent, percent_of_sale(amount, entry.percent))
        )
    return [booked[0], *(s for s in booked[1:] if s.amount > 0)]


def percent_of_sale(amount: int, percent: Decimal) -> int:
    """Second tier and JV: a percent of the sale amount, rounded as rule 2 rounds."""
    return commission_for_sale(amount, percent, None)


@dataclass(frozen=True)
class CommissionLeft:
    """What a refund needs of one commission: its original amount and what is left of it."""

    original: int
    remaining: int


def reductions(commissions: Sequence[CommissionLeft], sale_amount: int, refunded_before: int, refund: int) -> list[int]:
    """Rule 16.5: each commission reduced on its own by rule 5, from its own original amount.

    The refund that makes the sale fully refunded takes all that is left of each, so a commission's
    reductions always add up to its original amount and no rounding moves between payees.

    >>> reductions([CommissionLeft(1001, 1001), CommissionLeft(501, 501)], 10010, 0, 3300)
    [330, 165]
    """
    return [refund_reduction(c.original, c.remaining, sale_amount, refunded_before, refund) for c in commissions]


def check_jv_partners(entries: Sequence[JvEntry], max_months: int, max_payments: int) -> None:
    """Rule 16.3's list checks; the error names the entry's field (`partners.2.percent`)."""
    if len(entries) > MAX_JV_PARTNERS:
        raise RuleError(f"at most {MAX_JV_PARTNERS} JV partners per product", "partners")
    seen: set[int] = set()
    for i, e in enumerate(entries):
        if e.payee_id in seen:
            raise RuleError("the same payee is listed twice", f"partners.{i}.payeeId")
        seen.add(e.payee_id)
        try:
            validate_percent(e.percent, f"partners.{i}.percent")
        except RuleError as error:
            raise RuleError("percent must be above 0, at most 100, with at most 4 decimals", error.field) from None
        for name, value, most in (
            ("renewalMonths", e.months, max_months),
            ("renewalPayments", e.payments, max_payments),
        ):
            if value is not None and not 0 <= value <= most:
                raise RuleError(f"{name} is between 0 and {most}, or null for no limit", f"partners.{i}.{name}")
    if sum((e.percent for e in entries), Decimal(0)) > HUNDRED:
        raise RuleError("the JV partners' percents add up to more than 100", "partners")
