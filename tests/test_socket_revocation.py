"""A revoked token stops working on its open WebSocket at once (issue 8 item 2, operations.md).

Real uvicorn servers and real graphql-transport-ws clients: revoking over HTTP closes the socket
with 4403 and nothing is delivered after; a revocation no bus message announced (written straight
to the database, as by a CLI on a single server) still stops the socket's next operation and its
next event; and across two processes on PostgreSQL the other process closes its sockets too.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from models.tables.tokens import ApiToken
from schema.ids import parse_global_id
from server.sockets import REVOKED, WATCH_EVERY
from tests.api import ERROR, KARTRA, create_affiliate_token, create_product, payable_affiliate, record_sale
from tests.clients import ADMIN_TOKEN, GraphQLClient, on_postgres
from tests.live import Live
from tests.servers import ServerProcess, start_server
from tests.ws import connect, subscribe

REVOKE = f"mutation($id: ID!) {{ revokeToken(id: $id) {{ __typename {ERROR} }} }}"
UPDATE = """mutation($input: PaymentDetailsInput!) { updatePaymentDetails(input: $input) {
  __typename ... on Error { code } } }"""
SUMMARY = "query($id: ID!) { node(id: $id) { ... on Affiliate { paymentMethods { summary } } } }"


async def closed_with(ws: websockets.ClientConnection, within: float = 5.0) -> tuple[int, list[dict[str, Any]]]:
    """Read until the server closes the socket: its close code and every message it sent before."""
    received = []
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(within):
            while True:
                received.append(json.loads(await ws.recv()))
    assert closed.value.rcvd is not None, "the client closed, not the server"
    return closed.value.rcvd.code, received


async def ann_with_token(gql: GraphQLClient) -> tuple[str, str, str, str]:
    """(product, affiliate id, AFFILIATE token, ApiToken id) for a payable affiliate."""
    product = await create_product(gql, milestones=KARTRA)
    ann = await payable_affiliate(gql)
    created = await create_affiliate_token(gql, ann)
    return product, ann, created["token"], created["apiToken"]["id"]


async def revoke_in_database_only(token_gid: str) -> None:
    """A revocation no bus message announces (a CLI revoke on a server without a shared bus)."""
    _, pk = parse_global_id(token_gid)  # type: ignore[misc]
    assert await ApiToken.filter(id=pk).update(revoked_at=datetime.now(UTC)) == 1


async def test_revoke_over_http_closes_the_socket_with_4403_and_delivers_nothing_after(live: Live) -> None:
    product, ann, token, token_id = await ann_with_token(live.gql)
    async with subscribe(live.url, token) as events:
        await live.subscribed()
        await record_sale(live.gql, externalId="o-1", productId=product, affiliateId=ann)
        assert (await events.next())["cause"] == "SALE_RECORDED"  # the socket works until then

        assert (await live.gql.ok(REVOKE, id=token_id))["revokeToken"]["__typename"] == "RevokeTokenSuccess"
        await record_sale(live.gql, externalId="o-2", productId=product, affiliateId=ann)
        code, after = await closed_with(events.ws)
    assert code == REVOKED
    assert after == [], f"delivered after the revocation: {after}"
    assert live.bus.subscriber_count == 0


async def test_an_operation_on_a_socket_whose_token_was_revoked_does_nothing(live: Live) -> None:
    _, ann, token, token_id = await ann_with_token(live.gql)
    before = await live.gql.ok(SUMMARY, id=ann)
    async with connect(live.url, {"authorization": f"Bearer {token}"}) as ws:
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await revoke_in_database_only(token_id)
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": UPDATE,
                        "variables": {"input": {"affiliateId": ann, "paypalEmail": "thief@example.com"}},
                    },
                }
            )
        )
        code, after = await closed_with(ws)
    assert code == REVOKED and after == []
    assert await live.gql.ok(SUMMARY, id=ann) == before


async def test_a_revoked_token_also_stops_its_running_subscription_at_the_next_event(live: Live) -> None:
    product, ann, token, token_id = await ann_with_token(live.gql)
    async with subscribe(live.url, token) as events:
        await live.subscribed()
        await revoke_in_database_only(token_id)
        await record_sale(live.gql, externalId="o-1", productId=product, affiliateId=ann)
        code, after = await closed_with(events.ws)
    assert code == REVOKED and after == []


async def test_a_revocation_no_bus_announced_still_closes_an_idle_socket_within_seconds(live: Live) -> None:
    _, _, token, token_id = await ann_with_token(live.gql)
    async with subscribe(live.url, token) as events:
        await live.subscribed()
        await revoke_in_database_only(token_id)  # no event, no operation follows: the watch finds it
        code, after = await closed_with(events.ws, within=3 * WATCH_EVERY)
    assert code == REVOKED and after == []


async def test_update_payment_details_right_after_revoke_over_http_is_refused(live: Live) -> None:
    _, ann, token, token_id = await ann_with_token(live.gql)
    before = await live.gql.ok(SUMMARY, id=ann)
    async with connect(live.url, {"authorization": f"Bearer {token}"}) as ws:
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await live.gql.ok(REVOKE, id=token_id)
        try:  # closed already by the revocation, or closed on this operation
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {
                            "query": UPDATE,
                            "variables": {"input": {"affiliateId": ann, "paypalEmail": "thief@example.com"}},
                        },
                    }
                )
            )
        except websockets.ConnectionClosed:
            pass
        code, after = await closed_with(ws)
    assert code == REVOKED and after == []
    assert await live.gql.ok(SUMMARY, id=ann) == before


# --- two processes on PostgreSQL ------------------------------------------------------------------


@pytest.fixture(params=["bus", "no-bus"])
async def two_servers(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[ServerProcess, ServerProcess]]:
    """Two processes on one database, sharing the PostgreSQL bus or (misconfigured) sharing nothing else."""
    if not on_postgres():
        pytest.skip("several processes need PostgreSQL")
    bus = {"PAYOUTS_PUBSUB_URL": database_url} if request.param == "bus" else {}
    first = await start_server(database_url, tmp_path / "a.log", env=bus)
    second = await start_server(database_url, tmp_path / "b.log", env=bus)
    try:
        yield first, second
    finally:
        for server in (first, second):
            await server.stop()


async def test_a_revoke_in_one_process_closes_the_socket_in_the_other(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = two_servers
    async with httpx.AsyncClient(base_url=a.url, timeout=20) as http:
        gql = GraphQLClient(http, ADMIN_TOKEN)
        _, _, token, token_id = await ann_with_token(gql)
        async with subscribe(b.url, token) as events:  # acknowledged: the socket is registered in b
            assert (await gql.ok(REVOKE, id=token_id))["revokeToken"]["__typename"] == "RevokeTokenSuccess"
            code, after = await closed_with(events.ws, within=3)  # with no event to notice it by
        assert code == REVOKED and after == []


async def test_subscribers_sharing_an_execution_each_check_their_own_token(live: Live) -> None:
    """Sockets of one token share one execution per event (schema.events.SharedExecution); another token's
    socket, revoked behind the bus's back, is still closed alone at that event."""
    product, ann, token, _ = await ann_with_token(live.gql)
    other = await create_affiliate_token(live.gql, ann)
    async with (
        subscribe(live.url, token) as first,
        subscribe(live.url, token) as second,
        subscribe(live.url, other["token"]) as revoked,
        subscribe(live.url, ADMIN_TOKEN) as admin,
    ):
        await live.subscribed(4)
        await revoke_in_database_only(other["apiToken"]["id"])
        await record_sale(live.gql, externalId="s-1", productId=product, affiliateId=ann)
        one, two, seen = await first.next(), await second.next(), await admin.next()
        code, after = await closed_with(revoked.ws)
    assert one == two == seen and one["affiliate"]["id"] == ann
    assert code == REVOKED and after == []
