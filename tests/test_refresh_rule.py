"""`rules.refresh_affiliate`, the pure step of every balance refresh, on worked cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.enums import ApprovalStatus, PaymentStatus, PayoutMode
from models.rules.status import (
    AffiliateFacts,
    BalanceFigures,
    CurrencyLedger,
    OpenInstallment,
    ProgramRules,
    refresh_affiliate,
)

NOW = datetime(2026, 1, 10, tzinfo=UTC)
READY = AffiliateFacts(ApprovalStatus.APPROVED, PayoutMode.MANUAL, True, 1)


def test_the_40_60_example_after_the_first_release() -> None:
    """USD 10.01 commission: 4.00 released, 6.01 held until day 60."""
    later = NOW + timedelta(days=50)
    ledger = CurrencyLedger(earned=1001, open_installments=[OpenInstallment(400, NOW), OpenInstallment(601, later)])
    before = {"USD": BalanceFigures("USD", 1001, 1001, 0, 0, 0, NOW, 400)}
    r = refresh_affiliate(7, READY, PaymentStatus.DUE_INCOMPLETE, before, {"USD": ledger}, ProgramRules(), NOW)
    (usd,) = r.figures
    figures = (usd.earned, usd.reserve, usd.due, usd.next_release_at, usd.next_release_amount)
    assert figures == (1001, 601, 400, later, 601)
    assert r.status is PaymentStatus.DUE
    assert r.due_rank == 400 * 100
    assert r.transition.newly_due == {"USD": 400}


def test_a_currency_with_a_stored_balance_but_no_history_left_is_zeroed_not_dropped() -> None:
    before = {"EUR": BalanceFigures("EUR", 700, 0, 700, 0, 0)}
    r = refresh_affiliate(7, READY, PaymentStatus.DUE, before, {}, ProgramRules(), NOW)
    assert [(f.currency, f.earned, f.due) for f in r.figures] == [("EUR", 0, 0)]
    assert r.status is PaymentStatus.NOTHING_DUE
    assert r.transition.before_due == {"EUR": 700} and r.transition.after_due == {"EUR": 0}


def test_currencies_are_never_added_together() -> None:
    ledgers = {
        "USD": CurrencyLedger(earned=300, open_installments=[OpenInstallment(300, NOW)]),
        "JPY": CurrencyLedger(earned=500, open_installments=[OpenInstallment(500, NOW)]),
    }
    program = ProgramRules(minimum_payout={"USD": 500})
    r = refresh_affiliate(7, READY, PaymentStatus.NOTHING_DUE, {}, ledgers, program, NOW)
    assert [(f.currency, f.due) for f in r.figures] == [("JPY", 500), ("USD", 300)]
    assert r.status is PaymentStatus.DUE  # JPY is payable; USD stays below its own minimum
    assert r.due_rank == 500 * 10_000
