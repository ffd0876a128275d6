"""The bulk path for sales (`models.ledger.booking.book_all`, `payouts import`): recordSale's books, set-based."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from models.clock import system_clock
from models.enums import PaymentStatus
from models.errors import NotFound, Violation
from models.ledger.booking import SaleLine, book_all
from models.ledger.payment_details import Cipher
from models.tables.affiliates import Affiliate, Balance
from models.tables.payouts import Payout
from models.tables.sales import Sale
from models.validation import Amount
from schema.ids import parse_global_id
from server.seed import ImportFailed, import_sales, seed
from tests.api import BALANCES, add_paypal, create_affiliate, create_product, record_sale
from tests.conftest import SECRET_KEY, GraphQLClient

KARTRA = [{"percent": "40", "delayDays": 0}, {"percent": "60", "delayDays": 60}]
FIGURES = f"""query($id: ID!) {{ node(id: $id) {{ ... on Affiliate {{ paymentStatus salesCount {BALANCES}
  sales {{ edges {{ node {{ externalId commission {{ amount }} installments {{ amount {{ amount }} releaseAt state }}
  }} }} }} }} }} }}"""


def pk(global_id: str) -> int:
    return parse_global_id(global_id)[1]  # type: ignore[index]


async def books(gql: GraphQLClient, affiliate: str) -> dict[str, Any]:
    node = (await gql.ok(FIGURES, id=affiliate))["node"]
    for edge in node["sales"]["edges"]:
        edge["node"]["externalId"] = edge["node"]["externalId"].split("-", 1)[1]  # drop the per-affiliate prefix
    return node


async def test_bulk_books_exactly_what_record_sale_books(gql: GraphQLClient) -> None:
    product = await create_product(gql, milestones=KARTRA)
    one, bulk = await create_affiliate(gql, "Ann Lee"), await create_affiliate(gql, "Bob Ray")
    for affiliate in (one, bulk):
        await add_paypal(gql, affiliate)
    now = datetime.now(UTC)
    sales = [
        ("s1", None, now - timedelta(days=90)),
        ("s2", ("55.55", "USD"), now - timedelta(days=3)),
        ("s3", None, now),
    ]
    for name, amount, occurred in sales:
        extra = {"amount": {"amount": amount[0], "currency": amount[1]}} if amount else {}
        await record_sale(
            gql, externalId=f"one-{name}", productId=product, affiliateId=one, occurredAt=occurred.isoformat(), **extra
        )
    booked = await book_all(
        "test",
        now,
        [
            SaleLine(
                f"bulk-{name}",
                pk(product),
                pk(bulk),
                Amount(Decimal(amount[0]), amount[1]) if amount else None,
                occurred,
            )
            for name, amount, occurred in sales
        ],
    )
    assert (booked.created, booked.existing) == (3, 0)
    assert await books(gql, one) == await books(gql, bulk)
    assert [t.affiliate_id for t in booked.transitions] == [pk(bulk)]


async def test_repeats_are_existing_and_instant_affiliates_are_paid_at_once(gql: GraphQLClient) -> None:
    product = await create_product(gql, milestones=KARTRA)
    ivy = pk(await create_affiliate(gql, "Ivy Sun", payoutMode="PAYPAL_INSTANT"))
    now = datetime.now(UTC)
    lines = [SaleLine("i-1", pk(product), ivy), SaleLine("i-2", pk(product), ivy), SaleLine("i-1", pk(product), ivy)]
    first = await book_all("test", now, lines)
    again = await book_all("test", now, lines)
    assert (first.created, first.existing, again.created, again.existing) == (2, 1, 0, 3)
    payouts = await Payout.filter(affiliate_id=ivy).order_by("id").values_list("amount", "instant", "reference")
    assert payouts == [(1001, True, "instant:i-1"), (1001, True, "instant:i-2")]


async def test_one_bad_line_books_nothing(gql: GraphQLClient) -> None:
    product = pk(await create_product(gql))
    ann = pk(await create_affiliate(gql))
    cid = pk(await create_affiliate(gql, "Cid Moe", approvalStatus="DECLINED"))
    with pytest.raises(Violation) as declined:
        await book_all("test", datetime.now(UTC), [SaleLine("a", product, ann), SaleLine("c", product, cid)])
    assert (declined.value.code, declined.value.field) == ("AFFILIATE_DECLINED", "input[1].affiliateId")
    with pytest.raises(NotFound):
        await book_all("test", datetime.now(UTC), [SaleLine("a", product, ann), SaleLine("x", product + 99, ann)])
    with pytest.raises(Violation) as mismatch:
        await book_all("test", datetime.now(UTC), [SaleLine("a", product, ann, Amount(Decimal("5"), "EUR"))])
    assert mismatch.value.code == "CURRENCY_MISMATCH"
    assert await Sale.all().count() == 0


async def test_import_reads_a_csv_and_names_the_bad_line(gql: GraphQLClient, tmp_path: Path) -> None:
    product = await create_product(gql)
    ann = await create_affiliate(gql)
    good = tmp_path / "sales.csv"
    good.write_text(
        "externalId,productId,affiliateId,amount,currency,occurredAt\n"
        f"x-1,{product},{ann},,,\n"
        f"x-2,{pk(product)},{pk(ann)},20.00,USD,2026-01-02T03:04:05\n"
    )
    assert await import_sales(system_clock, good, io.StringIO()) == (2, 0)
    assert await import_sales(system_clock, good, io.StringIO()) == (0, 2)
    second = await Sale.get(external_id="x-2")
    stamped = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (second.amount, second.commission, second.occurred_at) == (2000, 200, stamped)
    renewals = tmp_path / "renewals.csv"
    renewals.write_text(
        "externalId,productId,affiliateId,amount,currency,occurredAt,subscriptionId\n"
        f"r-1,{product},{ann},,,,sub_9\nr-2,{product},,,,,sub_9\n"
    )
    assert await import_sales(system_clock, renewals, io.StringIO()) == (2, 0)
    renewal = await Sale.get(external_id="r-2")
    assert (renewal.renewal, renewal.affiliate_id, renewal.subscription_id) == (True, pk(ann), "sub_9")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"externalId,productId,affiliateId\ny-1,{product},{ann}\ny-2,{product},nobody\n")
    with pytest.raises(ImportFailed, match="line 3"):
        await import_sales(system_clock, bad, io.StringIO())


async def test_seed_builds_a_program_whose_books_balance(gql: GraphQLClient) -> None:
    out = io.StringIO()
    await seed(Cipher(SECRET_KEY), datetime.now(UTC), 40, 300, out)
    assert await Sale.all().count() == 300
    assert "100%" in out.getvalue()
    statuses = set(await Affiliate.all().values_list("payment_status", flat=True))
    assert {PaymentStatus.DUE, PaymentStatus.NOTHING_DUE} <= statuses
    for b in await Balance.all():  # the ledger identity, with no refunds: earned = paid + held + matured
        assert b.earned == b.paid + b.reserve + b.due_installments, b
