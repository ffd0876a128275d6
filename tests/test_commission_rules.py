"""Rule 16's pure bookkeeping: who earns on a sale, and each commission's refunds, with properties."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.enums import CommissionRole
from models.rules.commission import (
    InstallmentSlice,
    Milestone,
    OwedSlice,
    RuleError,
    allocate_reduction,
    commission_for_sale,
    net_void,
    split_commission,
)
from models.rules.commissions import (
    CommissionLeft,
    JvEntry,
    RenewalFacts,
    SecondTier,
    Share,
    check_jv_partners,
    recruiter_at,
    reductions,
    shares,
)
from models.rules.renewals import Assignment

AFF, SECOND, JV = CommissionRole.AFFILIATE, CommissionRole.SECOND_TIER, CommissionRole.JV_PARTNER
T0 = datetime(2026, 3, 1, tzinfo=UTC)
KARTRA = [Milestone(Decimal(40), 0), Milestone(Decimal(60), 60)]


def course(renewal: RenewalFacts | None = None, ann_ended: str | None = None) -> list[Share]:
    first = Share(AFF, 1, Decimal(10), 0 if ann_ended else 1001, ann_ended)
    jv = [JvEntry(3, Decimal(20)), JvEntry(4, Decimal("7.5"), months=12)]
    return shares(10010, first, SecondTier(2, Decimal(5)), jv, renewal, T0 + timedelta(days=396) if renewal else T0)


def test_worked_example_commissions_and_installments() -> None:
    booked = course()
    assert [(s.role, s.payee_id, s.amount) for s in booked] == [
        (AFF, 1, 1001),
        (SECOND, 2, 501),
        (JV, 3, 2002),
        (JV, 4, 751),
    ]
    assert [split_commission(s.amount, KARTRA) for s in booked] == [[400, 601], [200, 301], [800, 1202], [300, 451]]


def test_worked_example_three_refunds_reduce_each_commission_on_its_own() -> None:
    left = [CommissionLeft(c, c) for c in (1001, 501, 2002, 751)]
    refunded = 0
    seen = []
    for refund in (3300, 3300, 3410):
        cuts = reductions(left, 10010, refunded, refund)
        seen.append(cuts)
        left = [CommissionLeft(c.original, c.remaining - cut) for c, cut in zip(left, cuts, strict=True)]
        refunded += refund
    assert seen == [[330, 165, 660, 248], [330, 165, 660, 248], [341, 171, 682, 255]]
    assert [c.remaining for c in left] == [0, 0, 0, 0]


def test_a_renewal_past_the_first_tier_limit_pays_no_second_tier_but_a_lifetime_jv_partner() -> None:
    booked = course(RenewalFacts(T0, 12), ann_ended="renewalMonths: renewals earn within 12 months of the initial sale")
    # Kim's own 12 months ended too; Jane's entry is lifetime.
    assert [(s.role, s.payee_id, s.amount) for s in booked] == [(AFF, 1, 0), (JV, 3, 2002)]


def test_zero_declined_and_missing_beneficiaries_book_nothing_but_the_first_tier_always_books() -> None:
    first = Share(AFF, 1, Decimal(10), 0)
    jv = [JvEntry(3, Decimal("0.0001")), JvEntry(4, Decimal(20), declined=True)]
    assert shares(100, first, SecondTier(None, Decimal(5)), jv, None, T0) == [first]
    assert shares(100, first, SecondTier(2, Decimal(5), declined=True), [], None, T0) == [first]
    assert shares(100, first, SecondTier(2, None), [], None, T0) == [first]


def test_the_recruiter_in_force_is_the_latest_set_at_or_before_the_sale() -> None:
    history = [
        Assignment(T0, 1, 7),
        Assignment(T0 + timedelta(days=2), 2, None),
        Assignment(T0 + timedelta(days=2), 3, 9),
    ]
    assert recruiter_at(history, T0 - timedelta(seconds=1)) is None
    assert recruiter_at(history, T0 + timedelta(days=1)) == 7
    assert recruiter_at(history, T0 + timedelta(days=2)) == 9


@pytest.mark.parametrize(
    ("entries", "field"),
    [
        ([JvEntry(i, Decimal(1)) for i in range(11)], "partners"),
        ([JvEntry(1, Decimal(1)), JvEntry(1, Decimal(2))], "partners.1.payeeId"),
        ([JvEntry(1, Decimal(60)), JvEntry(2, Decimal("40.0001"))], "partners"),
        ([JvEntry(1, Decimal(0))], "partners.0.percent"),
        ([JvEntry(1, Decimal("1.00001"))], "partners.0.percent"),
        ([JvEntry(1, Decimal(1), payments=-1)], "partners.0.renewalPayments"),
    ],
)
def test_jv_list_refusals_name_the_field(entries: list[JvEntry], field: str) -> None:
    with pytest.raises(RuleError) as refused:
        check_jv_partners(entries, 1200, 100_000)
    assert refused.value.field == field


# --- properties -------------------------------------------------------------------------------------

percents = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(100), places=4)


@given(
    st.integers(min_value=1, max_value=10**11),
    st.lists(percents, min_size=1, max_size=12),
    st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=8),
)
@settings(max_examples=300)
def test_every_commissions_reductions_add_up_to_its_original(
    amount: int, commission_percents: list[Decimal], weights: list[int]
) -> None:
    """However the refunds are cut, each commission loses exactly its original amount once fully refunded."""
    originals = [commission_for_sale(amount, p, None) for p in commission_percents]
    cuts_total = [0] * len(originals)
    refunded = 0
    total = sum(weights)
    for n, w in enumerate(weights):
        refund = amount - refunded if n == len(weights) - 1 else min(amount - refunded, amount * w // total)
        left = [CommissionLeft(o, o - c) for o, c in zip(originals, cuts_total, strict=True)]
        for i, cut in enumerate(reductions(left, amount, refunded, refund)):
            assert 0 <= cut <= left[i].remaining
            cuts_total[i] += cut
        refunded += refund
    assert cuts_total == originals


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, int]]:
    """Sales (one commission per payee 0-3), then payouts, refunds and voids in any order."""
    return draw(
        st.lists(
            st.one_of(
                st.tuples(st.just("sale"), st.integers(1, 100_000)),
                st.tuples(st.just("refund"), st.integers(1, 100)),
                st.tuples(st.just("pay"), st.integers(0, 3)),
                st.tuples(st.just("void"), st.integers(0, 3)),
            ),
            max_size=25,
        )
    )


@dataclass
class Slice:
    """One installment of the simulated ledger."""

    payee: int
    commission: int
    amount: int
    payout: int | None = None


@dataclass
class Owed:
    """One owed amount of the simulated ledger, with the paid installment it was taken from."""

    payee: int
    installment: int | None
    amount: int
    recovered_by: int | None = None


@dataclass
class Simulated:
    """A ledger driven only by the pure rules, as models/ledger drives them (sales of four payees)."""

    commissions: list[list[int]] = field(default_factory=list)  # [payee, original, remaining]
    sales: list[tuple[int, list[int]]] = field(default_factory=list)  # (amount, commissions)
    refunded: list[int] = field(default_factory=list)
    installments: list[Slice] = field(default_factory=list)
    owed: list[Owed] = field(default_factory=list)
    payouts: list[tuple[int, bool]] = field(default_factory=list)  # (payee, voided)

    def sale(self, amount: int) -> None:
        first = Share(AFF, 0, Decimal(10), commission_for_sale(amount, Decimal(10), None))
        jv = [JvEntry(2, Decimal(20)), JvEntry(3, Decimal("7.5"))]
        keys = []
        for share in shares(amount, first, SecondTier(1, Decimal(5)), jv, None, T0):
            keys.append(len(self.commissions))
            self.commissions.append([share.payee_id, share.amount, share.amount])
            self.installments += [Slice(share.payee_id, keys[-1], p) for p in split_commission(share.amount, KARTRA)]
        self.sales.append((amount, keys))
        self.refunded.append(0)

    def refund(self, index: int, percent: int) -> None:
        """Rule 16.5: each commission reduced on its own, from unpaid installments first, the rest owed."""
        amount, keys = self.sales[index]
        refund = min(amount - self.refunded[index], max(1, amount * percent // 100))
        if refund <= 0:
            return
        left = [CommissionLeft(self.commissions[k][1], self.commissions[k][2]) for k in keys]
        for key, cut in zip(keys, reductions(left, amount, self.refunded[index], refund), strict=True):
            own = [n for n, i in enumerate(self.installments) if i.commission == key]
            against = {n: sum(o.amount for o in self.owed if o.installment == n) for n in own}
            allocation = allocate_reduction(
                cut,
                [
                    InstallmentSlice(
                        n, self.installments[n].amount, T0, self.installments[n].payout is not None, against[n]
                    )
                    for n in own
                ],
            )
            for n, new in allocation.new_amounts.items():
                self.installments[n].amount = new
            payee = self.commissions[key][0]
            self.owed += [Owed(payee, n, part) for n, part in allocation.owed_from.items() if part]
            if allocation.unattributed:
                self.owed.append(Owed(payee, None, allocation.unattributed))
            self.commissions[key][2] -= cut
        self.refunded[index] += refund

    def pay(self, payee: int) -> None:
        due = [i for i in self.installments if i.payee == payee and i.payout is None and i.amount]
        if due:
            for i in due:
                i.payout = len(self.payouts)
            for o in self.owed:
                if o.payee == payee and o.recovered_by is None:
                    o.recovered_by = len(self.payouts)
            self.payouts.append((payee, False))

    def void(self, payee: int) -> None:
        """Unpay the payee's latest live payout, then net its outstanding owed amounts (rule 12)."""
        live = [n for n, (p, voided) in enumerate(self.payouts) if p == payee and not voided]
        if not live:
            return
        self.payouts[live[-1]] = (payee, True)
        for i in self.installments:
            if i.payout == live[-1]:
                i.payout = None
        for o in self.owed:
            if o.recovered_by == live[-1]:
                o.recovered_by = None
        against = {
            k: o.installment
            for k, o in enumerate(self.owed)
            if o.payee == payee and o.recovered_by is None and o.amount > 0 and o.installment is not None
        }
        unpaid = {n: self.installments[n].amount for n in against.values() if self.installments[n].payout is None}
        netting = net_void(
            {n: amount for n, amount in unpaid.items() if amount},
            [OwedSlice(k, n, self.owed[k].amount) for k, n in against.items()],
        )
        for n, new in netting.installments.items():
            self.installments[n].amount = new
        for k, new in netting.owed.items():
            self.owed[k].amount = new

    def holds_rule_1(self, payee: int) -> bool:
        """earned = reserve + due + paid - owed, a payout paying its installments net of what it recovered."""
        earned = sum(c[2] for c in self.commissions if c[0] == payee)
        mine = [i for i in self.installments if i.payee == payee]
        unpaid = sum(i.amount for i in mine if i.payout is None)
        paid_out = sum(i.amount for i in mine if i.payout is not None and not self.payouts[i.payout][1])
        owed = [o for o in self.owed if o.payee == payee]
        outstanding = sum(o.amount for o in owed if o.recovered_by is None)
        recovered = sum(o.amount for o in owed if o.recovered_by is not None)
        return earned == unpaid + paid_out - recovered - outstanding


@given(histories())
@settings(max_examples=200)
def test_rule_1_identity_holds_per_payee_through_any_sequence(history: list[tuple[str, int]]) -> None:
    """Sales of four payees, refunds, payouts and voids (netting included) in any order: every payee's
    ledger balances, and every commission's reductions never exceed it."""
    ledger = Simulated()
    for kind, value in history:
        if kind == "sale":
            ledger.sale(value)
        elif kind == "refund" and ledger.sales:
            ledger.refund(value % len(ledger.sales), value)
        elif kind == "pay":
            ledger.pay(value)
        elif kind == "void":
            ledger.void(value)
    for payee in range(4):
        assert ledger.holds_rule_1(payee), (payee, history)
    assert all(0 <= remaining <= original for _, original, remaining in ledger.commissions)
