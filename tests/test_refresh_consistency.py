"""Refreshing only what changed (from a change's own numbers) leaves exactly what a full recomputation would.

After a mixed history (sales held and due, three currencies, an instant affiliate, a bulk call,
refunds before and after payment, a pay run), recomputing every affiliate from its whole history
with `refresh_affiliates` must find nothing to change.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise.transactions import in_transaction

from models.enums import ApprovalStatus, PaymentStatus, PayoutMode
from models.ledger.balances import BALANCE_COLUMNS, apply_changes, apply_settlements, refresh_affiliates
from models.ledger.booking import SaleLine, book_all
from models.rules.status import Delta
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


class RolledBack(Exception):
    """Ends a transaction whose writes a test only looks at."""


Figures = tuple[int, int, int, int]  # reserve, due installments, owed, release (-1 past, 0 none, 1 future)
Story = list[tuple[ApprovalStatus, PayoutMode, bool, bool, int, dict[str, tuple[Figures, str | None]]]]

amounts = st.sampled_from([0, 0, 100, 250, 500, 1000])
SETTLED = {  # what paying a balance does: all its due (owed recovered), half its installments, none
    "all": lambda due, owed: Delta(paid=due - owed, owed=-owed, due_installments=-due),
    "half": lambda due, owed: Delta(paid=due // 2, due_installments=-(due // 2)),
}
story_of = st.lists(
    st.tuples(
        st.sampled_from([ApprovalStatus.APPROVED] * 5 + [ApprovalStatus.PENDING]),  # mostly eligible
        st.sampled_from([PayoutMode.MANUAL] * 5 + [PayoutMode.PAYPAL_INSTANT]),
        st.sampled_from([True] * 5 + [False]),
        st.sampled_from([False] * 5 + [True]),
        st.sampled_from([1, 2, 2, 0]),
        st.dictionaries(
            st.sampled_from(["USD", "EUR", "JPY"]),
            st.tuples(
                st.tuples(
                    st.sampled_from([0, 0, 0, 250]),
                    amounts,
                    st.sampled_from([0, 0, 0, 100, 500]),
                    st.sampled_from([0, 0, 1, -1]),
                ),
                st.sampled_from(["all", "all", "half", None]),
            ),
            min_size=1,
            max_size=3,
        ),
    ),
    min_size=1,
    max_size=6,
)


async def settled_by(story: Story, apply: Any, now: datetime) -> list[Any]:
    """What `apply` leaves after settling `story`'s changes (balances and derived columns, ids left out),
    rolled back."""
    try:
        async with in_transaction():
            changes: dict[tuple[int, str], Delta] = {}
            for n, (approval, mode, has_method, returned, sales, balances) in enumerate(story):
                a = await Affiliate.create(
                    name=f"S{n}",
                    email=f"s{n}@example.com",
                    approval_status=approval,
                    payout_mode=mode,
                    has_payment_method=has_method,
                    payment_returned="returned by the bank" if returned else None,
                    sales_count=sales,
                    payment_status=PaymentStatus.DUE,
                    due_rank=1,
                )
                for currency, ((reserve, due, owed, release), settled) in balances.items():
                    at = None if not release or not reserve else now + timedelta(days=release)
                    await Balance.create(
                        affiliate_id=a.id,
                        currency=currency,
                        earned=reserve + due + 1000,
                        reserve=reserve,
                        due_installments=due,
                        owed=owed,
                        paid=1000,
                        next_release_at=at,
                        next_release_amount=reserve if at else 0,
                        refreshed_at=now,
                    )
                    if settled is not None:
                        changes[a.id, currency] = SETTLED[settled](due, owed)
            await apply(changes, now)
            ids = [a.id for a in await Affiliate.filter(name__startswith="S").order_by("id")]
            left = [
                *await Balance.filter(affiliate_id__in=ids).order_by("id").values_list("currency", *BALANCE_COLUMNS),
                *await Affiliate.filter(id__in=ids).order_by("id").values_list("payment_status", "due_rank"),
            ]
            raise RolledBack
    except RolledBack:
        return left


async def test_settling_in_sql_agrees_with_the_rules(gql: GraphQLClient) -> None:
    """A pay run's shortcut (balances moved by SQL arithmetic, payment status and due rank computed in SQL)
    leaves what refreshing by the rules leaves: for any facts and figures, several currencies, held
    reserve, owed amounts, a release not yet applied, minimum payouts and sales, a returned payment."""
    await update_settings(
        gql,
        minimumPayout=[{"amount": "5.00", "currency": "USD"}, {"amount": "300", "currency": "JPY"}],
        minimumSales=1,
    )
    loop = asyncio.get_running_loop()
    now = datetime.now(UTC)

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(story_of)
    def run(story: Story) -> None:
        by_sql = asyncio.run_coroutine_threadsafe(settled_by(story, apply_settlements, now), loop).result()
        by_rules = asyncio.run_coroutine_threadsafe(settled_by(story, apply_changes, now), loop).result()
        assert by_sql == by_rules

    await asyncio.to_thread(run)
