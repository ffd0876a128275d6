"""16 threads race every change of money state against one real server with several workers (issue 8.3).

markAsPaid (by ids and by exports, with and without idempotency keys), recordSale, refundSale
and voidPayout run truly in parallel over 150 affiliates against `uvicorn --workers 4` (one worker
on SQLite, whose deployments are single-process), while installments mature under them. The
answers must hold no internal error (conflicts that survive the server's retries are `CONFLICT`
payload members), and the database afterwards must show every installment settled by at most one
live payout and the ledger identity earned = reserve + due + paid - owed for every balance.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.api import ERROR, EXPORT, KARTRA, PAY, VOID, create_affiliate, create_product, details
from tests.clients import ADMIN_TOKEN, GraphQLClient, on_postgres
from tests.servers import ServerProcess, migrated_server, read

AFFILIATES = 150
THREADS = 16
OPS_PER_THREAD = 18
KEYS = [f"race-key-{n}" for n in range(6)]  # shared by threads: concurrent retries of one pay run
SALE = f"""mutation($input: RecordSaleInput!) {{ recordSale(input: $input) {{
  ... on RecordSaleSuccess {{ created }} {ERROR} }} }}"""
REFUND = f"""mutation($input: RefundSaleInput!) {{ refundSale(input: $input) {{
  ... on RefundSaleSuccess {{ sale {{ id }} }} {ERROR} }} }}"""
READ = """query { affiliates(first: 20, sort: DUE_DESC) { edges { node { id paymentStatus
  balances { due { amount } } } } } }"""


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    async with migrated_server(database_url, tmp_path / "server.log", workers=4 if on_postgres() else 1) as running:
        yield running


Call = Callable[..., dict[str, Any] | None]  # (operation, query, **variables) -> payload


class Race:
    """What the threads share: the ids to pick from, and a tally of every answer."""

    def __init__(self, product: str, affiliates: list[str], sales: list[str]) -> None:
        self.product = product
        self.affiliates = affiliates
        self.sales = sales
        self.payouts: list[str] = []
        self.tally: Counter[str] = Counter()
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def note(self, operation: str, response: httpx.Response) -> dict[str, Any] | None:
        """Count the answer; anything but a clean 200 with a payload is a failure to report."""
        with self.lock:
            self.tally["calls"] += 1
            if response.status_code != 200:
                self.tally["http_errors"] += 1
                self.failures.append(f"{operation}: HTTP {response.status_code} {response.text[:300]}")
                return None
            body = response.json()
            for error in body.get("errors") or []:
                code = (error.get("extensions") or {}).get("code")
                self.tally["internal_errors" if code == "INTERNAL_SERVER_ERROR" else f"error_{code}"] += 1
                self.failures.append(f"{operation}: {error}")
            if body.get("errors"):
                return None
            payload = next(iter(body["data"].values()))
            if isinstance(payload, dict) and "code" in payload:
                self.tally[payload["code"]] += 1
            return payload

    def run(self, url: str, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as http:

            def call(operation: str, query: str, **variables: Any) -> dict[str, Any] | None:
                try:
                    response = http.post("/graphql", json={"query": query, "variables": variables})
                except httpx.TransportError as e:  # a worker that died, or dropped the request
                    with self.lock:
                        self.tally["calls"] += 1
                        self.tally["transport_errors"] += 1
                        self.failures.append(f"{operation}: {e!r}")
                    return None
                return self.note(operation, response)

            for n in range(OPS_PER_THREAD):
                self.step(call, rng, seed, n)

    def step(self, call: Call, rng: random.Random, seed: int, n: int) -> None:
        """One random operation of a racing thread."""
        kind = rng.choice(["sale", "refund", "pay_ids", "pay_export", "void", "read"])
        key = rng.choice([None, *KEYS]) if kind.startswith("pay") else None
        some = rng.sample(self.affiliates, rng.randint(10, 60))  # in no particular order
        if kind == "sale":  # its second installment matures a moment later, during the race
            external = rng.choice([f"race-{seed}-{n}", *self.sales[:5]])  # some are retries
            occurred = datetime.now(UTC) - timedelta(days=60) + timedelta(seconds=rng.uniform(0.2, 3))
            call(
                kind,
                SALE,
                input={
                    "externalId": external,
                    "productId": self.product,
                    "affiliateId": rng.choice(self.affiliates),
                    "occurredAt": occurred.isoformat(),
                },
            )
        elif kind == "refund":
            call(
                kind,
                REFUND,
                input={"externalId": rng.choice(self.sales), "amount": {"amount": "7.00", "currency": "USD"}},
            )
        elif kind == "pay_ids":
            paid = call(kind, PAY, input={"affiliateIds": some, "method": "PAYPAL", "idempotencyKey": key})
            self.keep_payouts(paid)
        elif kind == "pay_export":
            made = call("export", EXPORT, input={"scope": "PREFERRED", "affiliateIds": some})
            if made and "export" in made and made["export"]["groups"]:
                paid = call(
                    kind, PAY, input={"exportId": made["export"]["id"], "method": "PAYPAL", "idempotencyKey": key}
                )
                self.keep_payouts(paid)
        elif kind == "void":
            with self.lock:
                payout = rng.choice(self.payouts) if self.payouts else None
            if payout is not None:
                call(kind, VOID, id=payout, reason="bounced")
        else:
            call(kind, READ)

    def keep_payouts(self, payload: dict[str, Any] | None) -> None:
        if payload and "payouts" in payload:
            with self.lock:
                self.payouts.extend(p["id"] for p in payload["payouts"])


async def prepare(url: str) -> Race:
    """150 DUE affiliates with PayPal details, each with a sale fully due and one maturing during the race."""
    limits = httpx.Limits(max_connections=THREADS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:
        gql = GraphQLClient(http)
        product = await create_product(gql, milestones=KARTRA)  # 10.01 per sale: 4.00 at once, 6.01 after 60 days
        gate = asyncio.Semaphore(THREADS)

        async def sale(external: str, affiliate: str, occurred: datetime) -> str:
            async with gate:
                await gql.ok(
                    SALE,
                    input={
                        "externalId": external,
                        "productId": product,
                        "affiliateId": affiliate,
                        "occurredAt": occurred.isoformat(),
                    },
                )
            return external

        async def affiliate(n: int) -> str:
            async with gate:
                aff = await create_affiliate(gql, f"Racer{n} Lee", email=f"racer{n}@example.com")
                await details(gql, aff, paypalEmail=f"racer{n}.pay@example.com")
            await sale(f"setup-{n}-0", aff, datetime.now(UTC) - timedelta(days=61))
            return aff

        affiliates = await asyncio.gather(*(affiliate(n) for n in range(AFFILIATES)))
        start = datetime.now(UTC) - timedelta(days=60)  # releases spread over the race's first seconds
        sales = await asyncio.gather(
            *(sale(f"setup-{n}-1", aff, start + timedelta(seconds=2 + n % 30 / 5)) for n, aff in enumerate(affiliates))
        )
    return Race(product, list(affiliates), [f"setup-{n}-0" for n in range(AFFILIATES)] + list(sales))


async def test_racing_pay_runs_sales_refunds_and_voids_never_fail_nor_settle_twice(
    server: ServerProcess, database_url: str
) -> None:
    race = await prepare(server.url)
    with ThreadPoolExecutor(THREADS) as pool:
        await asyncio.gather(
            *(asyncio.get_running_loop().run_in_executor(pool, race.run, server.url, seed) for seed in range(THREADS))
        )
    print(f"\nrace figures: {dict(race.tally)}")  # the closing note quotes these
    assert not race.failures, "\n".join(race.failures[:20]) + "\n" + read(server.log)[-3000:]
    assert race.tally["calls"] >= THREADS * OPS_PER_THREAD * 0.8
    await ledger_holds(database_url)
    assert "Traceback" not in read(server.log), read(server.log)[-3000:]


# Each query returns offending rows; every one must come back empty.
CHECKS = {
    "installments held by a voided payout": """
        SELECT i.id FROM installments i JOIN payouts p ON p.id = i.payout_id WHERE p.status <> 'PAID'""",
    "owed amounts recovered by a voided payout": """
        SELECT o.id FROM owed_amounts o JOIN payouts p ON p.id = o.recovered_by_id WHERE p.status <> 'PAID'""",
    "payouts that paid more or less than the installments they settled": """
        SELECT p.id FROM payouts p WHERE p.status = 'PAID' AND p.amount <>
          COALESCE((SELECT SUM(i.amount) FROM installments i WHERE i.payout_id = p.id), 0)
          - COALESCE((SELECT SUM(o.amount) FROM owed_amounts o WHERE o.recovered_by_id = p.id), 0)""",
    "balances where earned <> reserve + due + paid - owed (raw rows)": """
        SELECT b.affiliate_id FROM balances b WHERE
          COALESCE((SELECT SUM(c.amount) FROM commissions c
                    WHERE c.affiliate_id = b.affiliate_id AND c.currency = b.currency), 0)
          <> COALESCE((SELECT SUM(i.amount) FROM installments i WHERE i.affiliate_id = b.affiliate_id
                       AND i.currency = b.currency AND i.payout_id IS NULL AND NOT i.voided), 0)
           + COALESCE((SELECT SUM(p.amount) FROM payouts p WHERE p.affiliate_id = b.affiliate_id
                       AND p.currency = b.currency AND p.status = 'PAID'), 0)
           - COALESCE((SELECT SUM(o.amount) FROM owed_amounts o WHERE o.affiliate_id = b.affiliate_id
                       AND o.currency = b.currency AND o.recovered_by_id IS NULL), 0)""",
    "sales whose commission is not their AFFILIATE commission's (rule 16.4)": """
        SELECT s.id FROM sales s LEFT JOIN commissions c ON c.sale_id = s.id AND c.position = 0
        WHERE c.id IS NULL OR c.amount <> s.commission OR c.affiliate_id <> s.affiliate_id""",
    "commissions whose installments and owed amounts do not add up to them (rule 16.5)": """
        SELECT c.id FROM commissions c WHERE c.amount <>
          COALESCE((SELECT SUM(i.amount) FROM installments i WHERE i.commission_id = c.id AND NOT i.voided), 0)
          - COALESCE((SELECT SUM(o.amount) FROM owed_amounts o WHERE o.commission_id = c.id), 0)""",
    "stored balances where earned <> reserve + due + paid - owed": """
        SELECT affiliate_id FROM balances WHERE earned <> reserve + due_installments + paid - owed""",
    "stored paid that differs from the live payouts": """
        SELECT b.affiliate_id FROM balances b WHERE b.paid <> COALESCE((SELECT SUM(p.amount) FROM payouts p
          WHERE p.affiliate_id = b.affiliate_id AND p.currency = b.currency AND p.status = 'PAID'), 0)""",
}


async def ledger_holds(database_url: str) -> None:
    """Ask the database itself, not the API: nothing settled twice, every balance adds up."""
    found: dict[str, list[Any]] = {}
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url.removeprefix("sqlite://")) as db:
            for name, query in CHECKS.items():
                found[name] = db.execute(query).fetchall()
            settled = db.execute("SELECT COUNT(*) FROM installments WHERE payout_id IS NOT NULL").fetchone()[0]
    else:
        db = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
        try:
            for name, query in CHECKS.items():
                found[name] = [tuple(r) for r in await db.fetch(query)]
            settled = await db.fetchval("SELECT COUNT(*) FROM installments WHERE payout_id IS NOT NULL")
        finally:
            await db.close()
    assert {name: rows for name, rows in found.items() if rows} == {}
    assert settled > 0  # the race did settle something: the checks above were not vacuous
