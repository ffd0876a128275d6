"""The `payoutBecameDue` bus outbox row is written in the transaction of the change (rules 10 and 19):
a process that commits and dies before publishing loses no event, the others deliver it from the
outbox; a change that rolls back leaves no row."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest
from asgi_lifespan import LifespanManager

from models.global_ids import parse_global_id
from models.tables.outbox import BusMessage
from server.app import create_app
from server.config import Settings
from server.pubsub import KEEPALIVE, PostgresBus, RedisBus, RelayBus
from tests.api import ERROR, create_product, payable_affiliate, record_sale
from tests.clients import GraphQLClient, on_postgres
from tests.live import REDIS_URL


async def test_a_due_event_committed_but_never_published_reaches_other_processes(
    gql: GraphQLClient, database_url: str
) -> None:
    """The app under test uses the in-process bus: it publishes to no other process, as if it had died
    right after its commits. Another process's relay bus still delivers the event, from the outbox."""
    other: RelayBus = PostgresBus(database_url) if on_postgres() else RedisBus(REDIS_URL, database_url)
    await other.start()
    try:
        async with other.subscribe(None) as events:
            product = await create_product(gql)
            affiliate = await payable_affiliate(gql)
            await record_sale(gql, externalId="s-1", productId=product, affiliateId=affiliate)
            async with asyncio.timeout(10):
                event = await anext(events)
    finally:
        await other.stop()
    parsed = parse_global_id(affiliate)
    assert parsed is not None and event.affiliate_id == parsed[1]
    assert event.newly_due == {"USD": 1001} and event.cause.value == "SALE_RECORDED"
    [row] = await BusMessage.all()
    assert '"newly_due":{"USD":1001}' in row.message


async def test_a_refused_change_writes_no_row(gql: GraphQLClient) -> None:
    product = await create_product(gql)
    affiliate = await payable_affiliate(gql)
    refused = await gql.ok(
        f"""mutation($input: RecordSaleInput!) {{ recordSale(input: $input) {{ __typename {ERROR} }} }}""",
        input={
            "externalId": "s-1",
            "productId": product,
            "affiliateId": affiliate,
            "amount": {"amount": "1", "currency": "EUR"},
        },
    )
    assert refused["recordSale"]["__typename"] != "RecordSaleSuccess"
    assert await BusMessage.all().count() == 0


@pytest.mark.skipif(not on_postgres(), reason="the relay bus over PostgreSQL")
async def test_an_event_published_live_is_delivered_once(settings: Settings) -> None:
    """The app relays over PostgreSQL: the event arrives live (NOTIFY, under its row's id) and is in
    the outbox too; another process delivers it once, however many outbox reads follow."""
    relayed = replace(settings, pubsub_url=settings.database_url)
    other = PostgresBus(settings.database_url)
    async with LifespanManager(create_app(relayed), startup_timeout=60, shutdown_timeout=60) as manager:
        await other.start()
        try:
            async with (
                httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://t") as http,
                other.subscribe(None) as events,
            ):
                gql = GraphQLClient(http)
                product = await create_product(gql)
                affiliate = await payable_affiliate(gql)
                await record_sale(gql, externalId="s-1", productId=product, affiliateId=affiliate)
                async with asyncio.timeout(10):
                    first = await anext(events)
                await asyncio.sleep(2 * KEEPALIVE + 0.5)  # two more rounds of outbox reads
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(0.1):
                        await anext(events)
                rows = await BusMessage.all().values_list("message", flat=True)
                assert len([m for m in rows if '"newly_due"' in str(m)]) == 1  # written once, by the change
        finally:
            await other.stop()
    assert first.newly_due == {"USD": 1001}
