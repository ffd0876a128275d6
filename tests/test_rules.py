"""The bookkeeping rules (payout-rules.md 1-7) as pure functions: worked examples, edges, properties."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.enums import (
    ApprovalStatus,
    IncompleteReason,
    InstallmentState,
    PaymentStatus,
    PayoutMode,
    RefundKind,
    SaleStatus,
)
from models.money import MoneyError, format_money, from_minor, to_minor
from models.rules.commission import (
    DEFAULT_MILESTONES,
    InstallmentSlice,
    Milestone,
    OwedSlice,
    RuleError,
    allocate_reduction,
    commission_for_sale,
    effective_milestones,
    installment_state,
    net_void,
    refund_reduction,
    release_times,
    sale_status,
    split_commission,
    validate_milestones,
    validate_percent,
)
from models.rules.payrun import PAYPAL_MAX_ROWS, also_in, file_part, pay_by_id, paypal_email_is_plain, settles_at_sale
from models.rules.status import (
    AffiliateFacts,
    BalanceFigures,
    OpenInstallment,
    ProgramRules,
    Transition,
    balance_figures,
    due_rank,
    payment_status,
)

T0 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
KARTRA = (Milestone(Decimal(40), 0), Milestone(Decimal(60), 60))


# --- 1. money -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.50", "USD", 1250),
        ("12.5", "USD", 1250),
        ("100.10", "USD", 10010),
        ("0.01", "EUR", 1),
        ("1250", "JPY", 1250),
        ("1.234", "BHD", 1234),
        ("1000000000", "USD", 100_000_000_000),
    ],
)
def test_to_minor_is_exact(amount: str, currency: str, minor: int) -> None:
    assert to_minor(amount, currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("12.345", "USD"),  # never silently rounded
        ("12.5", "JPY"),  # JPY has no decimals
        ("1.2345", "BHD"),
        ("NaN", "USD"),
        ("sNaN", "USD"),
        ("Infinity", "USD"),
        ("-Infinity", "USD"),
        ("1000000000.01", "USD"),
        ("1e10", "USD"),
        ("1E+2", "USD"),  # rule 12: plain ASCII notation only, as are the next four
        ("１０.00", "USD"),
        ("1_000.00", "USD"),
        (" 12.00", "USD"),
        ("+12.00", "USD"),
        ("0", "USD"),
        ("-1", "USD"),
        ("abc", "USD"),
        ("", "USD"),
        ("10", "XXX"),
        ("10", "usd"),
    ],
)
def test_to_minor_refuses(amount: str, currency: str) -> None:
    with pytest.raises(MoneyError):
        to_minor(amount, currency)


def test_zero_only_where_allowed() -> None:
    assert to_minor("0", "USD", allow_zero=True) == 0
    with pytest.raises(MoneyError):
        to_minor("-0.01", "USD", allow_zero=True)


def test_amounts_show_the_currency_decimals() -> None:
    assert str(from_minor(1250, "USD")) == "12.50"
    assert str(from_minor(1250, "JPY")) == "1250"
    assert str(from_minor(1250, "BHD")) == "1.250"
    assert str(from_minor(0, "EUR")) == "0.00"
    assert format_money(601, "USD") == "USD 6.01"


@given(st.integers(min_value=1, max_value=100_000_000_000), st.sampled_from(["USD", "JPY", "BHD", "CLF"]))
@settings(max_examples=200, deadline=None)
def test_minor_units_round_trip(minor: int, currency: str) -> None:
    if from_minor(minor, currency) <= Decimal(1_000_000_000):
        assert to_minor(from_minor(minor, currency), currency) == minor
        assert to_minor(str(from_minor(minor, currency)), currency) == minor


# --- 2. commission ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "percent", "commission"),
    [
        (10010, "10", 1001),  # the worked example: 100.10 at 10%
        (125, "10", 13),  # 12.5 cents rounds half UP (banker's rounding would give 12)
        (105, "10", 11),  # 10.5 -> 11
        (104, "10", 10),  # 10.4 -> 10
        (1, "50", 1),  # 0.5 -> 1
        (1250, "12.5", 156),  # JPY 1250 at 12.5% = 156.25 -> 156
        (333, "33.3333", 111),
        (100, "100", 100),
    ],
)
def test_percent_commission_rounds_half_up(amount: int, percent: str, commission: int) -> None:
    assert commission_for_sale(amount, Decimal(percent), None) == commission


def test_flat_commission_is_paid_as_it_is() -> None:
    assert commission_for_sale(10010, None, 500) == 500
    with pytest.raises(RuleError):
        commission_for_sale(10010, None, None)


@pytest.mark.parametrize("percent", ["0", "-1", "100.01", "101", "NaN", "Infinity", "10.00001"])
def test_bad_percents_are_refused(percent: str) -> None:
    with pytest.raises(RuleError):
        validate_percent(Decimal(percent))


# --- 3. milestones ------------------------------------------------------------------------------


def test_worked_example_split() -> None:
    commission = commission_for_sale(10010, Decimal(10), None)
    assert split_commission(commission, KARTRA) == [400, 601]
    assert release_times(T0, KARTRA) == [T0, T0 + timedelta(days=60)]


def test_split_floors_all_but_the_last() -> None:
    thirds = [Milestone(Decimal("33.3333"), 0), Milestone(Decimal("33.3333"), 10), Milestone(Decimal("33.3334"), 20)]
    assert split_commission(100, thirds) == [33, 33, 34]
    assert split_commission(1, [Milestone(Decimal(50), 0), Milestone(Decimal(50), 1)]) == [0, 1]
    assert split_commission(0, KARTRA) == [0, 0]


def test_milestone_fallbacks() -> None:
    assert effective_milestones((), ()) == DEFAULT_MILESTONES
    assert effective_milestones(None, KARTRA) == KARTRA
    own = (Milestone(Decimal(100), 7),)
    assert effective_milestones(own, KARTRA) == own


@pytest.mark.parametrize(
    "milestones",
    [
        [],
        [Milestone(Decimal(40), 0), Milestone(Decimal(59), 60)],  # 99
        [Milestone(Decimal(40), 0), Milestone(Decimal(61), 60)],  # 101
        [Milestone(Decimal(0), 0), Milestone(Decimal(100), 60)],
        [Milestone(Decimal(-10), 0), Milestone(Decimal(110), 60)],
        [Milestone(Decimal(100), -1)],
        [Milestone(Decimal("NaN"), 0)],
    ],
)
def test_bad_milestones_are_refused(milestones: list[Milestone]) -> None:
    with pytest.raises(RuleError) as caught:
        validate_milestones(milestones)
    assert caught.value.field == "milestones"


def test_installment_states() -> None:
    later = T0 + timedelta(days=1)
    assert installment_state(400, False, False, T0, T0) == "DUE"  # releaseAt <= now
    assert installment_state(400, False, False, later, T0) == "HELD"
    assert installment_state(400, False, True, T0, T0) == "PAID"
    assert installment_state(0, True, False, T0, T0) == "VOIDED"
    assert installment_state(400, True, True, T0, T0) == "VOIDED"


# --- 5. refunds ---------------------------------------------------------------------------------


def test_partial_refunds_then_full_refund_takes_what_is_left() -> None:
    # USD 100.10 sale, commission 10.01. Refund 50.05: round_half_up(10.01 * 50.05 / 100.10) = 5.01
    first = refund_reduction(1001, 1001, 10010, 0, 5005)
    assert first == 501
    # Refund 20.00 more: round_half_up(1001 * 2000 / 10010) = 200
    second = refund_reduction(1001, 1001 - first, 10010, 5005, 2000)
    assert second == 200
    # The rest (30.05) makes it whole: all commission left, not the proportional 300.5 -> 301
    last = refund_reduction(1001, 1001 - first - second, 10010, 7005, 3005)
    assert last == 300
    assert first + second + last == 1001


def test_refund_reduction_never_exceeds_what_is_left() -> None:
    assert refund_reduction(3, 1, 3, 0, 2) == 1  # proportional 2, but only 1 left


def test_sale_status() -> None:
    assert sale_status(10010, 0, None) is SaleStatus.COMPLETED
    assert sale_status(10010, 1, RefundKind.REFUND) is SaleStatus.PARTIALLY_REFUNDED
    assert sale_status(10010, 10010, RefundKind.REFUND) is SaleStatus.REFUNDED
    assert sale_status(10010, 10010, RefundKind.CHARGEBACK) is SaleStatus.CHARGED_BACK


def test_allocation_takes_the_latest_release_first() -> None:
    slices = [
        InstallmentSlice(1, 400, T0, False),
        InstallmentSlice(2, 300, T0 + timedelta(days=30), False),
        InstallmentSlice(3, 301, T0 + timedelta(days=60), False),
    ]
    assert allocate_reduction(500, slices).new_amounts == {3: 0, 2: 101}
    assert allocate_reduction(500, slices).owed == 0
    assert allocate_reduction(100, slices).new_amounts == {3: 201}


def test_worked_example_refund_after_paying_the_first_installment() -> None:
    slices = [InstallmentSlice(1, 400, T0, True), InstallmentSlice(2, 601, T0 + timedelta(days=60), False)]
    reduction = refund_reduction(1001, 1001, 10010, 0, 10010)
    allocation = allocate_reduction(reduction, slices)
    assert allocation.new_amounts == {2: 0}  # 6.01 voided
    assert allocation.owed == 400  # owed 4.00
    # Next sale of 10.00 due at once: due = 10.00 - 4.00 = 6.00
    figures = balance_figures(
        "USD", earned=1000, open_installments=[OpenInstallment(1000, T0)], paid=400, owed=400, now=T0
    )
    assert figures.due == 600
    assert figures.earned == figures.reserve + figures.due_installments + figures.paid - figures.owed


def test_owed_when_everything_was_paid() -> None:
    slices = [InstallmentSlice(1, 400, T0, True), InstallmentSlice(2, 601, T0, True)]
    allocation = allocate_reduction(501, slices)
    # Owed, and attributed to the paid installments latest first (ties: the later one).
    assert allocation == allocation.__class__(new_amounts={}, owed_from={2: 501})
    assert allocation.owed == 501
    # A second refund finds 1 cent of room left on the later one, then takes the earlier one.
    slices = [InstallmentSlice(1, 400, T0, True), InstallmentSlice(2, 601, T0, True, owed=501)]
    assert allocate_reduction(300, slices).owed_from == {2: 100, 1: 200}


# --- 4. balances and 6. payment status ----------------------------------------------------------


def test_balance_figures_split_held_and_due_and_find_the_next_release() -> None:
    soon, later = T0 + timedelta(days=10), T0 + timedelta(days=60)
    f = balance_figures(
        "USD",
        earned=2002,
        open_installments=[
            OpenInstallment(400, T0),
            OpenInstallment(601, later),
            OpenInstallment(400, T0 - timedelta(days=1)),
            OpenInstallment(300, soon),
            OpenInstallment(301, soon),
        ],
        paid=0,
        owed=0,
        now=T0,
    )
    assert (f.reserve, f.due_installments, f.due) == (1202, 800, 800)
    assert (f.next_release_at, f.next_release_amount) == (soon, 601)
    assert balance_figures("USD", earned=0, open_installments=[], paid=0, owed=0, now=T0).next_release_at is None


def test_due_never_negative() -> None:
    f = BalanceFigures("USD", earned=0, reserve=0, due_installments=100, paid=400, owed=500)
    assert f.due == 0
    assert f.unpaid


APPROVED_MANUAL = AffiliateFacts(ApprovalStatus.APPROVED, PayoutMode.MANUAL, True, 3)


def usd(due_installments: int = 0, reserve: int = 0, owed: int = 0, **kw: object) -> BalanceFigures:
    return BalanceFigures(
        "USD",
        earned=due_installments + reserve,
        reserve=reserve,
        due_installments=due_installments,
        paid=0,
        owed=owed,
        **kw,  # type: ignore[arg-type]
    )


def test_due_when_every_requirement_is_met() -> None:
    assert payment_status(APPROVED_MANUAL, [usd(400)], ProgramRules()).status is PaymentStatus.DUE
    # A currency without a minimum has none, even when another currency has one.
    rules = ProgramRules(minimum_payout={"EUR": 5000})
    assert payment_status(APPROVED_MANUAL, [usd(1)], rules).status is PaymentStatus.DUE


def test_nothing_due() -> None:
    assert payment_status(APPROVED_MANUAL, [], ProgramRules()).status is PaymentStatus.NOTHING_DUE
    paid_up = BalanceFigures("USD", earned=400, reserve=0, due_installments=0, paid=400, owed=0)
    pending = AffiliateFacts(ApprovalStatus.PENDING, PayoutMode.MANUAL, False, 0)
    verdict = payment_status(pending, [paid_up], ProgramRules(minimum_sales=5))
    assert verdict == verdict.__class__(PaymentStatus.NOTHING_DUE)


def test_every_reason_with_its_figures() -> None:
    facts = AffiliateFacts(ApprovalStatus.PENDING, PayoutMode.PAYPAL_INSTANT, False, 2)
    rules = ProgramRules(minimum_sales=5, minimum_payout={"USD": 5000})
    verdict = payment_status(facts, [usd(1200)], rules)
    assert verdict.status is PaymentStatus.DUE_INCOMPLETE
    assert dict(verdict.reasons) == {
        IncompleteReason.NOT_APPROVED: "affiliate is pending",
        IncompleteReason.INSTANT_PAYMENT: "paid by PayPal Instant Payment at the time of each sale",
        IncompleteReason.MISSING_PAYMENT_DETAILS: "no payment method on file",
        IncompleteReason.BELOW_MINIMUM_SALES: "2 of 5 required sales",
        IncompleteReason.BELOW_MINIMUM_PAYOUT: "USD 12.00 of USD 50.00 minimum",
    }


def test_on_hold_names_the_next_release() -> None:
    release = datetime(2027, 1, 22, 9, 30, tzinfo=UTC)
    verdict = payment_status(
        APPROVED_MANUAL, [usd(reserve=601, next_release_at=release, next_release_amount=601)], ProgramRules()
    )
    assert verdict.status is PaymentStatus.DUE_INCOMPLETE
    assert verdict.reasons == ((IncompleteReason.ON_HOLD, "USD 6.01 held; next release USD 6.01 on 2027-01-22"),)


def test_balance_owed() -> None:
    verdict = payment_status(APPROVED_MANUAL, [usd(300, owed=400)], ProgramRules())
    assert verdict.status is PaymentStatus.DUE_INCOMPLETE
    assert [r for r, _ in verdict.reasons] == [IncompleteReason.BALANCE_OWED]
    assert "USD 4.00" in verdict.reasons[0][1]
    # Owed less than what matured: the rest is due.
    assert payment_status(APPROVED_MANUAL, [usd(1000, owed=400)], ProgramRules()).status is PaymentStatus.DUE


def test_due_rank_compares_currencies_by_their_largest_due() -> None:
    jpy = BalanceFigures("JPY", earned=1250, reserve=0, due_installments=1250, paid=0, owed=0)
    assert due_rank([usd(1250), jpy]) == 12_500_000  # JPY 1250 outranks USD 12.50 as a number
    assert due_rank([usd(1250)]) == 125_000
    assert due_rank([]) == 0


# --- properties ---------------------------------------------------------------------------------

percents = st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=6).map(
    lambda weights: _percents_of(weights)
)


def _percents_of(weights: list[int]) -> list[Decimal]:
    """Percents with up to 2 decimals, each > 0, adding up to exactly 100."""
    total = sum(weights)
    cents = [max(1, w * 10_000 // total) for w in weights]
    cents[-1] = 10_000 - sum(cents[:-1])
    if cents[-1] <= 0:
        cents = [10_000 // len(weights)] * len(weights)
        cents[-1] = 10_000 - sum(cents[:-1])
    return [Decimal(c).scaleb(-2) for c in cents]


milestone_plans = st.builds(
    lambda ps, delays: [Milestone(p, d) for p, d in zip(ps, delays, strict=False)],
    percents,
    st.lists(st.integers(min_value=0, max_value=120), min_size=6, max_size=6),
)


@given(st.integers(min_value=0, max_value=100_000_000_000), milestone_plans)
@settings(max_examples=200, deadline=None)
def test_installments_always_add_up_to_the_commission(commission: int, plan: list[Milestone]) -> None:
    validate_milestones(plan)
    parts = split_commission(commission, plan)
    assert sum(parts) == commission
    assert all(p >= 0 for p in parts)
    assert len(parts) == len(plan)


@dataclass
class Inst:
    key: int
    amount: int
    release_at: datetime
    payout: int | None = None


@dataclass
class SaleModel:
    amount: int
    original: int
    commission: int
    installments: list[Inst]
    refunded: int = 0
    owed: int = 0  # what its refunds could only take from paid installments, less what voids netted


@dataclass
class Owed:
    key: int
    amount: int
    installment: Inst
    sale: SaleModel
    recovered_by: int | None = None


@dataclass
class Ledger:
    """The ledger of one affiliate in one currency, kept with the pure rules only."""

    now: datetime = T0
    sales: list[SaleModel] = field(default_factory=list)
    owed: list[Owed] = field(default_factory=list)
    payouts: list[tuple[int, bool]] = field(default_factory=list)  # (amount, voided)
    keys: int = 0

    def figures(self) -> BalanceFigures:
        live = [i for s in self.sales for i in s.installments if i.amount > 0]
        return balance_figures(
            "USD",
            earned=sum(s.commission for s in self.sales),
            open_installments=[OpenInstallment(i.amount, i.release_at) for i in live if i.payout is None],
            paid=sum(amount for amount, voided in self.payouts if not voided),
            owed=sum(o.amount for o in self.owed if o.recovered_by is None),
            now=self.now,
        )

    def sale(self, amount: int, percent: Decimal, plan: list[Milestone], age_days: int) -> None:
        commission = commission_for_sale(amount, percent, None)
        occurred = self.now - timedelta(days=age_days)
        installments = []
        for part, at in zip(split_commission(commission, plan), release_times(occurred, plan), strict=True):
            self.keys += 1
            installments.append(Inst(self.keys, part, at))
        self.sales.append(SaleModel(amount, commission, commission, installments))

    def owed_against(self, inst: Inst) -> int:
        return sum(o.amount for o in self.owed if o.installment is inst)

    def refund(self, index: int, share: float | None) -> None:
        if not self.sales:
            return
        sale = self.sales[index % len(self.sales)]
        left = sale.amount - sale.refunded
        if left == 0:
            return
        refund = left if share is None else max(1, int(left * share))
        reduction = refund_reduction(sale.original, sale.commission, sale.amount, sale.refunded, refund)
        slices = [
            InstallmentSlice(i.key, i.amount, i.release_at, i.payout is not None, self.owed_against(i))
            for i in sale.installments
        ]
        allocation = allocate_reduction(reduction, slices)
        assert allocation.unattributed == 0, "every owed cent is taken from a known paid installment"
        by_key = {i.key: i for i in sale.installments}
        for inst in sale.installments:
            inst.amount = allocation.new_amounts.get(inst.key, inst.amount)
        for key, amount in allocation.owed_from.items():
            self.keys += 1
            self.owed.append(Owed(self.keys, amount, by_key[key], sale))
        sale.owed += allocation.owed
        sale.refunded += refund
        sale.commission -= reduction

    def pay(self) -> None:
        """Like markAsPaid: settle every DUE installment and recover every outstanding owed amount."""
        if self.figures().due <= 0:
            return
        payout = len(self.payouts)
        due = [
            i
            for s in self.sales
            for i in s.installments
            if i.payout is None and i.amount > 0 and i.release_at <= self.now
        ]
        for inst in due:
            inst.payout = payout
        recovered = [o for o in self.owed if o.recovered_by is None and o.amount > 0]
        for o in recovered:
            o.recovered_by = payout
        self.payouts.append((sum(i.amount for i in due) - sum(o.amount for o in recovered), False))

    def void(self, index: int) -> None:
        """Like voidPayout: unsettle what the payout settled, then net outstanding owed (rule 12)."""
        live = [p for p, (_, voided) in enumerate(self.payouts) if not voided]
        if not live:
            return
        payout = live[index % len(live)]
        amount, _ = self.payouts[payout]
        self.payouts[payout] = (amount, True)
        for inst in (i for s in self.sales for i in s.installments):
            if inst.payout == payout:
                inst.payout = None
        for o in self.owed:
            if o.recovered_by == payout:
                o.recovered_by = None
        outstanding = [o for o in self.owed if o.recovered_by is None and o.amount > 0]
        unpaid = {o.installment.key: o.installment for o in outstanding if o.installment.payout is None}
        netting = net_void(
            {k: i.amount for k, i in unpaid.items()},
            [OwedSlice(o.key, o.installment.key, o.amount) for o in outstanding],
        )
        for key, amount in netting.installments.items():
            unpaid[key].amount = amount
        for o in outstanding:
            if o.key in netting.owed:
                o.sale.owed -= o.amount - netting.owed[o.key]
                o.amount = netting.owed[o.key]


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("sale"),
            st.integers(min_value=1, max_value=10_000_000),
            st.sampled_from([Decimal(10), Decimal("12.5"), Decimal("33.3333"), Decimal(100), Decimal("0.01")]),
            milestone_plans,
            st.integers(min_value=0, max_value=90),
        ),
        st.tuples(st.just("refund"), st.integers(min_value=0, max_value=50), st.none() | st.floats(0.01, 0.99)),
        st.tuples(st.just("chargeback"), st.integers(min_value=0, max_value=50)),
        st.tuples(st.just("pay")),
        st.tuples(st.just("void"), st.integers(min_value=0, max_value=50)),
        st.tuples(st.just("time"), st.integers(min_value=1, max_value=45)),
    ),
    max_size=40,
)


# Rule 12's netting needs a payout, a refund of what it paid, then its void (and, for the part that
# comes back as due, a second payout in between): stories made of such chapters do that.
refund_ops = st.tuples(st.just("refund"), st.integers(min_value=0, max_value=3), st.none() | st.floats(0.01, 0.99))
chapter = st.tuples(
    st.tuples(
        st.just("sale"),
        st.integers(min_value=1, max_value=100_000),
        st.just(Decimal(10)),
        milestone_plans,
        st.integers(min_value=0, max_value=121),
    ),
    st.just(("pay",)),
    st.lists(refund_ops, min_size=1, max_size=2),
    st.lists(st.sampled_from([("pay",), ("time", 30)]), max_size=2),
    st.lists(st.tuples(st.just("void"), st.integers(min_value=0, max_value=3)), min_size=1, max_size=2),
).map(lambda c: [c[0], c[1], *c[2], *c[3], *c[4]])
pay_refund_void_operations = st.lists(chapter, min_size=1, max_size=4).map(lambda cs: [op for c in cs for op in c])


@given(st.one_of(operations, pay_refund_void_operations))
@settings(max_examples=400, deadline=None)
def test_balance_invariant_holds_after_any_sequence(ops: list[tuple[object, ...]]) -> None:
    ledger = Ledger()
    for op in ops:
        match op:
            case ("sale", amount, percent, plan, age):
                ledger.sale(amount, percent, plan, age)  # type: ignore[arg-type]
            case ("refund", index, share):
                ledger.refund(index, share)  # type: ignore[arg-type]
            case ("chargeback", index):
                ledger.refund(index, None)  # type: ignore[arg-type]
            case ("pay",):
                ledger.pay()
            case ("void", index):
                ledger.void(index)  # type: ignore[arg-type]
            case ("time", days):
                ledger.now += timedelta(days=cast(float, days))
        f = ledger.figures()
        assert f.earned == f.reserve + f.due_installments + f.paid - f.owed
        assert min(f.earned, f.reserve, f.due_installments, f.paid, f.owed, f.due) >= 0
        # Rule 12: an outstanding owed amount never stands against an unpaid installment (voids net them).
        assert not [
            o
            for o in ledger.owed
            if o.recovered_by is None and o.amount > 0 and o.installment.payout is None and o.installment.amount > 0
        ]
        for sale in ledger.sales:
            # each sale's installments, less what its refunds made owed, are its commission
            assert 0 <= sale.commission <= sale.original
            assert sum(i.amount for i in sale.installments) - sale.owed == sale.commission
            assert all(i.amount >= 0 for i in sale.installments)
        verdict = payment_status(APPROVED_MANUAL, [f], ProgramRules())
        if verdict.status is PaymentStatus.DUE_INCOMPLETE:
            assert verdict.reasons, "DUE_INCOMPLETE always says why"
        assert (verdict.status is PaymentStatus.DUE) == (f.due > 0)


# --- rule 10: which transitions are announced -------------------------------------------------

DUE, INCOMPLETE = PaymentStatus.DUE, PaymentStatus.DUE_INCOMPLETE


def transition(before: PaymentStatus, after: PaymentStatus, before_due: dict, after_due: dict) -> Transition:
    return Transition(1, before, after, before_due, after_due)


def test_becoming_due_announces_the_whole_due():
    assert transition(INCOMPLETE, DUE, {"USD": 400}, {"USD": 400, "EUR": 0}).newly_due == {"USD": 400}


def test_a_due_affiliate_whose_due_rises_announces_the_rise_per_currency():
    t = transition(DUE, DUE, {"USD": 400, "EUR": 100}, {"USD": 1000, "EUR": 100, "JPY": 50})
    assert t.newly_due == {"USD": 600, "JPY": 50}


def test_nothing_is_announced_when_due_falls_or_the_affiliate_is_not_due_after():
    assert transition(DUE, DUE, {"USD": 1000}, {"USD": 400}).newly_due == {}
    assert transition(INCOMPLETE, INCOMPLETE, {"USD": 0}, {"USD": 400}).newly_due == {}
    assert transition(DUE, INCOMPLETE, {"USD": 400}, {"USD": 900}).newly_due == {}


# --- export files (rule 8) ----------------------------------------------------------------------


def test_rows_fill_each_file_part_up_to_the_limit() -> None:
    assert [file_part(i, 3) for i in range(7)] == [1, 1, 1, 2, 2, 2, 3]
    assert [file_part(i, PAYPAL_MAX_ROWS) for i in (0, 4999, 5000, 6000)] == [1, 1, 2, 2]


def test_without_a_limit_every_row_is_in_the_first_part() -> None:
    assert {file_part(i, None) for i in range(10_001)} == {1}


@given(st.integers(0, 100_000), st.integers(1, 6000))
def test_no_part_holds_more_than_the_limit(index: int, limit: int) -> None:
    part = file_part(index, limit)
    assert (part - 1) * limit <= index < part * limit


# --- rule 12: PayPal emails fit PayPal ----------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "ann@example.com",
        "7up@example.co.uk",
        "ann.lee+pay@mail.example.com",
        "o'brien@example.ie",
        "A_B-c@ex-ample.com",
    ],
)
def test_plain_paypal_emails(email: str) -> None:
    assert paypal_email_is_plain(email)


@pytest.mark.parametrize(
    "email",
    [
        "=HYPERLINK(1)@example.com",
        "-ann@example.com",
        "+ann@example.com",
        "@ann@example.com",
        "'ann@example.com",
        "_ann@example.com",
        ".ann@example.com",
        "\tann@example.com",
        "ann..lee@example.com",
        "ann.@example.com",
        "Ann <ann@example.com>",
        '"ann"@example.com',
        "ann lee@example.com",
        "ann@example",
        "ann@-example.com",
        "ann@example-.com",
        "ann@example.c0m",
        "١ann@example.com",
        "ánn@example.com",
        "ann@example.com\n",
    ],
)
def test_paypal_emails_that_are_not_plain(email: str) -> None:
    assert not paypal_email_is_plain(email)


# --- rule 12: approval first -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("approval", "mode", "instant"),
    [
        (ApprovalStatus.APPROVED, PayoutMode.PAYPAL_INSTANT, True),
        (ApprovalStatus.PENDING, PayoutMode.PAYPAL_INSTANT, False),
        (ApprovalStatus.DECLINED, PayoutMode.PAYPAL_INSTANT, False),
        (ApprovalStatus.APPROVED, PayoutMode.MANUAL, False),
    ],
)
def test_only_an_approved_instant_affiliate_is_paid_at_the_sale(
    approval: ApprovalStatus, mode: PayoutMode, instant: bool
) -> None:
    assert settles_at_sale(approval, mode) is instant


def instant(
    approval: ApprovalStatus = ApprovalStatus.APPROVED, has_method: bool = True, sales: int = 3
) -> AffiliateFacts:
    return AffiliateFacts(approval, PayoutMode.PAYPAL_INSTANT, has_method, sales)


def test_pay_by_id_settles_a_due_affiliate_and_an_eligible_instant_leftover() -> None:
    eur = BalanceFigures("EUR", earned=0, reserve=0, due_installments=0, paid=0, owed=0)
    assert pay_by_id(PaymentStatus.DUE, APPROVED_MANUAL, [usd(400), eur], ProgramRules()).currencies == ("USD",)
    # An approved PayPal Instant affiliate's leftover (stored DUE_INCOMPLETE: INSTANT_PAYMENT) is settled.
    choice = pay_by_id(PaymentStatus.DUE_INCOMPLETE, instant(), [usd(1001)], ProgramRules())
    assert choice == choice.__class__(currencies=("USD",))


def test_pay_by_id_skips_an_instant_leftover_that_would_not_be_due_in_manual_mode() -> None:
    incomplete = PaymentStatus.DUE_INCOMPLETE
    rules = ProgramRules(minimum_sales=2)
    cases = [
        (instant(ApprovalStatus.PENDING), ProgramRules(), "not due: DUE_INCOMPLETE (affiliate is pending)"),
        (instant(ApprovalStatus.DECLINED), ProgramRules(), "not due: DUE_INCOMPLETE (affiliate is declined)"),
        (instant(has_method=False), ProgramRules(), "not due: DUE_INCOMPLETE (no payment method on file)"),
        (instant(sales=1), rules, "not due: DUE_INCOMPLETE (1 of 2 required sales)"),
        (
            instant(ApprovalStatus.PENDING, has_method=False),
            ProgramRules(),
            "not due: DUE_INCOMPLETE (affiliate is pending; no payment method on file)",
        ),
    ]
    for facts, program, reason in cases:
        assert pay_by_id(incomplete, facts, [usd(1001)], program).skip_reason == reason
    # The minimum payout applies to the leftover too, per currency.
    choice = pay_by_id(incomplete, instant(), [usd(1001)], ProgramRules(minimum_payout={"USD": 5000}))
    assert choice.skip_reason == "below the minimum payout: USD 10.01 of USD 50.00 minimum"
    assert pay_by_id(incomplete, instant(), [usd(0)], ProgramRules()).skip_reason == "nothing due"


def test_pay_by_id_skips_a_manual_affiliate_that_is_not_due() -> None:
    choice = pay_by_id(PaymentStatus.DUE_INCOMPLETE, APPROVED_MANUAL, [usd(400)], ProgramRules())
    assert choice.skip_reason == "not due: DUE_INCOMPLETE" and choice.currencies == ()


# --- rule 12: a void nets against later refunds -------------------------------------------------


def test_worked_example_void_after_a_full_refund() -> None:
    """10.00 paid, the sale fully refunded (owed 10.00), the payout voided -> VOIDED, owed 0, due 0."""
    paid = [InstallmentSlice(1, 1000, T0, True)]
    allocation = allocate_reduction(refund_reduction(1000, 1000, 10000, 0, 10000), paid)
    assert allocation == allocation.__class__(new_amounts={}, owed_from={1: 1000})
    netting = net_void({1: 1000}, [OwedSlice(7, 1, 1000)])
    assert netting.installments == {1: 0} and netting.owed == {7: 0}
    assert installment_state(0, True, False, T0, T0) is InstallmentState.VOIDED
    after = balance_figures("USD", earned=0, open_installments=[], paid=0, owed=0, now=T0)
    assert payment_status(APPROVED_MANUAL, [after], ProgramRules()).status is PaymentStatus.NOTHING_DUE


def test_void_after_a_partial_refund_brings_back_only_the_unrefunded_part() -> None:
    # 10.00 paid; a 30% refund takes 3.00 (owed); the void voids those 3.00 and 7.00 are due again.
    allocation = allocate_reduction(refund_reduction(1000, 1000, 10000, 0, 3000), [InstallmentSlice(1, 1000, T0, True)])
    assert allocation.owed_from == {1: 300}
    netting = net_void({1: 1000}, [OwedSlice(7, 1, 300)])
    assert netting == netting.__class__(installments={1: 700}, owed={7: 0})
    f = balance_figures("USD", earned=700, open_installments=[OpenInstallment(700, T0)], paid=0, owed=0, now=T0)
    assert f.due == 700 and f.earned == f.reserve + f.due_installments + f.paid - f.owed


def test_void_leaves_owed_of_other_installments_and_recovered_owed_alone() -> None:
    # Owed from installment 2 (still paid by another payout) stays owed; an owed amount a later payout
    # recovered is not outstanding, so it is not passed in and installment 1 comes back whole as due.
    netting = net_void({1: 1000}, [OwedSlice(7, 2, 400), OwedSlice(8, None, 100)])
    assert netting == netting.__class__(installments={}, owed={})


def test_netting_never_takes_more_than_the_installment() -> None:
    netting = net_void({1: 100}, [OwedSlice(7, 1, 60), OwedSlice(8, 1, 60)])
    assert netting == netting.__class__(installments={1: 0}, owed={7: 0, 8: 20})


def test_also_in_names_the_other_groups_of_a_row() -> None:
    assert also_in({"PAYPAL", "CHECK", "BANK_WIRE"}, "PAYPAL") == "BANK_WIRE,CHECK"
    assert also_in({"PAYPAL"}, "PAYPAL") == ""  # PREFERRED scope, or one method on file


def test_a_change_moved_by_its_delta_keeps_an_open_dispute() -> None:
    """rule 13 with issue 10's delta refresh: a new sale's numbers must not lift another sale's dispute."""
    from models.rules.status import Delta, OpenInstallment, balance_figures, moved_figures

    now = datetime(2026, 3, 1, tzinfo=UTC)
    disputed = OpenInstallment(600, now - timedelta(days=1), True)
    new = OpenInstallment(400, now + timedelta(days=30))
    before = balance_figures("USD", earned=600, open_installments=[disputed], paid=0, owed=0, now=now)
    moved = moved_figures(before, "USD", Delta(earned=400, opened=(new,), sales=1), now)
    recomputed = balance_figures("USD", earned=1000, open_installments=[disputed, new], paid=0, owed=0, now=now)
    assert (moved.disputed, moved.reserve, moved.due) == (600, 1000, 0)
    assert moved == recomputed
