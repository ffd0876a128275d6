"""Webhooks across real processes: a server killed with SIGKILL right after a commit loses no message
(the outbox row committed with the change; `payouts webhooks worker` delivers it later), and several
processes racing for deliveries on PostgreSQL attempt each one once and count it SUCCEEDED once."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.webhooks import run as benchmark
from tests.api import ERROR, create_product, payable_affiliate
from tests.clients import ADMIN_TOKEN, POSTGRES_URL, GraphQLClient, on_postgres
from tests.receiver import Receiver, receiving
from tests.servers import ROOT, migrate_first, read, server_env, start_server
from tests.test_webhooks import CREATE

HOOKS = {"PAYOUTS_WEBHOOK_ALLOW_PRIVATE": "1", "PAYOUTS_WEBHOOK_JITTER": "0"}
SALE = f"""mutation($input: RecordSaleInput!) {{ recordSale(input: $input) {{
  ... on RecordSaleSuccess {{ created }} {ERROR} }} }}"""
DELIVERIES = """query($id: ID!) { node(id: $id) { ... on WebhookEndpoint {
  deliveries(first: 500) { totalCount edges { node { status attemptCount } } } } } }"""

pytestmark = pytest.mark.database


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as r:
        yield r


async def start_worker(database_url: str, log: Path) -> asyncio.subprocess.Process:
    with open(log, "wb") as output:  # noqa: ASYNC230 (a local file, opened once)
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server",
            "webhooks",
            "worker",
            cwd=ROOT,
            env=server_env(database_url, **HOOKS),
            stdout=output,
            stderr=output,
        )


async def client_of(url: str) -> tuple[httpx.AsyncClient, GraphQLClient]:
    http = httpx.AsyncClient(base_url=url, timeout=60)
    return http, GraphQLClient(http, ADMIN_TOKEN)


async def test_kill_9_after_the_commit_loses_no_message(database_url: str, tmp_path: Path, receiver: Receiver) -> None:
    await migrate_first(database_url)
    server = await start_server(database_url, tmp_path / "server.log", env={**HOOKS, "PAYOUTS_WEBHOOK_WORKER": "off"})
    http, gql = await client_of(server.url)
    try:
        created = (await gql.ok(CREATE, input={"url": receiver.url, "eventTypes": ["sale.recorded"]}))[
            "createWebhookEndpoint"
        ]
        product = await create_product(gql)
        affiliate = await payable_affiliate(gql)
        answer = await gql.ok(SALE, input={"externalId": "k-1", "productId": product, "affiliateId": affiliate})
        assert answer["recordSale"]["created"] is True  # committed: the server answered
        await server.stop(signal.SIGKILL)  # before any worker looked at it
    finally:
        await http.aclose()
    assert receiver.requests == []
    worker = await start_worker(database_url, tmp_path / "worker.log")
    try:
        [request] = await receiver.wait_for(1)
    finally:
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(worker.wait(), 30) == 0, read(tmp_path / "worker.log")
    [payload] = receiver.verified(created["secret"])
    assert payload["type"] == "sale.recorded" and payload["data"]["externalId"] == "k-1"
    assert request.headers["webhook-id"].startswith("msg_")


@pytest.mark.skipif(not on_postgres(), reason="several processes need PostgreSQL")
async def test_processes_racing_deliver_each_message_once(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    sales = 150
    await migrate_first(database_url)
    server = await start_server(
        database_url, tmp_path / "server.log", workers=2, env={**HOOKS, "PAYOUTS_WEBHOOK_WORKER": "off"}
    )
    http, gql = await client_of(server.url)
    workers: list[asyncio.subprocess.Process] = []
    try:
        created = (await gql.ok(CREATE, input={"url": receiver.url, "eventTypes": ["sale.recorded"]}))[
            "createWebhookEndpoint"
        ]
        product = await create_product(gql)
        affiliate = await payable_affiliate(gql)
        gate = asyncio.Semaphore(8)

        async def sale(n: int) -> dict[str, Any]:
            async with gate:
                return await gql.ok(
                    SALE, input={"externalId": f"r-{n}", "productId": product, "affiliateId": affiliate}
                )

        await asyncio.gather(*(sale(n) for n in range(sales)))
        # The backlog is waiting: now two servers (their own workers) and a worker process race for it.
        racers = await start_server(database_url, tmp_path / "racers.log", workers=2, env=HOOKS)
        workers = [await start_worker(database_url, tmp_path / f"worker{n}.log") for n in range(2)]
        try:
            await receiver.wait_for(sales)
            await asyncio.sleep(2)  # time for any duplicate to arrive
            edges = (await gql.ok(DELIVERIES, id=created["endpoint"]["id"]))["node"]["deliveries"]["edges"]
        finally:
            await racers.stop()
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
            await asyncio.wait_for(worker.wait(), 30)
        await http.aclose()
        await server.stop()
    seen = Counter(r.headers["webhook-id"] for r in receiver.requests)
    assert len(seen) == sales and set(seen.values()) == {1}, seen.most_common(3)
    assert len(receiver.verified(created["secret"])) == sales
    assert Counter((e["node"]["status"], e["node"]["attemptCount"]) for e in edges) == {("SUCCEEDED", 1): sales}


async def test_the_benchmark_runs_end_to_end_at_a_tiny_scale() -> None:
    """benchmarks/webhooks.py, tiny, so its code does not rot; its figures are not asserted."""
    args = argparse.Namespace(
        postgres=POSTGRES_URL,
        workers=1,
        clients=2,
        seconds=0.3,
        cycles=1,
        worker_apart=False,
        affiliates=2,
        burst=20,
        timeout=30.0,
    )
    report = await benchmark(args)
    assert report["burst"]["delivered"] >= 20  # (a late delivery of the first part may count too)
    assert report["record_sale"]["rounds"]["with"][0]["sales"] > 0
