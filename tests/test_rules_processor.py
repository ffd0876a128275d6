"""Rules 13-15 as pure functions: Stripe event reading, refund totals, disputes, renewals, tiers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.enums import ApprovalStatus, IncompleteReason, InstallmentState, PaymentStatus, PayoutMode
from models.rules.commission import Rate, installment_state, processor_refund
from models.rules.renewals import (
    Assignment,
    RenewalTerms,
    add_months,
    current_tiers,
    renewal_ended,
    renewal_rate,
    tier_at,
)
from models.rules.status import AffiliateFacts, OpenInstallment, ProgramRules, balance_figures, payment_status
from models.rules.stripe_events import (
    DisputeClosed,
    EventError,
    Ignore,
    InvoicePaid,
    InvoicePaymentPaid,
    Payment,
    Refunded,
    SubscriptionStarted,
    interpret,
    parse_event,
)

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
JAN31 = datetime(2026, 1, 31, 9, tzinfo=UTC)


def test_add_months_keeps_the_day_or_clamps_it() -> None:
    assert add_months(JAN31, 1) == datetime(2026, 2, 28, 9, tzinfo=UTC)
    assert add_months(datetime(2027, 12, 31, tzinfo=UTC), 2) == datetime(2028, 2, 29, tzinfo=UTC)
    assert add_months(JAN31, 12) == datetime(2027, 1, 31, 9, tzinfo=UTC)
    assert add_months(JAN31, 0) == JAN31


def test_renewal_limits_worked_examples() -> None:
    start = datetime(2026, 1, 15, tzinfo=UTC)
    twelve = RenewalTerms(months=12)
    assert renewal_ended(twelve, start, datetime(2026, 12, 15, tzinfo=UTC), 10) is None  # 11th monthly renewal
    assert renewal_ended(twelve, start, datetime(2027, 1, 15, tzinfo=UTC), 11) is not None  # 12 months on: ends
    assert renewal_ended(RenewalTerms(months=0), start, start + timedelta(days=30), 0) == (
        "renewalMonths: renewals earn within 0 months of the initial sale"
    )
    three = RenewalTerms(payments=3)
    assert [renewal_ended(three, start, start, n) for n in range(5)] == [None, None, None] + [
        "renewalPayments: only the first 3 renewals earn"
    ] * 2
    assert renewal_ended(RenewalTerms(), start, start + timedelta(days=3650), 500) is None  # lifetime
    both = RenewalTerms(months=6, payments=2)
    assert renewal_ended(both, start, start + timedelta(days=400), 0).startswith("renewalMonths")  # type: ignore[union-attr]


def test_renewal_rate_prefers_the_products_renewal_terms() -> None:
    base = Rate(Decimal(30), None)
    assert renewal_rate(RenewalTerms(), base) == base
    assert renewal_rate(RenewalTerms(percent=Decimal(10)), base) == Rate(Decimal(10), None)
    assert renewal_rate(RenewalTerms(flat=200), Rate(None, 500)) == Rate(None, 200)


def test_the_tier_in_force_at_a_sales_time() -> None:
    history = [
        Assignment(NOW, 1, 7),
        Assignment(NOW + timedelta(days=2), 2, None),
        Assignment(NOW + timedelta(days=2), 3, 9),
    ]
    assert tier_at(history, NOW - timedelta(seconds=1)) is None  # before any assignment: base
    assert tier_at(history, NOW) == 7
    assert tier_at(history, NOW + timedelta(days=5)) == 9  # same instant: the later assignment wins
    assert current_tiers([(1, history[0]), (1, history[1]), (2, history[2])]) == {2: 9}


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=12), st.integers(min_value=1, max_value=10_000))
def test_refund_totals_in_any_order_book_the_largest_total_once(totals: list[int], amount: int) -> None:
    """Whatever order Stripe's running totals arrive in, the refunds booked add up to the largest one (capped)."""
    booked = seen = 0
    for total in totals:
        refund = processor_refund(seen, total, amount - booked)
        assert refund >= 0
        booked += refund
        seen = max(seen, total)
    assert booked == min(max(totals, default=0), amount)


def test_a_disputed_installment_is_reserve_not_due_and_says_why() -> None:
    figures = balance_figures(
        "USD",
        earned=1500,
        paid=0,
        owed=0,
        now=NOW,
        open_installments=[
            OpenInstallment(1001, NOW - timedelta(days=1), disputed=True),
            OpenInstallment(499, NOW + timedelta(days=10)),
        ],
    )
    assert (figures.reserve, figures.due, figures.disputed) == (1500, 0, 1001)
    assert figures.next_release_amount == 499, "a dispute is no release of the clock's"
    assert figures.earned == figures.reserve + figures.due_installments + figures.paid - figures.owed
    verdict = payment_status(
        AffiliateFacts(ApprovalStatus.APPROVED, PayoutMode.MANUAL, True, 1), [figures], ProgramRules()
    )
    assert verdict.status is PaymentStatus.DUE_INCOMPLETE
    assert (IncompleteReason.DISPUTED, "USD 10.01 held until its dispute closes") in verdict.reasons
    assert installment_state(1001, False, False, NOW, NOW, disputed=True) is InstallmentState.DISPUTED
    assert installment_state(1001, False, True, NOW, NOW, disputed=True) is InstallmentState.PAID
    assert installment_state(0, True, False, NOW, NOW, disputed=True) is InstallmentState.VOIDED


def _event(kind: str, obj: Mapping[str, object], livemode: bool = True) -> bytes:
    body = {"id": "evt_1", "type": kind, "created": 1795000000, "livemode": livemode, "data": {"object": obj}}
    return json.dumps(body).encode()


def test_reading_stripe_objects() -> None:
    checkout = {
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "amount_total": 4800,
        "currency": "jpy",
        "payment_intent": "pi_1",
        "created": 1795000000,
        "metadata": {"affiliate": "ann", "product": "price_1"},
        "client_reference_id": "bob",
    }
    sale = interpret(parse_event(_event("checkout.session.completed", checkout)))
    assert isinstance(sale, Payment)
    assert (sale.amount, sale.currency, sale.external_id, sale.refs.affiliate) == (4800, "JPY", "pi_1", "ann")
    sub = interpret(
        parse_event(
            _event(
                "checkout.session.completed",
                {
                    **checkout,
                    "mode": "subscription",
                    "subscription": {"id": "sub_1"},
                    "customer": "cus_1",
                    "metadata": {},
                },
            )
        )
    )
    assert isinstance(sub, SubscriptionStarted) and sub.refs.subscription == "sub_1" and sub.refs.affiliate == "bob"
    inv = interpret(
        parse_event(
            _event(
                "invoice.paid",
                {
                    "id": "in_1",
                    "amount_paid": 2900,
                    "currency": "usd",
                    "subscription": "sub_1",
                    "billing_reason": "subscription_cycle",
                    "status_transitions": {"paid_at": 1795000100},
                },
            )
        )
    )
    assert isinstance(inv, InvoicePaid) and inv.external_id == "in_1" and inv.refs.subscription == "sub_1"
    refund = interpret(
        parse_event(_event("charge.refunded", {"payment_intent": "pi_1", "amount_refunded": 100, "currency": "usd"}))
    )
    assert refund == Refunded("pi_1", 100, "USD")
    closed = interpret(
        parse_event(
            _event(
                "charge.dispute.closed",
                {"id": "dp_1", "payment_intent": "pi_1", "status": "lost", "amount": 50, "currency": "eur"},
            )
        )
    )
    assert closed == DisputeClosed("pi_1", "dp_1", "lost", 50, "EUR")
    assert isinstance(interpret(parse_event(_event("customer.created", {}))), Ignore)
    assert isinstance(interpret(parse_event(_event("charge.refunded", {"payment_intent": 5}))), Ignore)
    for body in (b"", b"[]", b'{"id": "", "type": "x", "data": {"object": {}}}', b'{"id": "e", "type": "x"}'):
        try:
            parse_event(body)
        except EventError:
            continue
        raise AssertionError(f"{body!r} was taken for an event")


def test_rule_21_readings() -> None:
    """Both invoice shapes, invoice_payment.paid, the desk's mode, and hostile strings (payout-rules-3.md 21)."""
    basil = {
        "id": "in_1",
        "amount_paid": 1000,
        "currency": "usd",
        "customer": "cus_1",
        "subscription": None,
        "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_1"}},
        "lines": {"data": [{"pricing": {"price_details": {"price": "price_new"}}}, {"price": {"id": "price_old"}}]},
    }
    read = interpret(parse_event(_event("invoice.paid", basil)))
    assert isinstance(read, InvoicePaid)
    assert (read.external_id, read.invoice, read.refs.subscription) == ("in_1", "in_1", "sub_1")
    assert read.refs.prices == ("price_new", "price_old")
    link = {"invoice": "in_1", "payment": {"type": "payment_intent", "payment_intent": "pi_1"}}
    assert interpret(parse_event(_event("invoice_payment.paid", link))) == InvoicePaymentPaid("in_1", "pi_1")
    assert isinstance(
        interpret(parse_event(_event("invoice_payment.paid", {"invoice": "in_1", "payment": {}}))), Ignore
    )
    test_mode = parse_event(_event("invoice.paid", basil, livemode=False))
    assert interpret(test_mode) == Ignore("test-mode event")
    assert isinstance(interpret(test_mode, live=False), InvoicePaid)
    for hostile in (
        {"id": "in_\u0000"},
        {"id": "in_1", "customer": "cus_\n1"},
        {"id": "in_1", "metadata": {"affiliate": "ann\r\nlee"}},
        {"id": "in_1", "description": "\ud800"},
        {"id": "in_1", "metadata": {"k\u0007": "v"}},
    ):
        with pytest.raises(EventError, match="malformed event"):
            parse_event(_event("invoice.paid", hostile))
    assert parse_event(_event("invoice.paid", {"id": "in_1", "description": "two\nlines"})).id == "evt_1"
