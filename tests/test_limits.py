"""Limits that protect the server (operations-3.md), each attack of issue 16 against a server process.

Real uvicorn processes (tests/servers.py), real HTTP, raw sockets and WebSocket clients; the
server's memory is read from /proc (rows 1, 5 and 6: it must come back to within 50 MB).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from graphql import parse

from benchmarks.run import DUE_PAGE
from models.enums import DueCause
from schema import limits, make_schema
from schema.cost import MAX_COST, cost_of
from schema.events import DueEvent
from schema.ids import parse_global_id
from tests.api import create_affiliate, create_affiliate_token
from tests.clients import ADMIN_TOKEN, GraphQLClient
from tests.live import Live
from tests.servers import ROOT, ServerProcess, server_env, start_server
from tests.ws import GRAPHQL_TRANSPORT_WS, PAYOUT_BECAME_DUE, connect, eventually, ws_url

OPERATIONS = ROOT / "frontend-contract" / "operations"
MB = 1024 * 1024
SAME_SIZE_MB = 50

# Issue 16, row 1: 20 aliases of a 500-page of affiliates, each with a 500-page of sales.
SALE = "id externalId status occurredAt amount { amount currency } commission { amount currency }"
COSTLY = (
    "query Costly {"
    + " ".join(
        f"a{i}: affiliates(first: 500) {{ totalCount edges {{ node {{ id name email paymentStatus "
        f"sales(first: 500) {{ edges {{ node {{ {SALE} }} }} }} }} }} }}"
        for i in range(20)
    )
    + "}"
)
TINY = "{ affiliates(first: 1) { totalCount } }"


def rss_mb(server: ServerProcess) -> float:
    """The resident size of the server process, in MB."""
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


async def run(database_url: str, *args: str) -> str:
    """`python -m server ...` against the test's database; its standard output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server",
        *args,
        cwd=ROOT,
        env=server_env(database_url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, out
    return out.decode()


@asynccontextmanager
async def serving(database_url: str, tmp_path: Path, name: str, **env: str) -> AsyncIterator[ServerProcess]:
    server = await start_server(database_url, tmp_path / f"{name}.log", env=env)
    try:
        yield server
    finally:
        await server.stop()


def codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


# --- the cost counted ----------------------------------------------------------------------------


def test_the_reference_app_operations_fit_and_the_attack_does_not() -> None:
    schema = make_schema()._schema
    for path in sorted(OPERATIONS.glob("*.graphql")):
        cost = cost_of(schema, parse(path.read_text()), None, {"first": 500})
        assert cost <= MAX_COST, (path.name, cost)
    # The DUE page of 500 with every payout field (the benchmarks' page) fits too.
    assert cost_of(schema, parse(DUE_PAGE), None, {"first": 500}) <= MAX_COST
    assert cost_of(schema, parse(COSTLY), None, {}) > 100 * MAX_COST
    # Each field 1; a connection's selection `first` times; a plain list's 10 times; Money is one value.
    assert cost_of(schema, parse("{ affiliates(first: 3) { totalCount edges { node { id name } } } }"), None, {}) == (
        1 + 3 * (1 + 1 + 1 + 2)
    )
    balances = "{ affiliates(first: $n) { edges { node { balances { currency due { amount currency } } } } } }"
    assert cost_of(schema, parse(f"query($n: Int = 2) {balances}"), None, {}) == 1 + 2 * (1 + 1 + 1 + 10 * 2)
    assert cost_of(schema, parse(f"query($n: Int) {balances}"), None, {"n": 1}) == 1 + 1 + 1 + 1 + 10 * 2


# --- row 1: one costly query, and everyone else ---------------------------------------------------


async def test_a_costly_query_is_refused_before_it_runs_and_others_are_not_kept_waiting(
    database_url: str, tmp_path: Path
) -> None:
    await run(database_url, "seed", "--affiliates", "300", "--sales", "3000")
    viewer = (await run(database_url, "token", "create", "--role", "VIEWER")).split()[-1]
    async with (
        serving(database_url, tmp_path, "cost") as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as http,
    ):
        gql = GraphQLClient(http, viewer)
        await gql.ok(TINY)
        before = rss_mb(server)

        async def tiny() -> float:
            started = time.perf_counter()
            await gql.ok(TINY)
            return time.perf_counter() - started

        started = time.perf_counter()
        results = await asyncio.gather(*[gql.post(COSTLY) for _ in range(4)], *[tiny() for _ in range(4)])
        assert time.perf_counter() - started < 5
        for body in results[:4]:
            assert isinstance(body, dict) and body.get("data") is None
            [error] = body["errors"]
            cost = error["extensions"]["cost"]
            assert error["extensions"]["code"] == "QUERY_TOO_COSTLY" and cost > MAX_COST
            assert str(cost) in error["message"]
        assert max(results[4:]) < 2

        # The reference app's table, 500 DUE affiliates with every payout field, is served.
        table = (OPERATIONS / "AffiliatesTable.graphql").read_text()
        page = await gql.ok(table, first=500, filter={"paymentStatus": ["DUE"]})
        assert 0 < len(page["affiliates"]["edges"]) <= 500

        # Over WebSocket the refusal is an `error` message.
        async with websockets.connect(ws_url(server.url), subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {viewer}"}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": COSTLY}}))
            refused = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert refused["type"] == "error" and refused["payload"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
        assert rss_mb(server) - before < SAME_SIZE_MB, rss_mb(server) - before


async def test_a_long_operation_is_cancelled_and_a_huge_answer_refused(database_url: str, tmp_path: Path) -> None:
    """Limits raised so the attack runs: it is cancelled at PAYOUTS_QUERY_TIMEOUT_S; memory comes back.

    The size before is taken after one cancelled run: what that run leaves is bounded caches (SQLite's
    page cache holds up to 64 MiB), not growth; further runs must not add to it."""
    await run(database_url, "seed", "--affiliates", "300", "--sales", "3000")
    env = {"PAYOUTS_QUERY_MAX_COST": str(10**12), "PAYOUTS_QUERY_TIMEOUT_S": "1"}
    async with (
        serving(database_url, tmp_path, "timeout", **env) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as http,
    ):
        gql = GraphQLClient(http, ADMIN_TOKEN)
        await gql.ok(TINY)
        assert codes(await gql.post(COSTLY)) == ["TIMEOUT"]
        before = rss_mb(server)
        for _ in range(3):
            started = time.perf_counter()
            body = await gql.post(COSTLY)
            assert codes(body) == ["TIMEOUT"], str(body)[:300]
            assert time.perf_counter() - started < 5
        await gql.ok(TINY)
        async with websockets.connect(ws_url(server.url), subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {ADMIN_TOKEN}"}})
            )
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": COSTLY}}))
            cancelled = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert cancelled["type"] == "error" and cancelled["payload"][0]["extensions"]["code"] == "TIMEOUT"
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"}
        assert rss_mb(server) - before < SAME_SIZE_MB, rss_mb(server) - before


TOO_LARGE = {
    "message": "the response is larger than 65536 bytes: ask for smaller pages",
    "extensions": {"code": "RESPONSE_TOO_LARGE"},
}
LONG_FIELDS = "id name email approvalStatus payoutMode paymentStatus referralCode createdAt salesCount"
LARGE = (
    "{" + " ".join(f"a{i}: affiliates(first: 50) {{ edges {{ node {{ {LONG_FIELDS} }} }} }}" for i in range(20)) + "}"
)


async def answers_over_64_kb(live: Live, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The 10 MB limit lowered to 64 kB (a 10 MB answer takes this machine longer to build than a test
    should), and affiliates enough that LARGE answers more than that: their ids."""
    monkeypatch.setattr(limits, "MAX_RESPONSE_BYTES", 64 * 1024)
    return [
        await create_affiliate(
            live.gql, f"Affiliate {n:02d} with a name long enough to fill a page", email=f"a{n}@example.com"
        )
        for n in range(20)
    ]


async def test_an_answer_larger_than_the_limit_is_refused(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    await answers_over_64_kb(live, monkeypatch)
    assert await live.gql.post(LARGE) == {"data": None, "errors": [TOO_LARGE]}
    assert len((await live.gql.ok(LARGE.replace("first: 50", "first: 2")))["a0"]["edges"]) == 2


async def received(ws: websockets.ClientConnection) -> dict[str, Any]:
    """The next message from the server that is not a ping."""
    async with asyncio.timeout(10):
        while (message := json.loads(await ws.recv()))["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
    return message


async def test_an_answer_larger_than_the_limit_is_refused_over_a_websocket(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query's answer, or one event of a subscription, over the limit is that operation's `error`
    (RESPONSE_TOO_LARGE) and ends it; the socket goes on answering the others."""
    affiliate_ids = await answers_over_64_kb(live, monkeypatch)
    small = {"query": "{ __typename }"}
    async with connect(live.url, {"authorization": f"Bearer {live.gql.token}"}) as ws:
        assert (await received(ws))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "due", "type": "subscribe", "payload": {"query": PAYOUT_BECAME_DUE}}))
        await live.subscribed()
        await ws.send(json.dumps({"id": "large", "type": "subscribe", "payload": {"query": LARGE}}))
        assert await received(ws) == {"id": "large", "type": "error", "payload": [TOO_LARGE]}
        await ws.send(json.dumps({"id": "small", "type": "subscribe", "payload": small}))
        assert await received(ws) == {"id": "small", "type": "next", "payload": {"data": {"__typename": "Query"}}}
        assert await received(ws) == {"id": "small", "type": "complete"}

        monkeypatch.setattr(limits, "MAX_RESPONSE_BYTES", 200)  # one payoutBecameDue event is larger
        _, pk = parse_global_id(affiliate_ids[0])  # type: ignore[misc]
        event = DueEvent(pk, {"USD": 400}, {"USD": 400}, DueCause.SALE_RECORDED, live.clock())
        await live.bus.publish([event], changed=True)
        refused = await received(ws)
        assert refused["id"] == "due" and refused["type"] == "error"
        assert refused["payload"][0]["extensions"] == {"code": "RESPONSE_TOO_LARGE"}
        await eventually(lambda: live.bus.subscriber_count == 0)  # the subscription ended on the server
        await ws.send(json.dumps({"id": "after", "type": "subscribe", "payload": small}))
        assert (await received(ws))["payload"] == {"data": {"__typename": "Query"}}


# --- row 5: bodies without a token, stalled requests ----------------------------------------------


def host_port(server: ServerProcess) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


async def test_no_body_is_read_before_the_token_and_stalled_connections_are_closed(
    database_url: str, tmp_path: Path
) -> None:
    async with serving(database_url, tmp_path, "stall") as server:
        host, port = host_port(server)
        before = rss_mb(server)
        opened: list[asyncio.StreamWriter] = []

        async def without_token() -> bytes:
            reader, writer = await asyncio.open_connection(host, port)
            opened.append(writer)
            head = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n"
            writer.write(head + b" " * 65536)  # and never the rest
            return await asyncio.wait_for(reader.readline(), 30)

        answers = await asyncio.gather(*[without_token() for _ in range(300)])
        assert {answer.split(b" ")[1] for answer in answers} == {b"401"}
        assert rss_mb(server) - before < SAME_SIZE_MB, rss_mb(server) - before

        async def stalled(head: bytes, status_line: bool = False) -> tuple[bytes, float]:
            """What the server says (its status line, or b"" once it closes the connection), and when."""
            reader, writer = await asyncio.open_connection(host, port)
            opened.append(writer)
            writer.write(head)
            started = time.perf_counter()
            answer = await asyncio.wait_for(reader.readline() if status_line else reader.read(), 30)
            return answer, time.perf_counter() - started

        in_headers = [stalled(b"POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bea") for _ in range(300)]
        nothing = [stalled(b"") for _ in range(20)]
        body = stalled(
            f"POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{".encode(),
            status_line=True,
        )
        *closed, (late_body, body_after) = await asyncio.gather(*in_headers, *nothing, body)
        for answer, after in closed:
            assert answer == b"" and 9 < after < 20, after
        assert late_body.startswith(b"HTTP/1.1 408") and 9 < body_after < 20, (late_body, body_after)
        for writer in opened:
            writer.close()
        assert rss_mb(server) - before < SAME_SIZE_MB, rss_mb(server) - before


# --- row 6: sockets per token, subscriptions per socket --------------------------------------------

SUBSCRIPTION = "subscription { payoutBecameDue { cause } }"


async def socket(url: str, token: str | None) -> tuple[websockets.ClientConnection, dict[str, Any]]:
    """A socket that sent connection_init (when `token` is given), with the server's first answer."""
    ws = await websockets.connect(ws_url(url), subprotocols=[GRAPHQL_TRANSPORT_WS])
    if token is None:
        return ws, {}
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    try:
        return ws, json.loads(await asyncio.wait_for(ws.recv(), 10))
    except websockets.ConnectionClosed as closed:
        return ws, {"closed": closed.rcvd.code if closed.rcvd else None}


async def test_one_token_opens_ten_sockets_of_twenty_subscriptions(database_url: str, tmp_path: Path) -> None:
    async with (
        serving(database_url, tmp_path, "sockets") as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as http,
    ):
        gql = GraphQLClient(http, ADMIN_TOKEN)
        ann = await create_affiliate(gql, "Ann Lee")
        token = (await create_affiliate_token(gql, ann))["token"]
        silent, _ = await socket(server.url, None)  # never sends connection_init
        before = rss_mb(server)
        answers = [await socket(server.url, token) for _ in range(10)]
        assert [answer["type"] for _, answer in answers] == ["connection_ack"] * 10
        refused = await asyncio.gather(*[socket(server.url, token) for _ in range(200)])
        assert {answer.get("closed") for _, answer in refused} == {4429}

        first = answers[0][0]
        for n in range(21):
            await first.send(json.dumps({"id": str(n), "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
        error = json.loads(await asyncio.wait_for(first.recv(), 10))
        assert error["id"] == "20" and error["type"] == "error"
        assert error["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"

        # The admin's own sockets are counted apart; a closed socket frees its place.
        _, admin = await socket(server.url, ADMIN_TOKEN)
        assert admin["type"] == "connection_ack"
        await answers[1][0].close()
        await asyncio.sleep(0.5)
        _, again = await socket(server.url, token)
        assert again["type"] == "connection_ack"

        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(silent.recv(), 15)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408
        await first.send(json.dumps({"type": "ping"}))  # an acknowledged socket outlives the header timeout
        assert json.loads(await asyncio.wait_for(first.recv(), 5)) == {"type": "pong"}
        for ws, _ in answers + refused:
            await ws.close()
        assert rss_mb(server) - before < SAME_SIZE_MB, rss_mb(server) - before
