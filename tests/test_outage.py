"""The database goes away under a running server and comes back (issue 8.4, operations.md).

A real TCP proxy sits between the server process and PostgreSQL; the test cuts it (every
connection reset, new ones refused) and restores it. While it is cut, `/graphql` answers HTTP
503 with a JSON `UNAVAILABLE` error whichever step needed the database (the token look-up, the
request's context, a resolver, a mutation), and `/healthz` 503; once restored, both recover
with no restart. PostgreSQL only: an embedded SQLite file keeps its open handle, there is no
connection to lose.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api import create_affiliate
from tests.clients import ADMIN_TOKEN, GraphQLClient, on_postgres
from tests.proxy import Proxy
from tests.servers import ServerProcess, migrate_first, read, start_server

pytestmark = pytest.mark.skipif(not on_postgres(), reason="an embedded SQLite file has no connection to lose")

TOKEN = """mutation { createAffiliateToken(affiliateId: "%s") { ... on CreateAffiliateTokenSuccess { token } } }"""
READ = "{ affiliates(first: 5) { edges { node { id name } } } }"
WRITE = """mutation { createAffiliate(input: {name: "Bo Chen", email: "bo@example.com", approvalStatus: APPROVED}) {
  ... on CreateAffiliateSuccess { affiliate { id } } } }"""


@pytest.fixture
async def proxied(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[ServerProcess, Proxy]]:
    await migrate_first(database_url)
    proxy, through = Proxy.to_url(database_url)
    await proxy.start()
    server = await start_server(through, tmp_path / "server.log", PAYOUTS_PUBSUB_URL="")
    try:
        yield server, proxy
    finally:
        await server.stop()
        await proxy.cut()


async def post(http: httpx.AsyncClient, query: str, token: str = ADMIN_TOKEN) -> httpx.Response:
    return await http.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"})


def unavailable(response: httpx.Response) -> bool:
    body: dict[str, Any] = response.json()  # JSON, never a plain-text 500
    return response.status_code == 503 and [e["extensions"]["code"] for e in body["errors"]] == ["UNAVAILABLE"]


async def test_an_outage_is_503_unavailable_and_the_server_recovers_by_itself(
    proxied: tuple[ServerProcess, Proxy],
) -> None:
    server, proxy = proxied
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
        gql = GraphQLClient(http)
        ann = await create_affiliate(gql, "Ann Lee")
        token = (await gql.ok(TOKEN % ann))["createAffiliateToken"]["token"]
        assert (await post(http, "{ me { name } }", token)).status_code == 200

        await proxy.cut()
        answers = {
            "token look-up": await post(http, "{ me { name } }", token),
            "admin read": await post(http, READ),
            "admin write": await post(http, WRITE),
        }
        assert {step: unavailable(r) for step, r in answers.items()} == dict.fromkeys(answers, True), {
            step: (r.status_code, r.text[:300]) for step, r in answers.items()
        }
        health = await http.get("/healthz")
        assert (health.status_code, health.json()["status"]) == (503, "unavailable")

        await proxy.start()  # the database is back: no restart, the next requests just work
        async with asyncio.timeout(10):
            while (await http.get("/healthz")).status_code != 200:  # noqa: ASYNC110 (another process recovers)
                await asyncio.sleep(0.1)
        assert (await post(http, "{ me { name } }", token)).json() == {"data": {"me": {"name": "Ann Lee"}}}
        assert (await post(http, WRITE)).json()["data"]["createAffiliate"]["affiliate"]["id"]
        names = [e["node"]["name"] for e in (await post(http, READ)).json()["data"]["affiliates"]["edges"]]
        assert sorted(names) == ["Ann Lee", "Bo Chen"]
    log = read(server.log)  # asyncpg's pool logs its own reconnect attempts with a traceback; nothing else may
    assert log.count("Traceback") == log.count("Failed to restore the pool connection floor"), log[-3000:]


async def test_a_server_started_during_an_outage_comes_up_when_the_database_does(
    database_url: str, tmp_path: Path
) -> None:
    await migrate_first(database_url)
    proxy, through = Proxy.to_url(database_url)  # not started yet: the database is unreachable
    log = tmp_path / "server.log"
    starting = asyncio.create_task(start_server(through, log, PAYOUTS_PUBSUB_URL=""))
    async with asyncio.timeout(20):  # it says it waits, and does not exit
        while not (log.exists() and "database unavailable at start-up" in read(log)):  # noqa: ASYNC110
            assert not starting.done()
            await asyncio.sleep(0.05)
    await proxy.start()
    server = await starting
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            assert (await post(http, READ)).json() == {"data": {"affiliates": {"edges": []}}}
    finally:
        await server.stop()
        await proxy.cut()
