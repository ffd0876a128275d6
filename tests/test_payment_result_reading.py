"""Rule 20's pure reading of result files: worked examples and properties (any text either reads as
lines, each with an outcome, or is refused on `content`; never another error)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.enums import PaymentResultOutcome
from models.rules.commission import RuleError
from models.rules.payment_results import (
    hold_message,
    read_paypal,
    read_returns_csv,
    row_reference,
    void_reason,
)

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


def test_a_returns_csv_in_any_column_order():
    lines = read_returns_csv(
        "Date,STATUS,reference,amount,Currency,reason\n2026-12-03,returned,PD-42-7,40.00,usd,account closed\n"
        "2026-12-03T10:00:00+01:00,PAID,UGF5b3V0OjE=,,,\n,MAYBE,PD-42-8,,,\n",
        NOW,
    )
    first, second, third = lines
    assert (first.line, first.outcome, first.key) == (2, PaymentResultOutcome.VOIDED, "csv:PD-42-7:RETURNED")
    assert (first.amount, first.currency, first.reason) == (Decimal("40.00"), "USD", "account closed")
    assert first.returned_at == datetime(2026, 12, 3, tzinfo=UTC)
    assert second.outcome is PaymentResultOutcome.CONFIRMED
    assert second.returned_at == datetime(2026, 12, 3, 9, tzinfo=UTC)
    assert third.outcome is PaymentResultOutcome.INVALID and "MAYBE" in (third.problem or "")
    assert row_reference("PD-42-7") == (42, 7) and row_reference("PD-42-x") is None
    assert void_reason(first, paypal=False) == "RETURNED: account closed"


def test_paypal_pages_number_items_on():
    page = {
        "items": [
            {
                "payout_item_id": "A",
                "transaction_status": "UNCLAIMED",
                "payout_item": {
                    "amount": {"value": "40.00", "currency": "USD"},
                    "receiver": "ann@example.com",
                    "sender_item_id": "7",
                },
            }
        ]
    }
    lines = read_paypal(json.dumps([page, page]))
    assert [(line.line, line.outcome) for line in lines] == [(1, PaymentResultOutcome.PENDING)] * 1 + [
        (2, PaymentResultOutcome.PENDING)
    ]
    assert void_reason(lines[0], paypal=True) == "PayPal UNCLAIMED"
    assert hold_message("USD 40.00", datetime(2026, 12, 3, tzinfo=UTC), "PayPal RETURNED") == (
        "USD 40.00 payment returned on 2026-12-03 (PayPal RETURNED): update the payment details"
    )


def test_amounts_that_are_not_numbers_are_invalid():
    lines = read_returns_csv("reference,status,amount\nPD-1-1,PAID,sNaN\nPD-1-1,PAID,Infinity\n", NOW)
    assert [line.outcome for line in lines] == [PaymentResultOutcome.INVALID] * 2
    items = [{"payout_item_id": "A", "transaction_status": "SUCCESS", "payout_item": {"amount": {"value": "NaN"}}}]
    assert read_paypal(json.dumps({"items": items}))[0].outcome is PaymentResultOutcome.INVALID


def test_unreadable_json_is_refused_on_content():
    for content in ("not json", "[" * 100_000, '{"items": 3}', "[]", "7"):
        with pytest.raises(RuleError) as e:
            read_paypal(content)
        assert e.value.field == "content"


@pytest.mark.parametrize("content", ["", "nothing", "reference\nPD-1-1\n", "status,amount\nRETURNED,1\n"])
def test_unreadable_csv_is_refused_on_content(content):
    with pytest.raises(RuleError) as e:
        read_returns_csv(content, NOW)
    assert e.value.field == "content"


@given(st.text(max_size=300))
def test_any_csv_text_reads_or_is_refused(text):
    try:
        lines = read_returns_csv("reference,status,amount,date\n" + text, NOW)
    except RuleError as e:
        assert e.field == "content"
        return
    for line in lines:
        assert line.outcome in PaymentResultOutcome
        assert (line.outcome is PaymentResultOutcome.INVALID) == (line.problem is not None)
        assert line.returned_at is None or line.returned_at <= NOW


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=15), children, max_size=4),
    max_leaves=12,
)


@given(st.lists(json_values, max_size=4))
def test_any_items_read_as_lines(items):
    lines = read_paypal(json.dumps({"items": items}))
    assert [line.line for line in lines] == list(range(1, len(items) + 1))
    assert all(line.outcome is PaymentResultOutcome.INVALID for line in lines if line.problem is not None)
