"""Refreshing only what changed (from a change's own numbers) leaves exactly what a full recomputation would.

After a mixed history (sales held and due, three currencies, an instant affiliate, a bulk call,
refunds before and after payment, a pay run), recomputing every affiliate from its whole history
with `refresh_affiliates` must find nothing to change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from tortoise.transactions import in_transaction

from models.ledger.balances import BALANCE_COLUMNS, refresh_affiliates
from models.ledger.booking import SaleLine, book_all
from models.tables.affiliates import Affiliate, Balance
from schema.ids import parse_global_id
from tests.api import add_paypal, create_affiliate, create_product, record_sale, refund_sale, update_settings
from tests.clients import GraphQLClient

PAY = """mutation($input: MarkAsPaidInput!) { markAsPaid(input: $input) { __typename } }"""


async def snapshot() -> tuple[list[Any], list[Any]]:
    balances = await Balance.all().order_by("id").values_list("affiliate_id", "currency", *BALANCE_COLUMNS)
    derived = (
        await Affiliate.all()
        .order_by("id")
        .values_list("id", "sales_count", "has_payment_method", "payment_status", "due_rank")
    )
    return list(balances), list(derived)


async def test_a_full_recomputation_changes_nothing(gql: GraphQLClient) -> None:
    await update_settings(gql, minimumPayout=[{"amount": "5.00", "currency": "USD"}], minimumSales=1)
    kartra = await create_product(
        gql, milestones=[{"percent": "40", "delayDays": 0}, {"percent": "60", "delayDays": 60}]
    )
    kurs = await create_product(
        gql,
        name="Kurs",
        price={"amount": "50.00", "currency": "EUR"},
        commissionFlat={"amount": "7.00", "currency": "EUR"},
    )
    koza = await create_product(
        gql,
        name="Koza",
        price={"amount": "12000", "currency": "JPY"},
        commissionPercent="12.5",
        milestones=[{"percent": "50", "delayDays": 0}, {"percent": "50", "delayDays": 30}],
    )
    ann, bob = await create_affiliate(gql, "Ann Lee"), await create_affiliate(gql, "Bob Ray", approvalStatus="PENDING")
    ivy = await create_affiliate(gql, "Ivy Sun", payoutMode="PAYPAL_INSTANT")
    await add_paypal(gql, ann)
    now = datetime.now(UTC)
    for n, (product, affiliate, days) in enumerate(
        [
            (kartra, ann, 90),
            (kartra, ann, 10),
            (kurs, ann, 0),
            (koza, ann, 45),
            (kartra, bob, 70),
            (koza, bob, 1),
            (kartra, ivy, 5),
            (kurs, ivy, 0),
        ]
    ):
        when = (now - timedelta(days=days)).isoformat()
        await record_sale(gql, externalId=f"s-{n}", productId=product, affiliateId=affiliate, occurredAt=when)
    await book_all(
        "test",
        now,
        [
            SaleLine(f"b-{n}", parse_global_id(p)[1], parse_global_id(a)[1], None, now - timedelta(days=d))  # type: ignore[index]
            for n, (p, a, d) in enumerate([(kartra, ann, 61), (koza, bob, 31), (kurs, ivy, 2), (kartra, bob, 0)])
        ],
    )
    await refund_sale(gql, externalId="s-1", amount={"amount": "30.00", "currency": "USD"})
    await gql.ok(PAY, input={"affiliateIds": [ann], "method": "PAYPAL"})
    await refund_sale(gql, externalId="s-0")  # paid already: becomes owed
    await record_sale(
        gql, externalId="s-late", productId=kartra, affiliateId=ann, occurredAt=(now - timedelta(days=80)).isoformat()
    )
    await gql.ok(PAY, input={"affiliateIds": [ann], "method": "PAYPAL"})

    stored = await snapshot()
    assert len(stored[0]) >= 7
    async with in_transaction():
        ids = cast(list[int], await Affiliate.all().values_list("id", flat=True))
        await refresh_affiliates(ids, datetime.now(UTC))
    assert await snapshot() == stored
