"""Issue 16, rows 8 and 9 against real servers: links after the admin token changed, no schema hints
with introspection off, and amounts the VALIDATION payload refuses."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import websockets

from tests.clients import ADMIN_TOKEN, GraphQLClient
from tests.live import Live
from tests.servers import start_server
from tests.test_signed_links import file_url
from tests.ws import GRAPHQL_TRANSPORT_WS, ws_url

PRODUCT = """mutation($input: CreateProductInput!) { createProduct(input: $input) { __typename
  ... on Error { code field message } } }"""


async def test_a_signed_link_dies_when_the_admin_token_changes(database_url: str, tmp_path: Path) -> None:
    first = await start_server(database_url, tmp_path / "first.log")
    try:
        async with httpx.AsyncClient(base_url=first.url, timeout=20) as http:
            url = await file_url(GraphQLClient(http, ADMIN_TOKEN))
            assert (await http.get(url)).status_code == 200
    finally:
        await first.stop()
    # The operator rotates PAYOUTS_ADMIN_TOKEN and restarts: the old token's links are dead.
    second = await start_server(database_url, tmp_path / "second.log", PAYOUTS_ADMIN_TOKEN="a-new-admin-token")
    try:
        async with httpx.AsyncClient(base_url=second.url, timeout=20) as http:
            response = await http.get(url)
            assert response.status_code == 403 and "pay@example.com" not in response.text
    finally:
        await second.stop()


@pytest.mark.parametrize("introspection", ["on", "off"])
async def test_no_did_you_mean_with_introspection_off(database_url: str, tmp_path: Path, introspection: str) -> None:
    server = await start_server(database_url, tmp_path / "server.log", PAYOUTS_INTROSPECTION=introspection)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            gql = GraphQLClient(http, ADMIN_TOKEN)
            for query in (
                "{ affiliate { id } }",
                "{ affiliates(frist: 1) { totalCount } }",
                "{ affiliates { totalCont } }",
            ):
                body = await gql.post(query)
                messages = " ".join(e["message"] for e in body["errors"])
                assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
                assert ("Did you mean" in messages) is (introspection == "on"), messages
            async with websockets.connect(ws_url(server.url), subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws:
                init = {"type": "connection_init", "payload": {"authorization": f"Bearer {ADMIN_TOKEN}"}}
                await ws.send(json.dumps(init))
                assert json.loads(await ws.recv())["type"] == "connection_ack"
                bad = {"query": "subscription { payoutBecameDu { cause } }"}
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": bad}))
                error = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert error["type"] == "error"
                assert ("Did you mean" in error["payload"][0]["message"]) is (introspection == "on"), error
    finally:
        await server.stop()


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("10.000", "USD"), ("12,50", "USD"), ("12.5.0", "USD"), ("abc", "USD"), ("100.0", "JPY"), ("1e3", "USD")],
)
async def test_amounts_that_do_not_fit_get_the_validation_payload(live: Live, amount: str, currency: str) -> None:
    price = {"amount": amount, "currency": currency}
    body = await live.gql.post(PRODUCT, input={"name": "Course", "price": price, "commissionPercent": "10"})
    assert "errors" not in body, body
    result = body["data"]["createProduct"]
    assert (result["__typename"], result["code"], result["field"]) == ("ValidationError", "VALIDATION", "price.amount")
    assert (await live.gql.ok("{ products(first: 5) { totalCount } }"))["products"]["totalCount"] == 0
    fits = {"amount": "10.00" if currency == "USD" else "100", "currency": currency}
    created = await live.gql.ok(PRODUCT, input={"name": "Course", "price": fits, "commissionPercent": "10"})
    assert created["createProduct"]["__typename"] == "CreateProductSuccess"
