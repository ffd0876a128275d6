"""kill -9 in the middle of a large markAsPaid: all or nothing is settled (issue 8, "Done means").

2,500 DUE affiliates are booked directly through the ledger models, then one markAsPaid for all
of them is sent to `uvicorn --workers 4`. As soon as PostgreSQL shows the pay run's transaction
writing payouts, every worker is killed with SIGKILL. The database must then hold either the whole
pay run or none of it, and the restarted workers settle it completely on the next call.
PostgreSQL only: the supported multi-process deployment.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx
import pytest

from models.enums import ApprovalStatus
from models.ledger.balances import refresh_affiliates
from models.ledger.payment_details import Cipher, paypal
from models.sql import book_affiliate_commissions
from models.tables.affiliates import Affiliate, PaymentMethod
from models.tables.products import Product
from models.tables.sales import Installment, Sale
from schema.ids import to_global_id
from tests.api import PAY
from tests.clients import ADMIN_TOKEN, SECRET_KEY, on_postgres
from tests.servers import ServerProcess, read, start_server

pytestmark = pytest.mark.skipif(not on_postgres(), reason="several worker processes need PostgreSQL")

AFFILIATES = 2500
COMMISSION = 1001  # minor units per affiliate, all due


async def book(count: int) -> list[int]:
    """Affiliates with PayPal details and one due installment each, written in bulk (set-up only)."""
    cipher, now = Cipher(SECRET_KEY), datetime.now(UTC)
    product = await Product.create(name="Course", currency="USD", price=10010, commission_percent="10")
    await Affiliate.bulk_create(
        [
            Affiliate(
                name=f"Kill{n} Lee",
                email=f"kill{n}@example.com",
                approval_status=ApprovalStatus.APPROVED,
                search_text=f"kill{n} lee kill{n}@example.com",
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    ids = sorted(cast(list[int], await Affiliate.all().values_list("id", flat=True)))
    methods = [paypal(f"kill{n}.pay@example.com") for n in range(count)]
    await PaymentMethod.bulk_create(
        [
            PaymentMethod(affiliate_id=a, type=d.type, details=cipher.encrypt(d.values), summary=d.summary)
            for a, d in zip(ids, methods, strict=True)
        ],
        batch_size=1000,
    )
    await Sale.bulk_create(
        [
            Sale(
                external_id=f"k-{a}",
                product_id=product.id,
                affiliate_id=a,
                currency="USD",
                amount=10010,
                original_commission=COMMISSION,
                commission=COMMISSION,
                occurred_at=now - timedelta(days=1),
            )
            for a in ids
        ],
        batch_size=1000,
    )
    sales = dict(await Sale.all().values_list("affiliate_id", "id"))
    await Installment.bulk_create(
        [
            Installment(
                sale_id=sales[a],
                affiliate_id=a,
                currency="USD",
                position=0,
                amount=COMMISSION,
                original_amount=COMMISSION,
                release_at=now - timedelta(days=1),
            )
            for a in ids
        ],
        batch_size=1000,
    )
    await book_affiliate_commissions()  # each sale its AFFILIATE commission (rule 16.4)
    await refresh_affiliates(ids, now)
    return ids


@pytest.fixture
async def workers(app: Any, database_url: str, tmp_path: Path) -> AsyncIterator[tuple[ServerProcess, list[int]]]:
    ids = await book(AFFILIATES)  # `app` migrated the database and holds the ORM for this process
    server = await start_server(database_url, tmp_path / "server.log", workers=4)
    try:
        yield server, ids
    finally:
        await server.stop()


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


async def settled(db: asyncpg.Connection) -> tuple[int, int, int]:
    return (
        await db.fetchval("SELECT COUNT(*) FROM installments WHERE payout_id IS NOT NULL"),
        await db.fetchval("SELECT COUNT(*) FROM payouts"),
        await db.fetchval("SELECT COUNT(*) FROM pay_runs"),
    )


async def test_kill_9_during_a_large_mark_as_paid_leaves_all_or_nothing(
    workers: tuple[ServerProcess, list[int]], database_url: str
) -> None:
    server, ids = workers
    pay = {
        "query": PAY,
        "variables": {"input": {"affiliateIds": [to_global_id("Affiliate", a) for a in ids], "method": "PAYPAL"}},
    }
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    db = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=120) as http:
            call = asyncio.create_task(http.post("/graphql", json=pay, headers=headers))
            async with asyncio.timeout(60):  # until the pay run's transaction is writing payouts
                while not await db.fetchval(  # noqa: ASYNC110 (another process's transaction)
                    """SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                       WHERE c.relname = 'payouts' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()"""
                ):
                    await asyncio.sleep(0.005)
            for worker in children(server.process.pid):
                os.kill(worker, signal.SIGKILL)
            with pytest.raises(httpx.TransportError):
                await call

            async with asyncio.timeout(20):  # PostgreSQL rolls the orphaned transaction back
                while await db.fetchval(  # noqa: ASYNC110
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND state <> 'idle' "
                    "AND pid <> pg_backend_pid()"
                ):
                    await asyncio.sleep(0.05)
            assert await settled(db) in {(0, 0, 0), (AFFILIATES, AFFILIATES, 1)}

            async with asyncio.timeout(30):  # the supervisor starts new workers; the pay run completes
                while True:
                    try:
                        response = await http.post("/graphql", json=pay, headers=headers)
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.2)
            assert response.status_code == 200, response.text
            assert await settled(db) in {(AFFILIATES, AFFILIATES, 1), (AFFILIATES, AFFILIATES, 2)}
            paid = await db.fetchval("SELECT SUM(amount) FROM payouts WHERE status = 'PAID'")
            assert paid == AFFILIATES * COMMISSION
    finally:
        await db.close()
    assert "Exception in ASGI application" not in read(server.log), read(server.log)[-3000:]
