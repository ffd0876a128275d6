"""Outgoing webhooks under load (issue 21): how fast a burst is delivered, and what they cost recordSale.

Against a real `payouts serve --workers W` and a receiver on 127.0.0.1 that answers 200 at once:

1. recordSale with N clients, in `--cycles` cycles of three rounds of S seconds each: without any
   endpoint, without again, and with one endpoint subscribed to `sale.recorded` and
   `payout.became_due` (enabled for that round, its deliveries running meanwhile, disabled after).
   Beside throughput, the server's CPU per sale (all workers, from /proc): on shared cores the
   throughput also measures the neighbours, the CPU does not. The two rounds without an endpoint
   give the A/A ratio (what the measurement alone varies); with/without is what the outbox writes
   and the workers' deliveries cost a sale.
2. A burst: 1,000 sales booked by `payouts import` in one transaction (1,000 `sale.recorded` messages
   committed at once); the time from that commit until the receiver has every one of them.

    .venv/bin/python -m benchmarks.webhooks
    .venv/bin/python -m benchmarks.webhooks --postgres postgres://postgres@127.0.0.1:5432/test --workers 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

from benchmarks import subscribers
from benchmarks.run import RECORD, ROOT, TOKEN, Database, cpu_seconds, env, gql, record_sales, say

HOOKS = {"PAYOUTS_WEBHOOK_ALLOW_PRIVATE": "1"}
CREATE = """mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  ... on CreateWebhookEndpointSuccess { endpoint { id } } } }"""
PRODUCT = """mutation { createProduct(input: {name: "Course", price: {amount: "100.00", currency: "USD"},
  commissionPercent: "10", milestones: [{percent: "100", delayDays: 0}]}) {
  ... on CreateProductSuccess { product { id } } } }"""
AFFILIATE = """mutation($input: CreateAffiliateInput!) { createAffiliate(input: $input) {
  ... on CreateAffiliateSuccess { affiliate { id } } } }"""
DETAILS = """mutation($input: PaymentDetailsInput!) { updatePaymentDetails(input: $input) { __typename } }"""
ENABLE = "mutation($id: ID!) { enableWebhookEndpoint(endpointId: $id) { __typename } }"
DISABLE = "mutation($id: ID!) { disableWebhookEndpoint(endpointId: $id) { __typename } }"


class Counting:
    """Answers every POST with 200 at once and notes when each webhook-id first arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.port = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)}
                await reader.readexactly(int(headers.get("content-length", "0")))
                self.arrived.setdefault(headers.get("webhook-id", ""), time.perf_counter())
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        writer.close()

    async def until(self, count: int, timeout: float) -> float:  # noqa: ASYNC109 (a deadline we report)
        deadline = time.perf_counter() + timeout
        while len(self.arrived) < count and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return time.perf_counter()


@asynccontextmanager
async def server(db: Database, workers: int, worker_apart: bool) -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    """`payouts serve`; with `worker_apart`, its delivery worker off and `payouts webhooks worker` beside
    it, so the server's CPU is the request path's alone."""
    port = subscribers.free_port()
    apart = {"PAYOUTS_WEBHOOK_WORKER": "off"} if worker_apart else {}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "server", "serve", "--port", str(port), "--workers", str(workers)),
        cwd=ROOT,
        env={**env(db), **HOOKS, **apart},
        stderr=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
    )
    worker = None
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            timeout=600,
            headers={"Authorization": f"Bearer {TOKEN}"},
            limits=httpx.Limits(max_connections=64),
        ) as http:
            for _ in range(600):
                with suppress(httpx.TransportError):
                    if (await http.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            if worker_apart:  # once the server has migrated the database
                worker = await asyncio.create_subprocess_exec(
                    sys.executable,
                    *("-m", "server", "webhooks", "worker"),
                    cwd=ROOT,
                    env={**env(db), **HOOKS},
                    stderr=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.DEVNULL,
                )
            yield http, process.pid
    finally:
        if worker is not None:
            worker.terminate()
            await worker.wait()
        process.terminate()
        await process.wait()


async def program(http: httpx.AsyncClient, affiliates: int) -> tuple[str, list[str]]:
    product = (await gql(http, PRODUCT))["createProduct"]["product"]["id"]
    ids = []
    for n in range(affiliates):
        input = {"name": f"Hook{n} Lee", "email": f"hook{n}@example.com", "approvalStatus": "APPROVED"}
        affiliate = (await gql(http, AFFILIATE, input=input))["createAffiliate"]["affiliate"]["id"]
        await gql(http, DETAILS, input={"affiliateId": affiliate, "paypalEmail": f"hook{n}.pay@example.com"})
        ids.append(affiliate)
    return product, ids


async def burst(db: Database, product: str, affiliates: list[str], size: int, tmp: Path) -> float:
    """`payouts import` of `size` sales: returns when the command (its one transaction) has committed."""
    path = tmp / "burst.csv"
    lines = ["externalId,productId,affiliateId"]
    lines += [f"burst-{n},{product},{affiliates[n % len(affiliates)]}" for n in range(size)]
    path.write_text("\n".join(lines) + "\n")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "server", "import", str(path)),
        cwd=ROOT,
        env=env(db),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await process.wait() == 0
    return time.perf_counter()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    receiver = Counting()
    listening = await asyncio.start_server(receiver.serve, "127.0.0.1", 0)
    receiver.port = listening.sockets[0].getsockname()[1]
    report: dict[str, Any] = {"database": "postgresql" if args.postgres else "sqlite", "workers": args.workers}
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.postgres, Path(tmp))
        await db.create()
        try:
            async with server(db, args.workers, args.worker_apart) as (http, pid):
                product, affiliates = await program(http, args.affiliates)

                async def send(name: str, n: int) -> None:
                    sale = {"externalId": name, "productId": product, "affiliateId": affiliates[n % len(affiliates)]}
                    data = await gql(http, RECORD, input=sale)
                    assert data["recordSale"]["__typename"] == "RecordSaleSuccess", data

                async def measured() -> dict[str, float]:
                    cpu = cpu_seconds(pid)
                    figures = await record_sales(send, args.clients, args.seconds)
                    figures["cpu_ms_per_sale"] = (cpu_seconds(pid) - cpu) * 1000 / max(figures["sales"], 1)
                    return figures

                url = f"http://127.0.0.1:{receiver.port}/hook"
                created = await gql(
                    http, CREATE, input={"url": url, "eventTypes": ["sale.recorded", "payout.became_due"]}
                )
                endpoint = created["createWebhookEndpoint"]["endpoint"]["id"]
                await gql(http, DISABLE, id=endpoint)
                await record_sales(send, args.clients, 1.0)  # warm-up: caches, connections
                rounds: dict[str, list[dict[str, float]]] = {"without": [], "again": [], "with": []}
                for cycle in range(args.cycles):
                    say(
                        f"cycle {cycle + 1}/{args.cycles}: recordSale, {args.clients} clients, without, again, with ..."
                    )
                    rounds["without"].append(await measured())
                    rounds["again"].append(await measured())
                    await gql(http, ENABLE, id=endpoint)
                    rounds["with"].append(await measured())
                    await gql(http, DISABLE, id=endpoint)
                mean = {k: {f: statistics.mean(r[f] for r in v) for f in v[0]} for k, v in rounds.items()}
                without = {f: (mean["without"][f] + mean["again"][f]) / 2 for f in mean["without"]}
                report["record_sale"] = {
                    "rounds": rounds,
                    "throughput_with_over_without": mean["with"]["sales_per_s"] / without["sales_per_s"],
                    "throughput_aa": mean["again"]["sales_per_s"] / mean["without"]["sales_per_s"],
                    "cpu_ms_per_sale_without": without["cpu_ms_per_sale"],
                    "cpu_ms_per_sale_with": mean["with"]["cpu_ms_per_sale"],
                    "cpu_with_over_without": mean["with"]["cpu_ms_per_sale"] / without["cpu_ms_per_sale"],
                    "cpu_aa": mean["again"]["cpu_ms_per_sale"] / mean["without"]["cpu_ms_per_sale"],
                }
                await gql(http, ENABLE, id=endpoint)
                say(f"{len(receiver.arrived)} delivered so far; after a pause, a burst of {args.burst} ...")
                await asyncio.sleep(2)
                before = len(receiver.arrived)
                committed = await burst(db, product, affiliates, args.burst, Path(tmp))
                done = await receiver.until(before + args.burst, args.timeout)
                delivered = len(receiver.arrived) - before
                report["burst"] = {
                    "messages": args.burst,
                    "delivered": delivered,
                    "seconds_after_commit": round(done - committed, 2),
                    "per_s": round(delivered / max(done - committed, 1e-9), 1),
                }
        finally:
            listening.close()
            await db.drop()
    return report


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--postgres", help="a PostgreSQL URL (a database is created and dropped); default SQLite")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=5.0, help="each round of recordSale")
    p.add_argument("--cycles", type=int, default=3, help="cycles of three rounds: without, without again, with")
    p.add_argument(
        "--worker-apart", action="store_true", help="deliveries by `payouts webhooks worker`, not the server"
    )
    p.add_argument("--affiliates", type=int, default=50)
    p.add_argument("--burst", type=int, default=1000)
    p.add_argument("--timeout", type=float, default=120.0)
    report = asyncio.run(run(p.parse_args()))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
