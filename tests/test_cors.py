"""PAYOUTS_CORS_ORIGINS: a SPA on another origin may call /graphql, open its WebSocket and download files.

Real HTTP and WebSocket clients against the app served by uvicorn: what a browser sends (preflight,
Origin) and what it needs back (Access-Control-* headers, an accepted handshake).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from server.app import create_app
from server.config import Settings, cors_origins
from tests.api import add_paypal, create_affiliate, create_product, record_sale
from tests.clients import ADMIN_TOKEN, GraphQLClient
from tests.servers import Served, served
from tests.ws import GRAPHQL_TRANSPORT_WS, PAYOUT_BECAME_DUE, eventually, ws_url

SPA = "http://localhost:5173"
OTHER = "http://evil.example"


@pytest.fixture
async def spa_server(settings: Settings) -> AsyncIterator[Served]:
    async with served(create_app(replace(settings, cors_origins=(SPA,)))) as server:
        yield server


@pytest.fixture
def url(spa_server: Served) -> str:
    return spa_server.url


def preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization,content-type",
    }


def test_the_setting_is_a_comma_separated_list_of_origins() -> None:
    assert cors_origins("") == ()
    assert cors_origins(" http://localhost:5173 , https://App.Example.com:443,") == (
        "http://localhost:5173",
        "https://app.example.com",
    )
    with pytest.raises(ValueError, match="PAYOUTS_CORS_ORIGINS"):
        cors_origins("http://localhost:5173/app")


@pytest.mark.parametrize("path", ["/graphql", "/exports/files/1"])
async def test_a_preflight_from_an_allowed_origin_is_answered(url: str, path: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.options(path, headers=preflight(SPA, "POST" if path == "/graphql" else "GET"))
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == SPA
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed  # by name: "*" would not cover Authorization
    assert "access-control-allow-credentials" not in response.headers  # bearer headers, no cookies


async def test_a_preflight_from_another_origin_is_refused(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.options("/graphql", headers=preflight(OTHER))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_the_actual_request_carries_the_cors_headers_for_the_allowed_origin_only(url: str) -> None:
    body = {"query": "{ programSettings { minimumSales } }"}
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=url) as http:
        allowed = await http.post("/graphql", json=body, headers={**auth, "Origin": SPA})
        other = await http.post("/graphql", json=body, headers={**auth, "Origin": OTHER})
        refused = await http.post("/graphql", json=body, headers={"Origin": SPA})
    assert allowed.status_code == 200 and allowed.json()["data"]["programSettings"]["minimumSales"] == 0
    assert allowed.headers["access-control-allow-origin"] == SPA
    assert "content-disposition" in allowed.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in other.headers
    assert refused.status_code == 401  # the SPA can read why: the 401 carries the CORS headers too
    assert refused.headers["access-control-allow-origin"] == SPA


async def test_without_the_setting_only_the_same_origin_is_served(settings: Settings) -> None:
    async with served(create_app(settings)) as server, httpx.AsyncClient(base_url=server.url) as http:
        response = await http.options("/graphql", headers=preflight(SPA))
        assert response.status_code == 400
        assert "access-control-allow-origin" not in response.headers
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(ws_url(server.url), origin=Origin(SPA), subprotocols=[GRAPHQL_TRANSPORT_WS])
        assert refused.value.response.status_code == 403


async def init(ws: websockets.ClientConnection) -> dict[str, object]:
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {ADMIN_TOKEN}"}}))
    return json.loads(await ws.recv())


async def test_a_websocket_from_an_allowed_origin_is_accepted(url: str) -> None:
    """As behind Vite's proxy with changeOrigin: Host is the server's own, Origin stays the SPA's."""
    async with websockets.connect(ws_url(url), origin=Origin(SPA), subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws:
        assert (await init(ws))["type"] == "connection_ack"


async def test_a_websocket_from_another_origin_is_refused(url: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(ws_url(url), origin=Origin(OTHER), subprotocols=[GRAPHQL_TRANSPORT_WS])
    assert refused.value.response.status_code == 403


async def test_a_spa_on_an_allowed_origin_runs_a_query_a_mutation_and_a_subscription(spa_server: Served) -> None:
    """The issue's "done": every request carries the SPA's Origin, as a browser on localhost:5173 sends it."""
    async with httpx.AsyncClient(base_url=spa_server.url, headers={"Origin": SPA}) as http:
        gql = GraphQLClient(http)
        product = await create_product(gql)  # a mutation
        ann = await create_affiliate(gql, "Ann Lee")
        await add_paypal(gql, ann)
        query = await http.post(
            "/graphql",
            json={"query": "{ products { totalCount } }"},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert query.json()["data"]["products"]["totalCount"] == 1
        assert query.headers["access-control-allow-origin"] == SPA
        async with websockets.connect(
            ws_url(spa_server.url), origin=Origin(SPA), subprotocols=[GRAPHQL_TRANSPORT_WS]
        ) as ws:
            assert (await init(ws))["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": PAYOUT_BECAME_DUE}}))
            bus = spa_server.state["bus"]
            await eventually(lambda: bus.subscriber_count >= 1)
            await record_sale(gql, externalId="s-1", productId=product, affiliateId=ann)
            async with asyncio.timeout(5):
                event = json.loads(await ws.recv())
    assert event["type"] == "next", event
    assert event["payload"]["data"]["payoutBecameDue"]["affiliate"]["id"] == ann
