"""Rule 16's pure bookkeeping: who earns on a sale, and each commission's refunds, with properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.enums import CommissionRole
from models.rules.commission import (
    InstallmentSlice,
    Milestone,
    RuleError,
    allocate_reduction,
    commission_for_sale,
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


@given(histories())
@settings(max_examples=200)
def test_rule_1_identity_holds_per_payee_through_any_sequence(history: list[tuple[str, int]]) -> None:  # noqa: C901 (one simulator, read top to bottom)
    """A small ledger driven only by the pure rules: earned = reserve + due + paid - owed for every payee."""
    jv = [JvEntry(2, Decimal(20)), JvEntry(3, Decimal("7.5"))]
    sales: list[dict[str, object]] = []
    installments: list[dict[str, int | None]] = []  # payee, commission, amount, payout
    owed: list[dict[str, int | None]] = []  # payee, amount, recovered_by
    payouts: dict[int, tuple[int, bool]] = {}  # payout -> (payee, voided)
    commissions: dict[int, list[int]] = {}  # commission -> [payee, original, remaining]
    for kind, value in history:
        if kind == "sale":
            first = Share(AFF, 0, Decimal(10), commission_for_sale(value, Decimal(10), None))
            booked = shares(value, first, SecondTier(1, Decimal(5)), jv, None, T0)
            ids = []
            for s in booked:
                key = len(commissions)
                commissions[key] = [s.payee_id, s.amount, s.amount]
                ids.append(key)
                for part in split_commission(s.amount, KARTRA):
                    installments.append({"payee": s.payee_id, "commission": key, "amount": part, "payout": None})
            sales.append({"amount": value, "refunded": 0, "ids": ids})
        elif kind == "refund" and sales:
            sale = sales[value % len(sales)]
            amount, refunded = int(sale["amount"]), int(sale["refunded"])  # type: ignore[call-overload]
            refund = min(amount - refunded, max(1, amount * value // 100))
            if refund <= 0:
                continue
            ids: list[int] = sale["ids"]  # type: ignore[no-redef]
            left = [CommissionLeft(commissions[k][1], commissions[k][2]) for k in ids]
            for key, cut in zip(ids, reductions(left, amount, refunded, refund), strict=True):
                own = [i for i in installments if i["commission"] == key]
                allocation = allocate_reduction(
                    cut,
                    [
                        InstallmentSlice(n, int(i["amount"] or 0), T0, i["payout"] is not None)
                        for n, i in enumerate(own)
                    ],
                )
                for n, new in allocation.new_amounts.items():
                    own[n]["amount"] = new
                if allocation.owed:
                    owed.append({"payee": commissions[key][0], "amount": allocation.owed, "recovered_by": None})
                commissions[key][2] -= cut
            sale["refunded"] = refunded + refund
        elif kind == "pay":
            number = len(payouts)
            due = [i for i in installments if i["payee"] == value and i["payout"] is None and i["amount"]]
            if due:
                payouts[number] = (value, False)
                for i in due:
                    i["payout"] = number
                for o in owed:
                    if o["payee"] == value and o["recovered_by"] is None:
                        o["recovered_by"] = number
        elif kind == "void":
            live = [n for n, (payee, voided) in payouts.items() if payee == value and not voided]
            if live:
                payouts[live[-1]] = (value, True)
                for i in installments:
                    if i["payout"] == live[-1]:
                        i["payout"] = None
                for o in owed:
                    if o["recovered_by"] == live[-1]:
                        o["recovered_by"] = None
    for payee in range(4):
        earned = sum(c[2] for c in commissions.values() if c[0] == payee)
        unpaid = sum(int(i["amount"] or 0) for i in installments if i["payee"] == payee and i["payout"] is None)
        paid_out = sum(int(i["amount"] or 0) for i in installments if i["payee"] == payee and i["payout"] is not None)
        outstanding = sum(int(o["amount"] or 0) for o in owed if o["payee"] == payee and o["recovered_by"] is None)
        recovered = sum(int(o["amount"] or 0) for o in owed if o["payee"] == payee and o["recovered_by"] is not None)
        paid = paid_out - recovered  # a payout pays its installments net of the owed amounts it recovers
        assert earned == unpaid + paid - outstanding, (payee, history)
