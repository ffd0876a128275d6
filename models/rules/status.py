"""Balances and payment status (rules 3-7, 10, 13), as pure functions: no I/O, no clock, no ORM.

What one affiliate's stored balances and status become, from the facts the ledger loads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from models.enums import (
    ApprovalStatus,
    IncompleteReason,
    PaymentStatus,
    PayoutMode,
)
from models.money import exponent, format_money
from models.rules.commission import DEFAULT_MILESTONES, Milestone

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
    payment_returned: str | None = None  # rule 20.4: the hold's message while a returned payment holds the payee


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
    if facts.payment_returned is not None:
        reasons.append((IncompleteReason.PAYMENT_RETURNED, facts.payment_returned))
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
    return [*below_minimum(balances, program), *_on_hold(balances), *_disputed(balances), *_owed(balances)]


def below_minimum(balances: Sequence[BalanceFigures], program: ProgramRules) -> list[Reason]:
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


@dataclass(frozen=True)
class Transition:
    """An affiliate's payment status and due amounts before and after one change."""

    affiliate_id: int
    before_status: PaymentStatus
    after_status: PaymentStatus
    before_due: dict[str, int]
    after_due: dict[str, int]
    bus_id: int | None = field(default=None, compare=False)  # its bus outbox row, once announced

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
    return max((b.due * rank_factor(b.currency) for b in balances), default=0)


def rank_factor(currency: str) -> int:
    """What one minor unit of `currency` counts in the due rank's scale (ten-thousandths of a major unit)."""
    return int(10 ** (4 - exponent(currency)))


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
