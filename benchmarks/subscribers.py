"""1,000 concurrent payoutBecameDue subscribers, each receiving one event: delivery latency.

Starts the real server (`payouts serve` subprocess) on a fresh database, opens N graphql-transport-ws
connections, records one sale and measures, per subscriber, arrival time minus the event's `at`
(stamped when the change is published, after its commit), plus arrival minus the moment the
mutation was sent. Prints p50/p95/max. Run: `.venv/bin/python -m benchmarks.subscribers --help`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import asyncpg
import httpx
import websockets
from websockets.typing import Subprotocol

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-admin-token"
QUERY = """subscription($id: ID) { payoutBecameDue(affiliateId: $id) {
  affiliate { id name paymentStatus } newlyDue { amount currency } due { amount currency } cause at } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def gql(http: httpx.AsyncClient, query: str, **variables: object) -> dict:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def subscriber(
    url: str,
    affiliate_id: str | None,
    ready: asyncio.Queue[None],
    everyone: asyncio.Event,
    received: list[float],
    expected: int,
) -> tuple[float, float]:
    """(arrival, event.at) as Unix times, for one subscriber's one event. The socket stays open until every
    subscriber has its event: closing handshakes would otherwise compete with the delivery measured."""
    async with websockets.connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], max_queue=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {TOKEN}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY, "variables": {"id": affiliate_id}}})
        )
        ready.put_nowait(None)
        message = json.loads(await ws.recv())
        arrived = time.time()
        assert message["type"] == "next" and "errors" not in message["payload"], message
        at = datetime.fromisoformat(message["payload"]["data"]["payoutBecameDue"]["at"]).timestamp()
        received.append(arrived)
        if len(received) == expected:
            everyone.set()
        await everyone.wait()
        return arrived, at


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95 and max in milliseconds."""
    ms = sorted(v * 1000 for v in values)
    return {"p50_ms": statistics.median(ms), "p95_ms": ms[min(len(ms) - 1, int(len(ms) * 0.95))], "max_ms": ms[-1]}


def summary(name: str, values: list[float]) -> str:
    p = percentiles(values)
    return f"{name}: p50 {p['p50_ms']:.1f} ms, p95 {p['p95_ms']:.1f} ms, max {p['max_ms']:.1f} ms"


async def run(count: int, database_url: str, pubsub_url: str | None) -> dict[str, dict[str, float]]:
    port = free_port()
    env = {
        **os.environ,
        "PAYOUTS_DATABASE_URL": database_url,
        "PAYOUTS_ADMIN_TOKEN": TOKEN,
        "PAYOUTS_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
    }
    env.pop("PAYOUTS_PUBSUB_URL", None)
    if pubsub_url:
        env["PAYOUTS_PUBSUB_URL"] = pubsub_url
    server = await asyncio.create_subprocess_exec(  # the real command, with its WebSocket settings
        sys.executable,
        "-m",
        "server",
        "serve",
        "--port",
        str(port),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            for _ in range(300):
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            product = (
                await gql(
                    http,
                    """mutation { createProduct(input: {name: "Course",
                price: {amount: "100.00", currency: "USD"}, commissionPercent: "10"}) {
                ... on CreateProductSuccess { product { id } } } }""",
                )
            )["createProduct"]["product"]["id"]
            affiliate = (
                await gql(
                    http,
                    """mutation { createAffiliate(input: {name: "Ann Lee",
                email: "ann@example.com", approvalStatus: APPROVED}) {
                ... on CreateAffiliateSuccess { affiliate { id } } } }""",
                )
            )["createAffiliate"]["affiliate"]["id"]
            await gql(
                http,
                """mutation($id: ID!) { updatePaymentDetails(input: {affiliateId: $id,
                paypalEmail: "ann.pay@example.com"}) { __typename } }""",
                id=affiliate,
            )

            sale = """mutation($x: String!, $p: ID!, $a: ID!) { recordSale(input: {externalId: $x,
                productId: $p, affiliateId: $a}) { __typename } }"""
            await gql(http, sale, x="warm-up", p=product, a=affiliate)  # cold caches are not what we measure

            ready: asyncio.Queue[None] = asyncio.Queue()
            started = time.perf_counter()
            url = base.replace("http://", "ws://") + "/graphql"
            # Half filter by the affiliate, half take everything: both paths of the bus.
            everyone = asyncio.Event()
            received: list[float] = []
            tasks = [
                asyncio.create_task(subscriber(url, affiliate if i % 2 else None, ready, everyone, received, count))
                for i in range(count)
            ]
            for _ in range(count):
                await ready.get()
            await asyncio.sleep(min(3.0, 0.5 + count / 400))  # let the server finish registering them
            print(f"{count} subscribers connected in {time.perf_counter() - started:.2f} s")

            sent = time.time()
            await gql(http, sale, x="bench-1", p=product, a=affiliate)
            stamps = await asyncio.wait_for(asyncio.gather(*tasks), 60)
    finally:
        server.terminate()
        await server.wait()
    print(summary("delivery (arrival - event.at)", [arrived - at for arrived, at in stamps]))
    print(summary("end to end (arrival - mutation sent)", [arrived - sent for arrived, _ in stamps]))
    return {
        "delivery": percentiles([arrived - at for arrived, at in stamps]),
        "end_to_end": percentiles([arrived - sent for arrived, _ in stamps]),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument(
        "--postgres",
        help="admin URL, e.g. postgres://postgres@127.0.0.1:5432/test "
        "(a fresh database is created and dropped); default: a SQLite file",
    )
    parser.add_argument("--bus", choices=["memory", "postgres", "redis"], default="memory")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    if args.postgres is None:
        if args.bus == "postgres":
            parser.error("--bus postgres needs --postgres")
        with tempfile.TemporaryDirectory() as tmp:
            await run(args.subscribers, f"sqlite://{tmp}/bench.sqlite3", args.redis if args.bus == "redis" else None)
        return
    name = f"payouts_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.postgres)
    await admin.execute(f'CREATE DATABASE "{name}"')
    database_url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
    try:
        bus = {"memory": None, "postgres": database_url, "redis": args.redis}[args.bus]
        await run(args.subscribers, database_url, bus)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
