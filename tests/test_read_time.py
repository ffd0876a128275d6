"""Time at read time: with no clock running, a read is still exact as of its own `now`.

The clock applies releases at their instant; a request that reads affiliates applies, once, the
releases the clock has not applied yet (an indexed probe), and a request that reads no affiliate
does not look at balances at all. `totalCount` costs a COUNT(*) only when it is asked for.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.config import Settings
from tests.api import add_paypal, create_affiliate, create_product, record_sale
from tests.clients import ADMIN_TOKEN, SECRET_KEY, GraphQLClient, StatementCounter
from tests.clock import MovableClock

NEXT_DAY = [{"percent": "40", "delayDays": 0}, {"percent": "60", "delayDays": 1}]
DUE_PAGE = """{ affiliates(filter: {paymentStatus: [DUE]}) { edges { node { id paymentStatus
  balances { due { amount } reserve { amount } nextRelease { at } } } } } }"""


@pytest.fixture
def settings(database_url: str, clock: MovableClock) -> Settings:
    """No maturity clock: only the reads themselves can bring time in."""
    return Settings(
        database_url=database_url, secret_key=SECRET_KEY, admin_token=ADMIN_TOKEN, maturity_clock=False, clock=clock
    )


async def held_then_released(gql: GraphQLClient, clock: MovableClock) -> str:
    """A DUE_INCOMPLETE affiliate (everything held) whose installment is released a minute from now (a
    margin no loaded machine eats up), and then time moved past it."""
    product = await create_product(gql, milestones=[{"percent": "100", "delayDays": 1}])
    ann = await create_affiliate(gql)
    await add_paypal(gql, ann)
    occurred = clock() - timedelta(days=1) + timedelta(minutes=1)
    await record_sale(gql, externalId="t-1", productId=product, affiliateId=ann, occurredAt=occurred.isoformat())
    assert (await gql.ok(DUE_PAGE))["affiliates"]["edges"] == []
    clock.advance(timedelta(minutes=2))
    return ann


async def test_the_due_filter_sees_a_release_no_clock_has_applied(gql: GraphQLClient, clock: MovableClock) -> None:
    ann = await held_then_released(gql, clock)
    edges = (await gql.ok(DUE_PAGE))["affiliates"]["edges"]
    assert [e["node"]["id"] for e in edges] == [ann]
    (balance,) = edges[0]["node"]["balances"]
    assert balance == {"due": {"amount": "10.01"}, "reserve": {"amount": "0.00"}, "nextRelease": None}


async def test_a_single_affiliate_read_is_exact_too(gql: GraphQLClient, clock: MovableClock) -> None:
    ann = await held_then_released(gql, clock)
    data = await gql.ok("query($id: ID!) { node(id: $id) { ... on Affiliate { paymentStatus } } }", id=ann)
    assert data["node"]["paymentStatus"] == "DUE"


async def test_reads_without_affiliates_do_not_touch_balances(
    gql: GraphQLClient, clock: MovableClock, sql_statements: StatementCounter
) -> None:
    await held_then_released(gql, clock)
    sql_statements.statements.clear()
    await gql.ok("{ programSettings { minimumSales } }")
    assert not [s for s in sql_statements.statements if '"balances"' in s], sql_statements.statements


async def test_total_count_is_counted_only_when_selected(gql: GraphQLClient, sql_statements: StatementCounter) -> None:
    await create_affiliate(gql)
    sql_statements.statements.clear()
    await gql.ok("{ affiliates { edges { node { id } } } }")
    assert not [s for s in sql_statements.statements if "COUNT(" in s.upper()], sql_statements.statements
    data = await gql.ok("{ affiliates { totalCount } }")
    assert data["affiliates"]["totalCount"] == 1
    assert [s for s in sql_statements.statements if "COUNT(" in s.upper()]
