"""A real graphql-transport-ws client (the `websockets` package) for the subscription tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import websockets
from websockets.typing import Subprotocol

GRAPHQL_TRANSPORT_WS = Subprotocol("graphql-transport-ws")
PAYOUT_BECAME_DUE = """subscription($affiliateId: ID) { payoutBecameDue(affiliateId: $affiliateId) {
  affiliate { id name salesCount } newlyDue { amount currency } due { amount currency } cause at } }"""


class Subscription:
    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws

    async def next(self, within: float = 5.0) -> dict[str, Any]:
        """The next event's `payoutBecameDue`; fails on errors, completion or timeout."""
        async with asyncio.timeout(within):
            while True:
                message = json.loads(await self.ws.recv())
                if message["type"] == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))
                    continue
                assert message["type"] == "next", message
                assert "errors" not in message["payload"], message["payload"]
                return message["payload"]["data"]["payoutBecameDue"]

    async def nothing_within(self, seconds: float) -> None:
        """Assert that no event arrives for a while."""
        try:
            event = await self.next(within=seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected event {event}")


async def eventually(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Wait for something another task or process does (no event to wait on exists)."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


REGISTER = 0.5  # seconds for a subscribe message to be registered in another (server) process


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1) + "/graphql"


@asynccontextmanager
async def connect(http_url: str, payload: dict[str, Any] | None) -> AsyncIterator[websockets.ClientConnection]:
    """An open graphql-transport-ws connection that has sent connection_init (not yet acknowledged)."""
    async with websockets.connect(ws_url(http_url), subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws:
        init: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            init["payload"] = payload
        await ws.send(json.dumps(init))
        yield ws


@asynccontextmanager
async def subscribe(http_url: str, token: str, affiliate_id: str | None = None) -> AsyncIterator[Subscription]:
    async with connect(http_url, {"authorization": f"Bearer {token}"}) as ws:
        ack = json.loads(await ws.recv())
        assert ack["type"] == "connection_ack", ack
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": PAYOUT_BECAME_DUE, "variables": {"affiliateId": affiliate_id}},
                }
            )
        )
        yield Subscription(ws)
