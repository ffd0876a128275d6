"""The real app served by uvicorn in the test's own event loop, for WebSocket and subscription tests.

The test can reach the app's bus (to know when a subscription is registered), its maturity clock
and the movable clock. The `live` and `bus_kind` fixtures are registered in conftest.py.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta

import httpx
import pytest
import uvicorn

from server.app import create_app
from server.clock import MaturityClock
from server.config import Settings
from server.pubsub import Bus
from tests.clients import GraphQLClient, on_postgres
from tests.clock import MovableClock
from tests.ws import eventually


@dataclass
class Live:
    url: str
    gql: GraphQLClient
    bus: Bus
    clock: MovableClock
    maturity_clock: MaturityClock

    def advance(self, delta: timedelta) -> None:
        """Move time on, and wake the maturity clock, which was sleeping until a real instant."""
        self.clock.advance(delta)
        self.maturity_clock.poke()

    async def subscribed(self, count: int = 1) -> None:
        """Wait until `count` subscriptions are registered: the subscribe message is handled asynchronously."""
        await eventually(lambda: self.bus.subscriber_count >= count)


def free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


BUSES = ["memory", "redis", "postgres"]
REDIS_URL = "redis://127.0.0.1:6379/0"


def bus_kind() -> str:
    """In-process unless a test parametrizes it with one of BUSES."""
    return "memory"


def pubsub_url(kind: str, database_url: str) -> str | None:
    if kind == "redis":
        return REDIS_URL
    if kind == "postgres":
        if not on_postgres():
            pytest.skip("LISTEN/NOTIFY needs the suite on PostgreSQL")
        return database_url
    return None


async def live(settings: Settings, clock: MovableClock, bus_kind: str) -> AsyncIterator[Live]:
    sock = free_socket()
    settings = replace(settings, pubsub_url=pubsub_url(bus_kind, settings.database_url))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    await eventually(lambda: server.started, within=20)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            state = server.lifespan.state
            yield Live(url, GraphQLClient(http), state["bus"], clock, state["maturity_clock"])
    finally:
        server.should_exit = True
        await serving
