"""Commission rules of payout-rules.md, as pure functions: no I/O, no clock, no ORM.

Milestones, rates, commission for a sale, refunds and where their reduction is taken from.
Everything the API shows about money follows from the functions in `models/rules/`; the ledger
(`models/ledger/`) only loads facts, calls them and stores what they return. All amounts are
integer minor units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from models.enums import (
    InstallmentState,
    RefundKind,
    SaleStatus,
)
from models.money import canonical_percent

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


def milestones_to_json(milestones: list[Milestone] | tuple[Milestone, ...]) -> list[list[object]]:
    """Percents are kept as strings so JSON never turns them into floats."""
    return [[canonical_percent(m.percent), m.delay_days] for m in milestones]


def milestones_from_json(raw: list[list[object]] | None) -> tuple[Milestone, ...]:
    return tuple(Milestone(Decimal(str(p)), int(str(d))) for p, d in raw or [])


def default_milestones_json() -> list[list[object]]:
    return milestones_to_json(DEFAULT_MILESTONES)


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
