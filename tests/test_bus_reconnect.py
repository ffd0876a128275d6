"""Live events survive a dropped bus connection, on PostgreSQL LISTEN/NOTIFY and on Redis (issue 8.5).

Two real server processes share one database: A serves the subscriber, its bus connection runs
through a TCP proxy the test can cut; B records the sales. First A's subscribing connection is
killed from the bus server's side (pg_terminate_backend / CLIENT KILL) and a sale follows at once:
it arrives. Then the proxy is cut so A cannot reconnect: /healthz says the bus is reconnecting,
B records a sale in that gap, the proxy comes back, and the gap's event arrives too (from the
outbox), then a later one; each exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis.asyncio as redis

from tests.api import KARTRA, create_product, payable_affiliate, record_sale
from tests.clients import ADMIN_TOKEN, GraphQLClient, on_postgres
from tests.proxy import Proxy
from tests.servers import ServerProcess, migrate_first, read, start_server
from tests.ws import REGISTER, subscribe

pytestmark = pytest.mark.skipif(not on_postgres(), reason="several processes need PostgreSQL")

REDIS_URL = "redis://127.0.0.1:6379/0"
LISTENER = "payouts-bus"  # server.pubsub.LISTENER_NAME, followed by the process id


def bus_url(kind: str, database_url: str) -> str:
    return database_url if kind == "postgres" else REDIS_URL


async def kill_listener(kind: str, database_url: str, pid: int) -> int:
    """Drop the subscribing connection of process `pid` from the bus server's side; how many were killed."""
    name = f"{LISTENER}-{pid}"
    if kind == "postgres":
        admin = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
        try:
            return len(
                await admin.fetch(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", name
                )
            )
        finally:
            await admin.close()
    client = redis.from_url(REDIS_URL)
    try:
        ids = [c["id"] for c in await client.client_list() if c.get("name") == name]
        for client_id in ids:
            await client.execute_command("CLIENT", "KILL", "ID", client_id)
        return len(ids)
    finally:
        await client.aclose()


@pytest.fixture(params=["postgres", "redis"])
async def pair(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[str, ServerProcess, ServerProcess, Proxy]]:
    kind = request.param
    await migrate_first(database_url)
    proxy, through = Proxy.to_url(bus_url(kind, database_url))
    await proxy.start()
    a = await start_server(database_url, tmp_path / "a.log", PAYOUTS_PUBSUB_URL=through)
    b = await start_server(database_url, tmp_path / "b.log", PAYOUTS_PUBSUB_URL=bus_url(kind, database_url))
    try:
        yield kind, a, b, proxy
    finally:
        for server in (a, b):
            await server.stop()
        await proxy.cut()


async def bus_state(http: httpx.AsyncClient) -> str:
    response = await http.get("/healthz")
    assert response.status_code == 200, response.text  # the database answers: the bus alone never fails it
    return str(response.json()["bus"])


async def test_events_arrive_after_a_dropped_bus_connection_and_from_the_gap(
    pair: tuple[str, ServerProcess, ServerProcess, Proxy], database_url: str
) -> None:
    kind, a, b, proxy = pair
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=20) as http_a,
        httpx.AsyncClient(base_url=b.url, timeout=20) as http_b,
        subscribe(a.url, ADMIN_TOKEN) as on_a,
    ):
        gql = GraphQLClient(http_b)
        product = await create_product(gql, milestones=KARTRA)
        ann = await payable_affiliate(gql)
        await asyncio.sleep(REGISTER)
        assert await bus_state(http_a) == "ok"

        async def sale(external: str) -> None:
            await record_sale(gql, externalId=external, productId=product, affiliateId=ann)

        # 1. The subscribing connection is killed; a sale follows at once (during or after the reconnect).
        assert await kill_listener(kind, database_url, a.process.pid) == 1
        await sale("after-kill")
        assert (await on_a.next(within=8))["cause"] == "SALE_RECORDED"
        await on_a.nothing_within(0.5)  # once
        async with asyncio.timeout(10):
            while await bus_state(http_a) != "ok":  # noqa: ASYNC110 (another process reconnects)
                await asyncio.sleep(0.1)

        # 2. A gap: A cannot reconnect while B records a sale.
        await proxy.cut()
        async with asyncio.timeout(10):
            while await bus_state(http_a) != "reconnecting":  # noqa: ASYNC110 (another process notices)
                await asyncio.sleep(0.1)
        await sale("in-the-gap")
        await on_a.nothing_within(0.5)  # it cannot arrive yet
        await proxy.start()
        assert (await on_a.next(within=10))["due"] == [{"amount": "8.00", "currency": "USD"}]
        await on_a.nothing_within(0.5)  # once

        # 3. And live again.
        assert await bus_state(http_a) == "ok"
        await sale("after-the-gap")
        assert (await on_a.next(within=8))["due"] == [{"amount": "12.00", "currency": "USD"}]
        await on_a.nothing_within(0.5)  # once
    for server in (a, b):
        assert "Traceback" not in read(server.log), read(server.log)[-3000:]
