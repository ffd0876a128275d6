"""The floors of issue 23: what the machine can do on the same data, written bare.

- `app`: a bare Starlette route booking sales with group commit through the bare driver (`sqlite3`
  on the event loop, or an asyncpg pool), writing the rows recordSale writes for the same product:
  the sale, its installments (the product's milestones), the balance (upserted), the affiliate's
  sales count, one audit entry. Served by uvicorn like the project (`--workers` on PostgreSQL):

      FLOOR_DATABASE_URL=sqlite:///path.sqlite3 uvicorn benchmarks.floors:app --port 8001

- `settle`: the pay run's writes in one transaction (payouts, installments claimed, balances,
  affiliates) for the rows a bare export found, rolled back so the project then pays the same rows.

Nothing here checks what the project checks (approval, renewals, tiers, duplicates beyond the
unique key): it is the cost of the writes and of the HTTP round trip, which no booking can avoid.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from models.db import SQLITE_CACHE_KIB
from models.rules.commission import commission_for_sale, milestones_from_json, split_commission


@dataclass(frozen=True)
class Product:
    id: int
    currency: str
    price: int
    percent: Decimal | None
    flat: int | None
    milestones: list[tuple[Decimal, int]]


@dataclass
class _Rows:
    """What one batch writes: sales, each sale's installments, balances upserted, affiliates counted."""

    sales: list[tuple[Any, ...]]
    parts: list[tuple[int, int, datetime]]
    balances: list[tuple[Any, ...]]
    affiliates: list[tuple[int, int]]


@dataclass
class Order:
    external_id: str
    affiliate_id: int
    done: asyncio.Future[int]


def sqlite_path(url: str) -> str | None:
    return url.removeprefix("sqlite://").split("?")[0] if url.startswith("sqlite://") else None


def stamp(at: datetime, sqlite: bool) -> Any:
    """A datetime as the driver stores it (Tortoise's SQLite text, or a timestamptz)."""
    return at.isoformat(" ") if sqlite else at


def installments_of(product: Product, occurred: datetime) -> list[tuple[int, int, datetime]]:
    """(position, amount, release) of one sale of `product` (rule 3's split, as the project's)."""
    commission = commission_for_sale(product.price, product.percent, product.flat)
    parts = split_commission(commission, tuple(milestones_from_json([[p, d] for p, d in product.milestones])))
    return [
        (n, part, occurred + timedelta(days=days))
        for n, (part, (_, days)) in enumerate(zip(parts, product.milestones, strict=True))
        if part > 0
    ]


class Booker:
    """Group commit: every order waiting when a transaction starts is written in it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        self.queue: asyncio.Queue[Order] = asyncio.Queue()
        self.product: Product | None = None
        self.lite: sqlite3.Connection | None = None
        self.pool: asyncpg.Pool | None = None

    async def start(self, product_id: int) -> None:
        if self.path:
            self.lite = sqlite3.connect(self.path, isolation_level=None)
            self.lite.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            self.lite.execute("PRAGMA foreign_keys=ON")
            row = self.lite.execute(
                "SELECT id, currency, price, commission_percent, commission_flat, milestones FROM products "
                "WHERE id = ?",
                (product_id,),
            ).fetchone()
            default = self.lite.execute("SELECT default_milestones FROM program_settings").fetchone()
        else:
            self.pool = await asyncpg.create_pool(
                self.url.replace("postgres://", "postgresql://", 1), min_size=1, max_size=2
            )
            row = await self.pool.fetchrow(
                "SELECT id, currency, price, commission_percent, commission_flat, milestones FROM products "
                "WHERE id = $1",
                product_id,
            )
            default = await self.pool.fetchrow("SELECT default_milestones FROM program_settings")
        own = row[5] if not isinstance(row[5], str) else json.loads(row[5])
        fallback = default[0] if not isinstance(default[0], str) else json.loads(default[0])
        self.product = Product(
            row[0],
            row[1],
            row[2],
            Decimal(row[3]) if row[3] is not None else None,
            row[4],
            [(Decimal(str(p)), int(d)) for p, d in (own or fallback)],
        )

    async def run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                ids = self.write_lite(batch) if self.lite else await self.write_pg(batch)
            except Exception as e:  # every caller learns of the failure
                for order in batch:
                    order.done.set_exception(e)
                continue
            for order, sale_id in zip(batch, ids, strict=True):
                order.done.set_result(sale_id)

    def rows(self, batch: Sequence[Order], now: datetime, sqlite: bool) -> _Rows:
        product = self.product
        assert product is not None
        commission = commission_for_sale(product.price, product.percent, product.flat)
        parts = installments_of(product, now)
        due = sum(amount for _, amount, release in parts if release <= now)
        touched: dict[int, int] = defaultdict(int)
        for o in batch:
            touched[o.affiliate_id] += 1
        return _Rows(
            sales=[
                (o.external_id, product.id, o.affiliate_id, product.currency, product.price, commission, commission)
                for o in batch
            ],
            parts=parts,
            balances=[
                (affiliate, product.currency, commission * n, (commission - due) * n, due * n, stamp(now, sqlite))
                for affiliate, n in sorted(touched.items())
            ],
            affiliates=[(n, affiliate) for affiliate, n in sorted(touched.items())],
        )

    def write_lite(self, batch: Sequence[Order]) -> list[int]:
        db = self.lite
        assert db is not None and self.product is not None
        now = datetime.now(UTC)
        at = stamp(now, True)
        sales, parts, balances, affiliates = astuple(self.rows(batch, now, True))
        db.execute("BEGIN IMMEDIATE")
        try:
            ids = [
                r[0]
                for r in db.execute(
                    "INSERT INTO sales (external_id, product_id, affiliate_id, currency, amount, original_commission, "
                    "commission, refunded, status, occurred_at, created_at, renewal, processor_refunded, disputes) "
                    f"VALUES {','.join(['(?,?,?,?,?,?,?,0,?,?,?,0,0,?)'] * len(sales))} RETURNING id",
                    [v for s in sales for v in (*s, "COMPLETED", at, at, "{}")],
                ).fetchall()
            ]
            db.executemany(
                "INSERT INTO installments (sale_id, affiliate_id, currency, position, amount, original_amount, "
                "release_at, voided, disputed) VALUES (?,?,?,?,?,?,?,0,0)",
                [
                    (sale_id, o.affiliate_id, self.product.currency, n, amount, amount, stamp(release, True))
                    for sale_id, o in zip(ids, batch, strict=True)
                    for n, amount, release in parts
                ],
            )
            db.executemany(
                "INSERT INTO balances (affiliate_id, currency, earned, reserve, due_installments, refreshed_at, "
                "paid, owed, next_release_amount, disputed) VALUES (?,?,?,?,?,?,0,0,0,0) "
                "ON CONFLICT (affiliate_id, currency) DO UPDATE SET "
                "earned = earned + excluded.earned, reserve = reserve + excluded.reserve, "
                "due_installments = due_installments + excluded.due_installments, refreshed_at = excluded.refreshed_at",
                balances,
            )
            db.executemany("UPDATE affiliates SET sales_count = sales_count + ? WHERE id = ?", affiliates)
            db.executemany(
                "INSERT INTO audit_log (actor, action, object_type, object_id, details, at) VALUES (?,?,?,?,?,?)",
                [
                    ("floor", "recordSale", "Sale", str(i), json.dumps({"externalId": s[0]}), at)
                    for i, s in zip(ids, sales, strict=True)
                ],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return ids

    async def write_pg(self, batch: Sequence[Order]) -> list[int]:
        assert self.pool is not None and self.product is not None
        now = datetime.now(UTC)
        sales, parts, balances, affiliates = astuple(self.rows(batch, now, False))
        currency = self.product.currency
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "INSERT INTO sales (external_id, product_id, affiliate_id, currency, amount, original_commission, "
                "commission, refunded, status, occurred_at, created_at, renewal, processor_refunded, disputes) "
                "SELECT e, $2, a, $3, $4, $5, $5, 0, 'COMPLETED', $6, $6, false, 0, '{}' "
                "FROM unnest($1::text[], $7::int[]) AS t(e, a) RETURNING id",
                [s[0] for s in sales],
                self.product.id,
                currency,
                self.product.price,
                sales[0][5],
                now,
                [s[2] for s in sales],
            )
            ids = [r[0] for r in rows]
            inst = [
                (sale_id, o.affiliate_id, n, amount, release)
                for sale_id, o in zip(ids, batch, strict=True)
                for n, amount, release in parts
            ]
            await conn.execute(
                "INSERT INTO installments (sale_id, affiliate_id, currency, position, amount, original_amount, "
                "release_at, voided, disputed) SELECT s, a, $6, n, m, m, r, false, false "
                "FROM unnest($1::int[], $2::int[], $3::int[], $4::bigint[], $5::timestamptz[]) AS t(s, a, n, m, r)",
                *([list(c) for c in zip(*inst, strict=True)] + [currency]),
            )
            await conn.execute(
                "INSERT INTO balances (affiliate_id, currency, earned, reserve, due_installments, refreshed_at, "
                "paid, owed, next_release_amount, disputed) SELECT a, $2, e, r, d, $6, 0, 0, 0, 0 "
                "FROM unnest($1::int[], $3::bigint[], $4::bigint[], $5::bigint[]) "
                "AS t(a, e, r, d) ON CONFLICT (affiliate_id, currency) DO UPDATE SET "
                "earned = balances.earned + excluded.earned, reserve = balances.reserve + excluded.reserve, "
                "due_installments = balances.due_installments + excluded.due_installments, "
                "refreshed_at = excluded.refreshed_at",
                [b[0] for b in balances],
                currency,
                [b[2] for b in balances],
                [b[3] for b in balances],
                [b[4] for b in balances],
                now,
            )
            await conn.execute(
                "UPDATE affiliates SET sales_count = sales_count + t.n FROM unnest($1::int[], $2::int[]) AS t(n, a) "
                "WHERE affiliates.id = t.a",
                [a[0] for a in affiliates],
                [a[1] for a in affiliates],
            )
            await conn.execute(
                "INSERT INTO audit_log (actor, action, object_type, object_id, details, at) "
                "SELECT 'floor', 'recordSale', 'Sale', i::text, jsonb_build_object('externalId', e), $3 "
                "FROM unnest($1::int[], $2::text[]) AS t(i, e)",
                ids,
                [s[0] for s in sales],
                now,
            )
        return ids


BOOKER = Booker(os.environ.get("FLOOR_DATABASE_URL", "sqlite://floor.sqlite3"))


async def book(request: Request) -> JSONResponse:
    body = await request.json()
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    await BOOKER.queue.put(Order(body["externalId"], int(body["affiliateId"]), done))
    return JSONResponse({"created": True, "id": await done})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    await BOOKER.start(int(os.environ.get("FLOOR_PRODUCT_ID", "1")))
    task = asyncio.create_task(BOOKER.run())
    yield
    task.cancel()


app = Starlette(routes=[Route("/book", book, methods=["POST"]), Route("/healthz", healthz)], lifespan=lifespan)


# --- the pay run's settling transaction -----------------------------------------------------------


SETTLE_SQL = [
    "INSERT INTO payouts (affiliate_id, currency, amount, method, instant, status, paid_at, created_at) "
    "SELECT affiliate_id, currency, amount, method, {false}, 'PAID', {now}, {now} FROM settle ORDER BY affiliate_id",
    "UPDATE installments SET payout_id = p.id FROM payouts p WHERE p.id > {before} "
    "AND installments.affiliate_id = p.affiliate_id AND installments.currency = p.currency "
    "AND installments.payout_id IS NULL AND installments.voided = {false} AND installments.disputed = {false} "
    "AND installments.release_at <= {now}",
    "UPDATE balances SET paid = balances.paid + s.amount, due_installments = balances.due_installments - s.amount, "
    "refreshed_at = {now} FROM settle s "
    "WHERE balances.affiliate_id = s.affiliate_id AND balances.currency = s.currency",
    "UPDATE affiliates SET payment_status = 'NOTHING_DUE', due_rank = 0 WHERE id IN (SELECT affiliate_id FROM settle)",
]


async def settle(db: Any, rows: Sequence[tuple[int, str, str, int]], now: datetime) -> None:
    """The pay run's writes for `rows` (affiliate, method, currency, amount) in one transaction: a payout
    per row, every due installment of it claimed, balances and affiliates moved; rolled back after, so
    the project pays the same rows. `db` is a benchmarks.run.Database (its held connection)."""
    conn = await db.connection()
    if db.postgres:
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute(
                "CREATE TEMP TABLE settle (affiliate_id int, method text, currency text, amount bigint) ON COMMIT DROP"
            )
            await conn.copy_records_to_table("settle", records=rows)
            await conn.execute("ANALYZE settle")  # a temporary table has no statistics of its own
            before = await conn.fetchval("SELECT coalesce(max(id), 0) FROM payouts")
            for sql in SETTLE_SQL:
                await conn.execute(sql.format(false="false", now="$1", before=before), *[now][: "{now}" in sql])
        finally:
            await transaction.rollback()
        return
    at = stamp(now, True)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TEMP TABLE settle (affiliate_id int, method text, currency text, amount bigint)")
        conn.executemany("INSERT INTO settle VALUES (?,?,?,?)", rows)
        before = conn.execute("SELECT coalesce(max(id), 0) FROM payouts").fetchone()[0]
        for sql in SETTLE_SQL:
            conn.execute(sql.format(false="0", now="?", before=before), [at] * sql.count("{now}"))
    finally:
        conn.execute("ROLLBACK")
