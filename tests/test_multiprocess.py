"""Two server processes on one PostgreSQL database, events carried by LISTEN/NOTIFY (rule 10).

Each server is a real uvicorn subprocess; subscribers are real WebSocket clients. Only on
PostgreSQL: SQLite deployments are one process. The servers tell the time by a clock the test moves
(tests.clock.FileClock): a sale is recorded a minute before its release, then time is moved to just
before the release instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api import KARTRA, create_product, payable_affiliate, record_sale
from tests.clients import ADMIN_TOKEN, GraphQLClient, on_postgres
from tests.clock import FileClock
from tests.servers import ServerProcess, start_server
from tests.ws import REGISTER, Subscription, subscribe

pytestmark = pytest.mark.skipif(not on_postgres(), reason="several processes need PostgreSQL")

READERS = 4  # concurrent request loops per process racing the clocks over the same maturity


@pytest.fixture
def clock(tmp_path: Path) -> FileClock:
    return FileClock(tmp_path / "clock")


@pytest.fixture
async def servers(
    database_url: str, tmp_path: Path, clock: FileClock
) -> AsyncIterator[tuple[ServerProcess, ServerProcess]]:
    # The first migrates; the second then starts on a ready schema.
    first = await start_server(database_url, tmp_path / "a.log", clock=clock, PAYOUTS_PUBSUB_URL=database_url)
    second = await start_server(database_url, tmp_path / "b.log", clock=clock, PAYOUTS_PUBSUB_URL=database_url)
    try:
        yield first, second
    finally:
        for process in (first, second):
            await process.stop()


async def first_events(subscription: Subscription, count: int, within: float) -> list[dict[str, Any]]:
    """The next `count` events (waiting at most `within` seconds for each), then none for a moment."""
    received = [await subscription.next(within=within) for _ in range(count)]
    await subscription.nothing_within(0.5)
    return received


async def test_a_sale_recorded_through_one_process_reaches_subscribers_on_both(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    async with httpx.AsyncClient(base_url=a.url) as http, AsyncExitStack() as stack:
        gql = GraphQLClient(http)
        product = await create_product(gql, milestones=KARTRA)
        ann = await payable_affiliate(gql)
        on_a = await stack.enter_async_context(subscribe(a.url, ADMIN_TOKEN))
        on_b = await stack.enter_async_context(subscribe(b.url, ADMIN_TOKEN, ann))
        await asyncio.sleep(REGISTER)
        await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann)
        for subscription in (on_a, on_b):
            events = await first_events(subscription, 1, within=1.5)
            assert [(e["cause"], e["affiliate"]["id"], e["newlyDue"]) for e in events] == [
                ("SALE_RECORDED", ann, [{"amount": "4.00", "currency": "USD"}])
            ]


async def record_held_sale(gql: GraphQLClient, product: str, ann: str, clock: FileClock) -> datetime:
    """A sale whose second installment is released a minute from now (plenty for a busy machine); its release."""
    occurred = clock() - timedelta(days=60) + timedelta(minutes=1)
    sale = await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann, occurredAt=occurred.isoformat())
    return datetime.fromisoformat(sale["sale"]["installments"][1]["releaseAt"])


async def test_a_maturity_is_announced_exactly_once_across_processes(
    servers: tuple[ServerProcess, ServerProcess], clock: FileClock
) -> None:
    """Both processes serve requests around the release instant; each subscriber still gets it once."""
    a, b = servers
    async with (
        httpx.AsyncClient(base_url=a.url) as http_a,
        httpx.AsyncClient(base_url=b.url) as http_b,
        AsyncExitStack() as stack,
    ):
        gql_a, gql_b = GraphQLClient(http_a), GraphQLClient(http_b)
        product = await create_product(gql_a, milestones=KARTRA)
        ann = await payable_affiliate(gql_a)
        on_a = await stack.enter_async_context(subscribe(a.url, ADMIN_TOKEN))
        on_b = await stack.enter_async_context(subscribe(b.url, ADMIN_TOKEN))
        await asyncio.sleep(REGISTER)
        release = await record_held_sale(gql_b, product, ann, clock)
        received = asyncio.Event()

        async def keep_reading(gql: GraphQLClient) -> None:
            """Every read of affiliates catches up on maturities too: a race with the other process."""
            while not received.is_set():
                await gql.ok("{ affiliates(filter: {paymentStatus: [DUE]}) { edges { node { id } } } }")

        readers = [asyncio.create_task(keep_reading(g)) for g in (gql_a, gql_b) for _ in range(READERS)]
        clock.advance(release - clock() - timedelta(seconds=0.2))  # the release comes while they read
        try:
            events_a, events_b = await asyncio.gather(first_events(on_a, 2, within=8), first_events(on_b, 2, within=8))
        finally:
            received.set()
            await asyncio.gather(*readers)

        for events in (events_a, events_b):
            assert [e["cause"] for e in events] == ["SALE_RECORDED", "MATURED"]
            assert events[1]["newlyDue"] == [{"amount": "6.01", "currency": "USD"}]
            assert events[1]["due"] == [{"amount": "10.01", "currency": "USD"}]
            assert datetime.fromisoformat(events[1]["at"]) - release < timedelta(seconds=2)


async def test_the_other_process_takes_the_clock_over_when_the_leader_dies(
    servers: tuple[ServerProcess, ServerProcess], clock: FileClock
) -> None:
    a, b = servers  # a started first, so it holds the clock's lock
    async with httpx.AsyncClient(base_url=b.url) as http, AsyncExitStack() as stack:
        gql = GraphQLClient(http)
        product = await create_product(gql, milestones=KARTRA)
        ann = await payable_affiliate(gql)
        on_b = await stack.enter_async_context(subscribe(b.url, ADMIN_TOKEN))
        await asyncio.sleep(REGISTER)
        release = await record_held_sale(gql, product, ann, clock)
        # Half a second before the release, a dies: no request reaches b afterwards, so only b's clock, once it
        # has taken the lock over (it retries every 2 s), can announce the maturity.
        clock.advance(release - clock() - timedelta(seconds=0.5))
        await a.stop(signal.SIGKILL)
        events = await first_events(on_b, 2, within=10)
        assert [e["cause"] for e in events] == ["SALE_RECORDED", "MATURED"]
