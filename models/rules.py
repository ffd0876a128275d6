"""The bookkeeping rules of payout-rules.md, as pure functions: no I/O, no clock, no ORM.

Everything the API shows about money follows from these functions; the ledger (`models.ledger`)
only loads facts, calls them and stores what they return. All amounts are integer minor units.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from models.enums import (
    ApprovalStatus,
    ExportScope,
    IncompleteReason,
    InstallmentState,
    PaymentMethodType,
    PaymentStatus,
    PayoutMode,
    RefundKind,
    SaleStatus,
)
from models.money import exponent, format_money

HUNDRED = Decimal(100)


class RuleError(ValueError):
    """Input that breaks a bookkeeping rule; `field` names the offending input when known."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --- milestones -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Milestone:
    percent: Decimal
    delay_days: int


DEFAULT_MILESTONES: tuple[Milestone, ...] = (Milestone(HUNDRED, 0),)
MAX_DELAY_DAYS = 3650


def validate_milestones(milestones: Sequence[Milestone], field: str = "milestones") -> None:
    """Percents > 0 adding up to exactly 100; delays whole days >= 0 (and at most ten years)."""
    if not milestones:
        raise RuleError("at least one milestone is required", field)
    for m in milestones:
        if not m.percent.is_finite() or m.percent <= 0:
            raise RuleError("milestone percents must be greater than 0", field)
        if m.percent.as_tuple().exponent < -4:  # type: ignore[operator]
            raise RuleError("milestone percents have at most 4 decimals", field)
        if m.delay_days < 0 or m.delay_days > MAX_DELAY_DAYS:
            raise RuleError(f"milestone delays are whole days from 0 to {MAX_DELAY_DAYS}", field)
    total = sum((m.percent for m in milestones), Decimal(0))
    if total != HUNDRED:
        raise RuleError(f"milestone percents must add up to 100, got {total}", field)


def effective_milestones(
    product: Sequence[Milestone] | None, program: Sequence[Milestone] | None
) -> Sequence[Milestone]:
    """The product's milestones, else the program's default, else 100% at once."""
    return product or program or DEFAULT_MILESTONES


def split_commission(commission: int, milestones: Sequence[Milestone]) -> list[int]:
    """One installment per milestone: floor for all but the last, which takes the rest."""
    parts = [_floor(Decimal(commission) * m.percent / HUNDRED) for m in milestones[:-1]]
    return [*parts, commission - sum(parts)]


def release_times(occurred_at: datetime, milestones: Sequence[Milestone]) -> list[datetime]:
    return [occurred_at + timedelta(days=m.delay_days) for m in milestones]


# --- commission and refunds -------------------------------------------------------------------


def round_half_up(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def validate_percent(percent: Decimal, field: str = "commissionPercent") -> None:
    if not percent.is_finite() or percent <= 0 or percent > HUNDRED:
        raise RuleError("commission percent must be greater than 0 and at most 100", field)
    if percent.as_tuple().exponent < -4:  # type: ignore[operator]
        raise RuleError("commission percent has at most 4 decimals", field)


@dataclass(frozen=True)
class Rate:
    """A commission rate: a percent of the sale or a flat amount in the product's currency."""

    percent: Decimal | None
    flat: int | None


def commission_for_sale(amount: int, percent: Decimal | None, flat: int | None) -> int:
    """Percent commission rounds half up to the minor unit; a flat one is paid as it is."""
    if percent is not None:
        return round_half_up(Decimal(amount) * percent / HUNDRED)
    if flat is None:
        raise RuleError("a product has either a commission percent or a flat commission")
    return flat


def refund_reduction(
    original_commission: int, remaining_commission: int, sale_amount: int, refunded_before: int, refund: int
) -> int:
    """How much commission a refund takes: proportional, all that is left once fully refunded."""
    if refunded_before + refund >= sale_amount:
        return remaining_commission
    share = round_half_up(Decimal(original_commission) * Decimal(refund) / Decimal(sale_amount))
    return min(share, remaining_commission)


def sale_status(amount: int, refunded: int, last_kind: RefundKind | None) -> SaleStatus:
    if refunded <= 0:
        return SaleStatus.COMPLETED
    if refunded < amount:
        return SaleStatus.PARTIALLY_REFUNDED
    return SaleStatus.CHARGED_BACK if last_kind is RefundKind.CHARGEBACK else SaleStatus.REFUNDED


@dataclass(frozen=True)
class InstallmentSlice:
    """What a refund needs to know of one installment."""

    key: int
    amount: int
    release_at: datetime
    settled: bool
    owed: int = 0  # what earlier refunds already made owed against it (its live owed amounts)


@dataclass(frozen=True)
class Allocation:
    new_amounts: dict[int, int]  # installment key -> amount after the refund (0: voided)
    owed_from: dict[int, int] = field(default_factory=dict)  # paid installment key -> the part made owed
    unattributed: int = 0  # owed beyond the paid installments' known room (owed amounts of before 0004)

    @property
    def owed(self) -> int:
        """What could only be taken from paid installments."""
        return sum(self.owed_from.values()) + self.unattributed


def _latest_first(installments: Iterable[InstallmentSlice]) -> list[InstallmentSlice]:
    return sorted(installments, key=lambda i: (i.release_at, i.key), reverse=True)


def allocate_reduction(reduction: int, installments: Iterable[InstallmentSlice]) -> Allocation:
    """Take a commission reduction from unpaid installments, latest release first; the rest is owed.

    The owed rest is attributed to paid installments, latest release first too, each up to what is
    not owed against it yet: so voiding one payout later knows which part of it was refunded (rule 12).
    """
    left = reduction
    new_amounts: dict[int, int] = {}
    owed_from: dict[int, int] = {}
    listed = list(installments)
    for inst in _latest_first(i for i in listed if not i.settled and i.amount > 0):
        take = min(left, inst.amount)
        if take:
            new_amounts[inst.key] = inst.amount - take
            left -= take
    for inst in _latest_first(i for i in listed if i.settled):
        take = min(left, max(0, inst.amount - inst.owed))
        if take:
            owed_from[inst.key] = take
            left -= take
    return Allocation(new_amounts=new_amounts, owed_from=owed_from, unattributed=left)


@dataclass(frozen=True)
class OwedSlice:
    """An outstanding owed amount and the paid installment it was taken from (None: not known)."""

    key: int
    installment_key: int | None
    amount: int


@dataclass(frozen=True)
class Netting:
    installments: dict[int, int]  # installment key -> amount after netting (0: voided)
    owed: dict[int, int]  # owed amount key -> amount after netting (0: netted whole)


def net_void(unsettled: Mapping[int, int], outstanding: Iterable[OwedSlice]) -> Netting:
    """Rule 12: a void nets against later refunds.

    `unsettled` maps installments that are unpaid (again: their payout was voided) to their amounts.
    Each outstanding owed amount taken from one of them is netted against it: that part of the
    installment is voided instead of coming back as due, and the owed amount drops by as much.
    An owed amount a later payout already recovered is not outstanding, so its part does come back as
    due: the affiliate repaid it, through that payout, for money the voided payout never paid (if that
    later payout is voided too, the owed amount is outstanding again and is netted then).
    """
    left = dict(unsettled)
    installments: dict[int, int] = {}
    owed: dict[int, int] = {}
    for o in sorted(outstanding, key=lambda o: o.key):
        if o.installment_key not in left:
            continue
        take = min(o.amount, left[o.installment_key])
        if take:
            left[o.installment_key] -= take
            installments[o.installment_key] = left[o.installment_key]
            owed[o.key] = o.amount - take
    return Netting(installments, owed)


def installment_state(
    amount: int, voided: bool, settled: bool, release_at: datetime, now: datetime, disputed: bool = False
) -> InstallmentState:
    if voided or amount == 0:
        return InstallmentState.VOIDED
    if settled:
        return InstallmentState.PAID
    if disputed:
        return InstallmentState.DISPUTED
    return InstallmentState.DUE if release_at <= now else InstallmentState.HELD


def processor_refund(booked_total: int, running_total: int, unrefunded: int) -> int:
    """What a processor's running refund total books now (rule 13): its rise since the last one booked.

    A total at or below what was already booked (a late delivery of an older event) books nothing,
    and a refund never exceeds what is left of the sale.

    >>> processor_refund(0, 2500, 10000), processor_refund(2500, 4000, 7500), processor_refund(4000, 2500, 6000)
    (2500, 1500, 0)
    """
    return max(0, min(running_total - booked_total, unrefunded))


# --- renewals (rule 14) and tiers (rule 15) -----------------------------------------------------


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


# --- balances ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenInstallment:
    """An unsettled, non-voided installment: held or due depending on the clock, held while disputed."""

    amount: int
    release_at: datetime
    disputed: bool = False


@dataclass(frozen=True)
class BalanceFigures:
    """One affiliate's figures in one currency, as of `now` (rule 4)."""

    currency: str
    earned: int
    reserve: int
    due_installments: int
    paid: int
    owed: int
    next_release_at: datetime | None = None
    next_release_amount: int = 0
    disputed: int = 0  # the part of reserve held by open disputes (released by the dispute, not the clock)

    @property
    def due(self) -> int:
        return max(0, self.due_installments - self.owed)

    @property
    def unpaid(self) -> bool:
        return self.reserve > 0 or self.due > 0 or self.owed > 0


def balance_figures(
    currency: str,
    *,
    earned: int,
    open_installments: Iterable[OpenInstallment],
    paid: int,
    owed: int,
    now: datetime,
) -> BalanceFigures:
    """Split open installments into reserve and due at `now`, and find the next release.

    A disputed installment stays in reserve whatever its release date, and is no release of the clock's.
    """
    reserve = due = disputed = 0
    held: dict[datetime, int] = {}
    for inst in open_installments:
        if inst.disputed:
            reserve += inst.amount
            disputed += inst.amount
        elif inst.release_at <= now:
            due += inst.amount
        else:
            reserve += inst.amount
            held[inst.release_at] = held.get(inst.release_at, 0) + inst.amount
    next_at = min(held) if held else None
    return BalanceFigures(
        currency=currency,
        earned=earned,
        reserve=reserve,
        due_installments=due,
        paid=paid,
        owed=owed,
        next_release_at=next_at,
        next_release_amount=held[next_at] if next_at else 0,
        disputed=disputed,
    )


# --- payment status ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AffiliateFacts:
    approval: ApprovalStatus
    payout_mode: PayoutMode
    has_payment_method: bool
    sales_count: int
    tax_hold: tuple[IncompleteReason, str] | None = None  # rule 17.3, as of the refresh's `now`


@dataclass(frozen=True)
class ProgramRules:
    minimum_sales: int = 0
    minimum_payout: Mapping[str, int] = field(default_factory=dict)
    default_milestones: tuple[Milestone, ...] = DEFAULT_MILESTONES
    tax_form_required: bool = False  # rule 17
    tax_time_zone: str = "UTC"
    tax_thresholds: Mapping[int, int] = field(default_factory=dict)  # entered by the merchant, USD cents


@dataclass(frozen=True)
class StatusVerdict:
    status: PaymentStatus
    reasons: tuple[tuple[IncompleteReason, str], ...] = ()


def payable_currencies(balances: Iterable[BalanceFigures], program: ProgramRules) -> list[str]:
    """Currencies whose due is positive and reaches the program's minimum payout."""
    return [b.currency for b in balances if b.due > 0 and b.due >= program.minimum_payout.get(b.currency, 0)]


def payment_status(facts: AffiliateFacts, balances: Sequence[BalanceFigures], program: ProgramRules) -> StatusVerdict:
    """Rule 6: DUE, DUE_INCOMPLETE with every reason that applies, or NOTHING_DUE."""
    status = status_of(facts, balances, program)
    if status is not PaymentStatus.DUE_INCOMPLETE:
        return StatusVerdict(status)
    return StatusVerdict(status, (*eligibility_reasons(facts, program), *balance_reasons(balances, program)))


def status_of(facts: AffiliateFacts, balances: Sequence[BalanceFigures], program: ProgramRules) -> PaymentStatus:
    """Rule 6's status alone: what a refresh stores, without wording the reasons nobody reads there."""
    if not eligibility_reasons(facts, program) and payable_currencies(balances, program):
        return PaymentStatus.DUE
    if not any(b.unpaid for b in balances):
        return PaymentStatus.NOTHING_DUE
    return PaymentStatus.DUE_INCOMPLETE


Reason = tuple[IncompleteReason, str]


def eligibility_reasons(facts: AffiliateFacts, program: ProgramRules) -> list[Reason]:
    """What keeps an affiliate from being DUE whatever its balances: approval, mode, details, sales."""
    reasons: list[Reason] = []
    if facts.approval is not ApprovalStatus.APPROVED:
        reasons.append((IncompleteReason.NOT_APPROVED, f"affiliate is {facts.approval.value.lower()}"))
    if facts.payout_mode is PayoutMode.PAYPAL_INSTANT:
        reasons.append((IncompleteReason.INSTANT_PAYMENT, "paid by PayPal Instant Payment at the time of each sale"))
    if not facts.has_payment_method:
        reasons.append((IncompleteReason.MISSING_PAYMENT_DETAILS, "no payment method on file"))
    if facts.sales_count < program.minimum_sales:
        reasons.append(
            (
                IncompleteReason.BELOW_MINIMUM_SALES,
                f"{facts.sales_count} of {program.minimum_sales} required sales",
            )
        )
    if facts.tax_hold is not None:
        reasons.append(facts.tax_hold)
    return reasons


def balance_reasons(balances: Sequence[BalanceFigures], program: ProgramRules) -> list[Reason]:
    """What the balances themselves say: below the minimum payout, on hold, owed."""
    return [*_below_minimum(balances, program), *_on_hold(balances), *_disputed(balances), *_owed(balances)]


def _below_minimum(balances: Sequence[BalanceFigures], program: ProgramRules) -> list[Reason]:
    reasons: list[Reason] = []
    for b in balances:
        minimum = program.minimum_payout.get(b.currency, 0)
        if 0 < b.due < minimum:
            reasons.append(
                (
                    IncompleteReason.BELOW_MINIMUM_PAYOUT,
                    f"{format_money(b.due, b.currency)} of {format_money(minimum, b.currency)} minimum",
                )
            )
    return reasons


def _on_hold(balances: Sequence[BalanceFigures]) -> list[Reason]:
    """Held balances are a reason only while nothing is due in any currency."""
    if any(b.due > 0 for b in balances):
        return []
    return [
        (
            IncompleteReason.ON_HOLD,
            f"{format_money(b.reserve, b.currency)} held; next release "
            f"{format_money(b.next_release_amount, b.currency)} on {b.next_release_at.date().isoformat()}",
        )
        for b in balances
        if b.reserve > 0 and b.next_release_at is not None
    ]


def _disputed(balances: Sequence[BalanceFigures]) -> list[Reason]:
    """Commission held by an open dispute (rule 13): in reserve, released by the dispute, not the clock."""
    return [
        (IncompleteReason.DISPUTED, f"{format_money(b.disputed, b.currency)} held until its dispute closes")
        for b in balances
        if b.disputed > 0
    ]


def _owed(balances: Sequence[BalanceFigures]) -> list[Reason]:
    return [
        (
            IncompleteReason.BALANCE_OWED,
            f"owes {format_money(b.owed, b.currency)} of refunded paid commission, "
            f"more than the {format_money(b.due_installments, b.currency)} matured",
        )
        for b in balances
        if b.owed > 0 and b.due_installments <= b.owed
    ]


# --- PayPal Instant Payment and the pay run by affiliate id (rules 7, 9 and 12) ------------------


def settles_at_sale(approval: ApprovalStatus, mode: PayoutMode, tax_held: bool = False) -> bool:
    """Rule 12: PayPal Instant Payment applies only to an APPROVED affiliate with no tax-form hold (17.3).

    Anyone else's sale is booked as for MANUAL: milestones, held and due, reason NOT_APPROVED (or the hold's).
    """
    return mode is PayoutMode.PAYPAL_INSTANT and approval is ApprovalStatus.APPROVED and not tax_held


@dataclass(frozen=True)
class PayByIdChoice:
    """What markAsPaid(affiliateIds) does for one affiliate: the currencies it settles, or why none."""

    currencies: tuple[str, ...] = ()
    skip_reason: str | None = None


def pay_by_id(
    status: PaymentStatus, facts: AffiliateFacts, balances: Sequence[BalanceFigures], program: ProgramRules
) -> PayByIdChoice:
    """Rules 9 and 12: settle an affiliate that is DUE, or would be DUE but for its PAYPAL_INSTANT mode.

    Rule 7's leftover of a PayPal Instant affiliate meets every other requirement of rule 6 too:
    approval, a payment method, the minimum sales and (per currency) the minimum payout.
    """
    if facts.payout_mode is PayoutMode.PAYPAL_INSTANT:
        blockers = eligibility_reasons(replace(facts, payout_mode=PayoutMode.MANUAL), program)
        if blockers:
            return PayByIdChoice(skip_reason=f"not due: {status.value} ({'; '.join(m for _, m in blockers)})")
    elif facts.tax_hold is not None:  # rule 17.3: "not due: DUE_INCOMPLETE (tax form missing)"
        label = facts.tax_hold[0].value.lower().replace("_", " ")
        return PayByIdChoice(skip_reason=f"not due: {PaymentStatus.DUE_INCOMPLETE.value} ({label})")
    elif status is not PaymentStatus.DUE:
        return PayByIdChoice(skip_reason=f"not due: {status.value}")
    payable = payable_currencies(balances, program)
    if payable:
        return PayByIdChoice(currencies=tuple(payable))
    below = [m for r, m in _below_minimum(balances, program)]
    return PayByIdChoice(skip_reason=f"below the minimum payout: {'; '.join(below)}" if below else "nothing due")


@dataclass(frozen=True)
class Transition:
    """An affiliate's payment status and due amounts before and after one change."""

    affiliate_id: int
    before_status: PaymentStatus
    after_status: PaymentStatus
    before_due: dict[str, int]
    after_due: dict[str, int]

    @property
    def newly_due(self) -> dict[str, int]:
        """What became payable (rule 10): empty unless DUE afterwards and due rose or it became DUE."""
        if self.after_status is not PaymentStatus.DUE:
            return {}
        became_due = self.before_status is not PaymentStatus.DUE
        rises = {
            cur: amount - (0 if became_due else self.before_due.get(cur, 0)) for cur, amount in self.after_due.items()
        }
        return {cur: rise for cur, rise in rises.items() if rise > 0}


def due_rank(balances: Iterable[BalanceFigures]) -> int:
    """Sort key for DUE_DESC: the largest single-currency due, in ten-thousandths of a major unit.

    Currencies are never added together, so an affiliate ranks by its biggest due balance; the
    common scale makes JPY 1250 and USD 12.50 comparable as numbers, not as values.
    """
    return max((b.due * 10 ** (4 - exponent(b.currency)) for b in balances), default=0)


# --- payment details (rule 12) ----------------------------------------------------------------

# ASCII only (no `\w`, whose Unicode letters and digits PayPal does not take); a label never starts
# or ends with a hyphen; the top-level domain is letters.
_PAYPAL_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+'-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def paypal_email_is_plain(email: str) -> bool:
    """Rule 12: a plain address starting with a letter or digit (so a PayPal file never needs a `'`).

    Plain: one `@`, no spaces, quotes, display names, comments or consecutive/trailing dots in the
    local part.
    """
    if not _PAYPAL_EMAIL.fullmatch(email):
        return False
    local = email.split("@", 1)[0]
    return ".." not in local and not local.endswith(".")


# --- refreshing one affiliate ------------------------------------------------------------------


@dataclass
class CurrencyLedger:
    """One affiliate's history in one currency, summed: what its balance is derived from."""

    earned: int = 0
    paid: int = 0
    owed: int = 0
    open_installments: list[OpenInstallment] = field(default_factory=list)


@dataclass(frozen=True)
class Refreshed:
    """An affiliate's figures and derived columns recomputed as of `now`, and the transition made."""

    figures: tuple[BalanceFigures, ...]
    status: PaymentStatus
    due_rank: int
    transition: Transition


def refresh_affiliate(
    affiliate_id: int,
    facts: AffiliateFacts,
    before_status: PaymentStatus,
    before: Mapping[str, BalanceFigures],
    ledgers: Mapping[str, CurrencyLedger],
    program: ProgramRules,
    now: datetime,
) -> Refreshed:
    """Rules 4 and 6 for one affiliate: every currency it has a balance or history in, as of `now`."""
    figures = tuple(
        balance_figures(
            currency,
            earned=ledger.earned,
            open_installments=ledger.open_installments,
            paid=ledger.paid,
            owed=ledger.owed,
            now=now,
        )
        for currency in sorted(set(ledgers) | set(before))
        for ledger in [ledgers.get(currency, CurrencyLedger())]
    )
    status = status_of(facts, figures, program)
    return Refreshed(
        figures=figures,
        status=status,
        due_rank=due_rank(figures),
        transition=Transition(
            affiliate_id=affiliate_id,
            before_status=before_status,
            after_status=status,
            before_due={c: f.due for c, f in before.items()},
            after_due={f.currency: f.due for f in figures},
        ),
    )


@dataclass(frozen=True)
class Delta:
    """What one change adds to one affiliate's history in one currency, from the change's own numbers."""

    earned: int = 0
    paid: int = 0
    owed: int = 0
    due_installments: int = 0  # settled (negative) installments that had matured
    opened: tuple[OpenInstallment, ...] = ()  # new unsettled installments
    sales: int = 0  # sales that count towards the minimum

    def __add__(self, other: Delta) -> Delta:
        return Delta(
            self.earned + other.earned,
            self.paid + other.paid,
            self.owed + other.owed,
            self.due_installments + other.due_installments,
            self.opened + other.opened,
            self.sales + other.sales,
        )


def moved_figures(before: BalanceFigures | None, currency: str, delta: Delta, now: datetime) -> BalanceFigures:
    """`before` changed by `delta`, as of `now`: the same figures a full recomputation gives.

    Precondition: `before` is current as of `now` (its next release, if any, is after `now`).
    """
    b = before or BalanceFigures(currency, 0, 0, 0, 0, 0)
    releases = {b.next_release_at: b.next_release_amount} if b.next_release_at else {}
    matured = 0
    for inst in delta.opened:
        if inst.release_at <= now:
            matured += inst.amount
        else:
            releases[inst.release_at] = releases.get(inst.release_at, 0) + inst.amount
    next_at = min(releases) if releases else None
    return BalanceFigures(
        currency=currency,
        earned=b.earned + delta.earned,
        reserve=b.reserve + sum(i.amount for i in delta.opened) - matured,
        due_installments=b.due_installments + matured + delta.due_installments,
        paid=b.paid + delta.paid,
        owed=b.owed + delta.owed,
        next_release_at=next_at,
        next_release_amount=releases[next_at] if next_at else 0,
        disputed=b.disputed,  # a dispute is lifted by its own event, never by another change's delta
    )


def refresh_with_deltas(
    affiliate_id: int,
    facts: AffiliateFacts,
    before_status: PaymentStatus,
    before: Mapping[str, BalanceFigures],
    deltas: Mapping[str, Delta],
    program: ProgramRules,
    now: datetime,
) -> tuple[Refreshed, AffiliateFacts]:
    """Rules 4 and 6 for one affiliate from its stored figures and a change's deltas (no history read)."""
    figures = {**before}
    for currency, delta in deltas.items():
        figures[currency] = moved_figures(before.get(currency), currency, delta, now)
    ordered = tuple(figures[c] for c in sorted(figures))
    after = replace(facts, sales_count=facts.sales_count + sum(d.sales for d in deltas.values()))
    status = status_of(after, ordered, program)
    transition = Transition(
        affiliate_id=affiliate_id,
        before_status=before_status,
        after_status=status,
        before_due={c: f.due for c, f in before.items()},
        after_due={f.currency: f.due for f in ordered},
    )
    return Refreshed(ordered, status, due_rank(ordered), transition), after


# --- export files (rule 8) --------------------------------------------------------------------

PAYPAL_MAX_ROWS = 5000  # PayPal Payouts takes at most 5,000 recipients per bulk file
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with `'` (CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def also_in(methods: Iterable[str], own: str) -> str:
    """The other groups of an export listing the same affiliate and currency, as stored: "BANK_WIRE,CHECK".

    Under PROVIDED scope an affiliate is in the group of every payment type on file; each such row
    must be paid from one group only, so every file and the API name the others.
    """
    return ",".join(sorted(set(methods) - {own}))


def file_part(index: int, max_rows: int | None) -> int:
    """The 1-based file part the `index`-th row of a currency goes to; no limit: always part 1."""
    return 1 if max_rows is None else index // max_rows + 1


def export_methods(
    status: PaymentStatus,
    scope: ExportScope,
    preferred: PaymentMethodType | None,
    on_file: Collection[PaymentMethodType],
    payable: bool,
) -> tuple[list[PaymentMethodType], str | None]:
    """Rule 8: the payment types an affiliate's rows go to in an export, or why it is skipped."""
    if status is not PaymentStatus.DUE:
        return [], f"not due: {status.value}"
    if scope is ExportScope.PREFERRED:
        if preferred is None:
            return [], "no preferred payment type"
        if preferred not in on_file:
            return [], f"no {preferred.value} details"
        methods = [preferred]
    else:
        methods = sorted(on_file, key=lambda t: t.value)
    if not methods:
        return [], "no payment details"
    if not payable:
        return [], "nothing payable"
    return methods, None
