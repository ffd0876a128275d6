"""Issue 10's table in one run: each hot path against its baseline on the same data, as ratios and JSON.

A script, not a test (timings on a shared machine are noisy: the ratios within one run are what
counts). It seeds a program with `payouts seed` (timing the bulk path), measures the DUE page at
the small scale, grows the program to the large scale and measures it again, counts SQL
statements per page, then starts the real server (`payouts serve --workers W`) and measures the
page over HTTP against its floor, recordSale with 16 clients, the export + stream and the whole
pay run against a bare driver + csv.writer baseline with the server's memory, and finally the
1,000-subscriber fan-out (benchmarks/subscribers.py, on its own fresh database).

    .venv/bin/python -m benchmarks.run --affiliates 2000,20000 --sales-per-affiliate 10
    .venv/bin/python -m benchmarks.run --postgres postgres://postgres@127.0.0.1:5432/test --workers 4
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import logging
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import strawberry

from benchmarks import floors, subscribers
from models.db import SQLITE_CACHE_KIB
from models.ledger.payment_details import Cipher
from models.money import from_minor

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-admin-token"
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
PAGE_FIELDS = """id name email approvalStatus payoutMode createdAt paymentMethods { type preferred summary }
  salesCount balances { currency earned { amount currency } reserve { amount currency } due { amount currency }
    paid { amount currency } owed { amount currency } nextRelease { at amount { amount currency } } }
  paymentStatus incompleteReasons { reason message }"""
DUE_PAGE = f"""query($first: Int) {{ affiliates(filter: {{paymentStatus: [DUE]}}, sort: DUE_DESC, first: $first) {{
  edges {{ node {{ {PAGE_FIELDS} }} }} }} }}"""
ALL_PAGE = f"""query($first: Int) {{ affiliates(first: $first, sort: DUE_DESC) {{ totalCount
  edges {{ node {{ {PAGE_FIELDS} }} }} }} }}"""
# This year's totals (rule 17.4): the seed's PayPal Instant payees have payouts in it.
TAX_PAGE = f"""query($first: Int) {{ taxYearTotals(year: {datetime.now(UTC).year}, first: $first) {{ totalCount
  edges {{ node {{ payee {{ id name }} form1099Nec form1099NecReason taxForm
    totals {{ currency paid {{ amount }} paypalPaid {{ amount }} recoveredClawbacks {{ amount }} payoutCount }}
  }} }} }} }}"""
DUE_IDS = "{ affiliates(filter: {paymentStatus: [DUE]}, first: 500) { edges { node { id } } } }"
RECORD = """mutation($input: RecordSaleInput!) { recordSale(input: $input) { __typename
  ... on RecordSaleSuccess { created } } }"""
EXPORT = """mutation { exportPaymentDetails(input: {scope: PREFERRED, filter: {paymentStatus: [DUE]}}) {
  ... on ExportPaymentDetailsSuccess { export { id groups { method files { rows downloadUrl } } } }
  ... on Error { code message } } }"""
PAY = """mutation($input: MarkAsPaidInput!) { markAsPaid(input: $input) { __typename
  ... on MarkAsPaidSuccess { totals { amount currency } } ... on Error { code message } } }"""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median_time(times: list[float]) -> float:
    return statistics.median(times)


# --- the database ---------------------------------------------------------------------------------


class Database:
    """A fresh SQLite file or PostgreSQL database, and a bare driver connection for the baselines."""

    def __init__(self, postgres: str | None, tmp: Path, name: str | None = None) -> None:
        self.postgres = postgres
        self.kept = name is not None  # an existing, already seeded database: neither created nor dropped
        self.name = name or f"payouts_bench_{uuid.uuid4().hex[:8]}"
        self.url = postgres.rsplit("/", 1)[0] + f"/{self.name}" if postgres else f"sqlite://{tmp / 'bench.sqlite3'}"
        self.path = tmp / "bench.sqlite3"
        self._pg: asyncpg.Connection | None = None
        self._lite: sqlite3.Connection | None = None

    async def create(self) -> None:
        if self.postgres and not self.kept:
            admin = await asyncpg.connect(self.postgres.replace("postgres://", "postgresql://", 1))
            await admin.execute(f'CREATE DATABASE "{self.name}"')
            await admin.close()

    async def drop(self) -> None:
        await self.close()
        if self.postgres and not self.kept:
            admin = await asyncpg.connect(self.postgres.replace("postgres://", "postgresql://", 1))
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            await admin.close()

    async def fetch(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        """A bare driver query (sqlite3 or asyncpg) on one held connection: what the baselines and floors
        are made of. One connection, as a server holds a pool: a connection per query would make the
        floor pay the connect (several ms on PostgreSQL) and the ratio look better than it is."""
        if self.postgres:
            if self._pg is None:
                self._pg = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))
            return [tuple(r) for r in await self._pg.fetch(query, *args)]
        if self._lite is None:
            self._lite = sqlite3.connect(self.path)
            self._lite.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # the server's page cache
        return self._lite.execute(query.replace("$1", "?").replace("$2", "?"), args).fetchall()

    async def connection(self) -> Any:
        """The held driver connection (asyncpg or sqlite3), for the floors that write."""
        await self.fetch("SELECT 1")
        return self._pg if self.postgres else self._lite

    async def close(self) -> None:
        """Close the held connection (before seeding: a held SQLite reader would see an old snapshot)."""
        if self._pg is not None:
            await self._pg.close()
            self._pg = None
        if self._lite is not None:
            self._lite.close()
            self._lite = None


def env(db: Database) -> dict[str, str]:
    """The server's environment. The operation timeout at its maximum: one group of a pay run of tens of
    thousands of rows takes longer than the default 10 s (docs/operations.md, "Large pay runs")."""
    return {
        **os.environ,
        "PAYOUTS_DATABASE_URL": db.url,
        "PAYOUTS_ADMIN_TOKEN": TOKEN,
        "PAYOUTS_SECRET_KEY": SECRET,
        "PAYOUTS_QUERY_TIMEOUT_S": "300",
    }


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def seed(db: Database, affiliates: int, sales: int) -> tuple[float, float]:
    """`payouts seed` in a subprocess (the real command, with its progress bar): the whole command's
    sales/s (start-up, migrations and affiliates included), and the sales phase's own (its progress bar).

    Also says the command's CPU seconds: on shared cores, sales per CPU-second is what stays put.
    """
    started, cpu = time.perf_counter(), children_cpu()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server",
        "seed",
        "--affiliates",
        str(affiliates),
        "--sales",
        str(sales),
        cwd=ROOT,
        env=env(db),
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    assert process.returncode == 0, "payouts seed failed"
    elapsed = time.perf_counter() - started
    say(f"payouts seed: {sales:,} sales in {elapsed:.1f} s, {children_cpu() - cpu:.1f} CPU-s")
    bars = [part for part in err.decode().replace("\n", "\r").split("\r") if part.startswith("sales")]
    phase = float(bars[-1].rsplit(None, 1)[-1].removesuffix("/s").replace(",", "")) if bars else 0.0
    await settle(db)
    return sales / elapsed, phase


async def settle(db: Database) -> None:
    """PostgreSQL: the VACUUM ANALYZE that autovacuum runs after a bulk load, run now (not timed), so
    the measurements that follow neither share the cores with it nor read rows without hint bits and
    visibility (measured without it: the 50,000-affiliate page took 41 ms of wall time for 19 ms of
    CPU, twice the 5,000-affiliate page's latency at the same CPU)."""
    if db.postgres:
        await db.fetch("VACUUM ANALYZE")
        await db.close()


# --- the page and its floor -----------------------------------------------------------------------


@strawberry.type
class FloorMoney:
    amount: str
    currency: str


@strawberry.type
class FloorRelease:
    at: str
    amount: FloorMoney


@strawberry.type
class FloorBalance:
    currency: str
    earned: FloorMoney
    reserve: FloorMoney
    due: FloorMoney
    paid: FloorMoney
    owed: FloorMoney
    next_release: FloorRelease | None


@strawberry.type
class FloorMethod:
    type: str
    preferred: bool
    summary: str


@strawberry.type
class FloorReason:
    reason: str
    message: str


@strawberry.type
class FloorAffiliate:
    id: str
    name: str
    email: str
    approval_status: str
    payout_mode: str
    created_at: str
    payment_methods: list[FloorMethod]
    sales_count: int
    balances: list[FloorBalance]
    payment_status: str
    incomplete_reasons: list[FloorReason]


@strawberry.type
class FloorNodeEdge:
    node: FloorAffiliate


@strawberry.type
class FloorConnection:
    edges: list[FloorNodeEdge]


FLOOR_PAGE: list[FloorAffiliate] = []  # the page the floor's schema answers (set before each execution)


@strawberry.type
class FloorQuery:
    @strawberry.field
    def affiliates(self, first: int | None = None) -> FloorConnection:
        return FloorConnection(edges=[FloorNodeEdge(node=n) for n in FLOOR_PAGE])


# Built once, as a server builds its schema once: building it per page would charge the floor's CPU
# 1.5 ms a page that no server pays.
FLOOR_SCHEMA = strawberry.Schema(FloorQuery)


FLOOR_QUERY = f"""query($first: Int) {{ affiliates(first: $first) {{ edges {{ node {{ {PAGE_FIELDS} }} }} }} }}"""


def money(minor: int, currency: str) -> FloorMoney:
    return FloorMoney(amount=str(from_minor(minor, currency)), currency=currency)


async def page_floor(db: Database, size: int) -> float:
    """Raw SQL for the DUE page (3 statements; the page read through the best index, `(payment_status,
    due_rank, id)`) + bare Strawberry resolving the same JSON from memory."""
    t = time.perf_counter()
    rows = await db.fetch(
        "SELECT id, name, email, approval_status, payout_mode, created_at, sales_count, payment_status, "
        "preferred_method FROM affiliates WHERE payment_status = 'DUE' ORDER BY due_rank DESC, id DESC LIMIT $1",
        size + 1,
    )
    ids = ",".join(str(r[0]) for r in rows) or "0"
    balances = await db.fetch(
        "SELECT affiliate_id, currency, earned, reserve, due_installments, paid, owed, next_release_at, "
        f"next_release_amount FROM balances WHERE affiliate_id IN ({ids}) ORDER BY currency"
    )
    methods = await db.fetch(f"SELECT affiliate_id, type, summary FROM payment_methods WHERE affiliate_id IN ({ids})")
    sql = time.perf_counter() - t
    nodes = [
        FloorAffiliate(
            id=str(r[0]),
            name=r[1],
            email=r[2],
            approval_status=r[3],
            payout_mode=r[4],
            created_at=str(r[5]),
            payment_methods=[
                FloorMethod(type=m[1], preferred=m[1] == r[8], summary=m[2]) for m in methods if m[0] == r[0]
            ],
            sales_count=r[6],
            balances=[
                FloorBalance(
                    currency=b[1],
                    earned=money(b[2], b[1]),
                    reserve=money(b[3], b[1]),
                    due=money(max(0, b[4] - b[6]), b[1]),
                    paid=money(b[5], b[1]),
                    owed=money(b[6], b[1]),
                    next_release=FloorRelease(at=str(b[7]), amount=money(b[8], b[1])) if b[7] else None,
                )
                for b in balances
                if b[0] == r[0]
            ],
            payment_status=r[7],
            incomplete_reasons=[],
        )
        for r in rows[:size]
    ]
    FLOOR_PAGE[:] = nodes
    t = time.perf_counter()
    result = await FLOOR_SCHEMA.execute(FLOOR_QUERY, variable_values={"first": size})
    assert result.errors is None, result.errors
    json.dumps(result.data)
    return sql + time.perf_counter() - t


async def timed(repeat: int, call: Callable[[], Awaitable[Any]]) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        await call()
        times.append(time.perf_counter() - t)
    return median_time(times)


# --- the server -------------------------------------------------------------------------------------


def server(db: Database, workers: int) -> AbstractAsyncContextManager[tuple[httpx.AsyncClient, int]]:
    """The real `payouts serve --workers W`."""
    return served_by(["server", "serve"], env(db), workers)


def floor_server(
    db: Database, workers: int, product_id: int
) -> AbstractAsyncContextManager[tuple[httpx.AsyncClient, int]]:
    """The bare booking route of benchmarks/floors.py under uvicorn with the same workers."""
    floor_env = {**env(db), "FLOOR_DATABASE_URL": db.url, "FLOOR_PRODUCT_ID": str(product_id)}
    return served_by(["uvicorn", "benchmarks.floors:app", "--log-level", "warning"], floor_env, workers)


@asynccontextmanager
async def served_by(
    command: list[str], environment: dict[str, str], workers: int
) -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    port = subscribers.free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        *command,
        "--port",
        str(port),
        "--workers",
        str(workers),
        cwd=ROOT,
        env=environment,
        stderr=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            timeout=600,
            headers={"Authorization": f"Bearer {TOKEN}"},
            limits=httpx.Limits(max_connections=64),
        ) as http:
            for _ in range(600):
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            yield http, process.pid
    finally:
        process.terminate()
        await process.wait()


async def gql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def tree(pid: int) -> list[int]:
    """A process and its descendants (uvicorn workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its descendants: what a server spent, whatever the
    load of the machine (on shared cores, throughput says as much about the neighbours)."""
    total = 0
    for current in tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers), in MB."""
    total = 0.0
    for current in tree(pid):
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


async def record_sales(send: Callable[[str, int], Awaitable[None]], clients: int, seconds: float) -> dict[str, float]:
    """`clients` concurrent loops of `send(externalId, n)` (one sale each) for `seconds`: sales/s and
    latency percentiles."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    run = uuid.uuid4().hex[:6]

    async def client(n: int) -> None:
        k = 0
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            await send(f"bench-{run}-{n}-{k}", n * 7919 + k)
            latencies.append(time.perf_counter() - t)
            k += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    return {"sales_per_s": len(latencies) / elapsed, "sales": len(latencies), **subscribers.percentiles(latencies)}


# --- export and pay run -------------------------------------------------------------------------------


async def export_baseline(db: Database, cipher: Cipher) -> tuple[float, list[tuple[int, str, str, int]]]:
    """The least any exporter must do: one query of the due rows, decrypt, csv.writer into memory.
    Returns the time and the rows (affiliate, method, currency, amount) a settling transaction pays."""
    now = datetime.now(UTC)
    t = time.perf_counter()
    rows = await db.fetch(
        "SELECT a.id, m.type, m.details, i.currency, SUM(i.amount) FROM affiliates a "
        "JOIN payment_methods m ON m.affiliate_id = a.id AND m.type = a.preferred_method "
        "JOIN installments i ON i.affiliate_id = a.id AND i.payout_id IS NULL AND i.voided = $1 AND i.release_at <= $2 "
        "WHERE a.payment_status = 'DUE' GROUP BY a.id, m.type, m.details, i.currency "
        # the seed's minimum payouts (payouts seed): 25.00 USD and EUR, none in JPY
        "HAVING SUM(i.amount) >= CASE i.currency WHEN 'JPY' THEN 1 ELSE 2500 END ORDER BY a.id",
        False,
        now if db.postgres else now.isoformat(" "),
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    paid = []
    for aff_id, kind, details, currency, amount in rows:
        values = cipher.decrypt(details)
        writer.writerow([values.get("email", ""), str(from_minor(int(amount), currency)), currency, aff_id, kind])
        paid.append((aff_id, kind, currency, int(amount)))
    return time.perf_counter() - t, paid


async def pay_run(http: httpx.AsyncClient, pid: int) -> dict[str, float]:
    """Export the DUE affiliates, stream every file, mark every group paid; peak server memory."""
    before = rss_mb(pid)
    peak = [before]
    sampling = True

    async def sample() -> None:
        while sampling:
            peak[0] = max(peak[0], rss_mb(pid))
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    t = time.perf_counter()
    export = (await gql(http, EXPORT))["exportPaymentDetails"]["export"]
    export_s = time.perf_counter() - t
    t = time.perf_counter()
    streamed = 0
    for group in export["groups"]:
        for f in group["files"]:
            async with http.stream("GET", f["downloadUrl"]) as response:
                async for line in response.aiter_lines():
                    streamed += bool(line)
    stream_s = time.perf_counter() - t
    sampling = False
    await sampler
    rows = sum(f["rows"] for g in export["groups"] for f in g["files"])
    t, cpu = time.perf_counter(), cpu_seconds(pid)
    for group in export["groups"]:
        data = await gql(http, PAY, input={"exportId": export["id"], "method": group["method"]})
        assert data["markAsPaid"]["__typename"] == "MarkAsPaidSuccess", data
    pay_s, pay_cpu_s = time.perf_counter() - t, cpu_seconds(pid) - cpu
    return {
        "rows": rows,
        "streamed_lines": streamed,
        "export_s": export_s,
        "stream_s": stream_s,
        "pay_s": pay_s,
        "pay_cpu_s": pay_cpu_s,
        "memory_before_mb": before,
        "memory_peak_mb": peak[0],
    }


# --- statements per page ------------------------------------------------------------------------------


async def statements_per_page(db: Database, query: str = ALL_PAGE) -> dict[int, int]:
    """SQL statements one page of `query` costs, for 10 and 500 items (in-process app, Tortoise's SQL log)."""
    from asgi_lifespan import LifespanManager

    from server.app import create_app
    from server.config import Settings

    counted: list[str] = []

    class Counter(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            counted.append(record.getMessage())

    app = create_app(Settings(database_url=db.url, secret_key=SECRET, admin_token=TOKEN, maturity_clock=False))
    logger = logging.getLogger("tortoise.db_client")
    handler = Counter(logging.DEBUG)
    counts: dict[int, int] = {}
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers={"Authorization": f"Bearer {TOKEN}"}
        ) as http:
            await gql(http, query, first=10)  # warm: settings, caches
            logger.setLevel(logging.DEBUG)
            logger.addHandler(handler)
            try:
                for size in (10, 500):
                    counted.clear()
                    await gql(http, query, first=size)
                    counts[size] = len(counted)
            finally:
                logger.removeHandler(handler)
                logger.setLevel(logging.WARNING)
    from tortoise import Tortoise

    await Tortoise.close_connections()
    return counts


# --- the run --------------------------------------------------------------------------------------------


async def page_against_floor(
    db: Database, http: httpx.AsyncClient, pid: int, repeat: int
) -> tuple[float, float, float, float]:
    """The DUE page over HTTP and its floor, medians of `repeat` alternating measurements: both see the
    same load on a shared machine, so their ratio holds when absolute times move. Also the CPU
    seconds per page of the server (all workers) and of the floor (this process)."""
    await gql(http, DUE_PAGE, first=50)
    await page_floor(db, 50)
    pages, floors = [], []
    server_cpu = floor_cpu = 0.0
    for _ in range(repeat):
        cpu = cpu_seconds(pid)
        pages.append(await timed(1, lambda: gql(http, DUE_PAGE, first=50)))
        server_cpu += cpu_seconds(pid) - cpu
        cpu = time.process_time()
        floors.append(await page_floor(db, 50))
        floor_cpu += time.process_time() - cpu
    await db.close()
    return median_time(pages), median_time(floors), server_cpu / repeat, floor_cpu / repeat


ROWS = ("page", "statements", "record", "payrun", "subscribers")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    small, large = args.affiliates
    only = set(args.only)
    report: dict[str, Any] = {
        "database": "postgres" if args.postgres else "sqlite",
        "workers": args.workers,
        "affiliates": [small, large],
        "sales_per_affiliate": args.sales_per_affiliate,
    }
    if args.reuse:
        return await reused(args, report)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.postgres, Path(tmp))
        await db.create()
        try:
            if only - {"subscribers"}:
                say(f"seeding {small:,} affiliates ...")
                report["seed_small_sales_per_s"], report["seed_phase_sales_per_s"] = await seed(
                    db, small, small * args.sales_per_affiliate
                )
                if args.only_booking:
                    report["seed_sales_per_s"] = report["seed_small_sales_per_s"]
                    report.update(await booking(db, args))
                    return report
                if "page" in only:
                    async with server(db, args.workers) as (http, pid):
                        report["page_small"] = await page_against_floor(db, http, pid, args.repeat)
                say(f"growing to {large:,} affiliates ...")
                report["seed_sales_per_s"], report["seed_phase_sales_per_s"] = await seed(
                    db, large - small, (large - small) * args.sales_per_affiliate
                )
                if "statements" in only:
                    report["statements_per_page"] = await statements_per_page(db)
                    report["tax_statements_per_page"] = await statements_per_page(db, TAX_PAGE)
                report.update(await served(db, args))
                page_figures(report)
        finally:
            await db.drop()
    if "subscribers" in only and args.subscribers:
        report["subscribers"] = await fan_out(args)
    return report


def page_figures(report: dict[str, Any]) -> None:
    """The page's two scales (seconds, as measured) as one entry of milliseconds."""
    if "page_large" in report:
        small_ms, small_floor, _, _ = report.pop("page_small")
        large_ms, large_floor, server_cpu, floor_cpu = report.pop("page_large")
        report["page"] = {
            "http_ms": large_ms * 1000,
            "floor_ms": large_floor * 1000,
            "small_ms": small_ms * 1000,
            "small_floor_ms": small_floor * 1000,
            "server_cpu_ms": server_cpu * 1000,
            "floor_cpu_ms": floor_cpu * 1000,
        }


async def reused(args: argparse.Namespace, report: dict[str, Any]) -> dict[str, Any]:
    """--reuse: the served rows on two PostgreSQL databases seeded beforehand (benchmarks/horizon.sh),
    for a scale whose seeding outlasts a sitting: the page on the small one, then every row on the
    large one. Neither is dropped; the record and pay-run rows change the large one."""
    small_name, large_name = args.reuse
    with tempfile.TemporaryDirectory() as tmp:
        small, large = (Database(args.postgres, Path(tmp), name) for name in (small_name, large_name))
        if "page" in args.only:
            async with server(small, args.workers) as (http, pid):
                report["page_small"] = await page_against_floor(small, http, pid, args.repeat)
        report.update(await served(large, args))
        page_figures(report)
        await large.close()
    return report


async def record_sale_row(db: Database, http: httpx.AsyncClient, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    """recordSale from `clients` clients against the bare booking route of benchmarks/floors.py (same
    product, same affiliates, same workers), alternating in two rounds of half the time each; with
    each server's CPU milliseconds per sale."""
    products = await gql(http, "{ products(first: 1) { edges { node { id } } } }")
    product = products["products"]["edges"][0]["node"]["id"]
    due = await gql(http, DUE_IDS)
    ids = [e["node"]["id"] for e in due["affiliates"]["edges"]]
    raw_product = (await db.fetch("SELECT id FROM products ORDER BY id LIMIT 1"))[0][0]
    raw_ids = [
        r[0]
        for r in await db.fetch("SELECT id FROM affiliates WHERE payment_status = 'DUE' ORDER BY id DESC LIMIT 500")
    ]
    await db.close()

    async def project(name: str, n: int) -> None:
        data = await gql(
            http, RECORD, input={"externalId": name, "productId": product, "affiliateId": ids[n % len(ids)]}
        )
        assert data["recordSale"]["__typename"] == "RecordSaleSuccess", data

    say(f"recordSale with {args.clients} clients, against the bare route ...")
    rounds: dict[str, list[dict[str, float]]] = {"project": [], "floor": []}
    async with floor_server(db, args.workers, raw_product) as (floor_http, floor_pid):

        async def floor(name: str, n: int) -> None:
            response = await floor_http.post(
                "/book", json={"externalId": name, "affiliateId": raw_ids[n % len(raw_ids)]}
            )
            assert response.status_code == 200, response.text

        for _ in range(2):
            for name, send, server_pid in (("project", project, pid), ("floor", floor, floor_pid)):
                cpu = cpu_seconds(server_pid)
                figures = await record_sales(send, args.clients, args.seconds / 2)
                figures["cpu_ms_per_sale"] = (cpu_seconds(server_pid) - cpu) * 1000 / max(figures["sales"], 1)
                rounds[name].append(figures)
    mean = {k: {f: statistics.mean(r[f] for r in v) for f in v[0]} for k, v in rounds.items()}
    return {**mean["project"], "floor": mean["floor"], "rounds": rounds, "clients": args.clients}


async def booking(db: Database, args: argparse.Namespace) -> dict[str, Any]:
    """--only-booking: the two booking rows alone (the bulk path was timed by the seed), on the small scale."""
    async with server(db, args.workers) as (http, pid):
        return {"record_sale": await record_sale_row(db, http, pid, args)}


async def served(db: Database, args: argparse.Namespace) -> dict[str, Any]:
    """The rows measured against a real `payouts serve --workers W` at the large scale."""
    only = set(args.only)
    report: dict[str, Any] = {}
    async with server(db, args.workers) as (http, pid):
        if "page" in only:
            report["page_large"] = await page_against_floor(db, http, pid, args.repeat)
        if "record" in only:
            report["record_sale"] = await record_sale_row(db, http, pid, args)
        if "payrun" in only:
            base_s, paid = await export_baseline(db, Cipher(SECRET))
            t, cpu = time.perf_counter(), time.process_time()
            await floors.settle(db, paid, datetime.now(UTC))
            settle_s, settle_cpu_s = time.perf_counter() - t, time.process_time() - cpu
            await db.close()
            say(f"pay run of {len(paid):,} rows ...")
            run_figures = await pay_run(http, pid)
            report["pay_run"] = {
                **run_figures,
                "baseline_s": base_s,
                "baseline_rows": len(paid),
                "settle_floor_s": settle_s,
                # SQLite's work runs in this process; PostgreSQL's in its server (not counted)
                "settle_floor_cpu_s": settle_cpu_s,
            }
    return report


async def fan_out(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """benchmarks/subscribers.py on its own fresh database."""
    say(f"{args.subscribers:,} subscribers ...")
    if args.postgres:
        fresh = Database(args.postgres, Path(tempfile.gettempdir()))
        await fresh.create()
        try:
            return await subscribers.run(args.subscribers, fresh.url, None)
        finally:
            await fresh.drop()
    with tempfile.TemporaryDirectory() as tmp:
        return await subscribers.run(args.subscribers, f"sqlite://{tmp}/s.sqlite3", None)


def record_row(r: dict[str, Any]) -> tuple[str, str, str, str]:
    record = r["record_sale"]
    floor = record["floor"]
    return (
        f"recordSale HTTP, {record.get('clients', 16)} clients",
        ">= 0.5x bare route",
        f"{record['sales_per_s']:.0f}/s (p50 {record['p50_ms']:.0f} ms; floor {floor['sales_per_s']:.0f}/s);"
        f" CPU {record['cpu_ms_per_sale']:.2f} / {floor['cpu_ms_per_sale']:.2f} ms per sale",
        f"{record['sales_per_s'] / floor['sales_per_s']:.2f}x",
    )


def bulk_row(r: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        "bulk path (payouts seed)",
        ">= 20,000 sales/s",
        f"{r['seed_sales_per_s']:,.0f} sales/s (sales phase {r['seed_phase_sales_per_s']:,.0f}/s)",
        f"{r['seed_sales_per_s'] / 20000:.2f} of goal",
    )


def table(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(path, goal, measured, ratio or verdict) rows of the issue's table, for the rows that ran."""
    small, large = r["affiliates"]
    rows = []
    if "page" in r:
        p = r["page"]
        rows += [
            (
                "DUE page, 50, every field, HTTP",
                "<= 1.3x floor",
                f"{p['http_ms']:.1f} ms (floor {p['floor_ms']:.1f} ms)",
                f"{p['http_ms'] / p['floor_ms']:.2f}x",
            ),
            (
                f"same page {small:,} -> {large:,}",
                "growth <= 1.2x the floor's",
                f"{p['small_ms']:.1f} -> {p['http_ms']:.1f} ms"
                f" (floor {p['small_floor_ms']:.1f} -> {p['floor_ms']:.1f})",
                f"{p['http_ms'] / p['small_ms']:.2f}x"
                f" / {p['floor_ms'] / p['small_floor_ms']:.2f}x"
                f" = {(p['http_ms'] / p['small_ms']) / (p['floor_ms'] / p['small_floor_ms']):.2f}",
            ),
            (
                "the same page, CPU per page",
                "",
                f"server {p['server_cpu_ms']:.1f} ms, floor {p['floor_cpu_ms']:.1f} ms",
                f"{p['server_cpu_ms'] / p['floor_cpu_ms']:.2f}x",
            ),
        ]
    if "record_sale" in r:
        rows.append(record_row(r))
    if "pay_run" in r:
        rows += _pay_run_rows(r["pay_run"])
    if "seed_sales_per_s" in r:
        rows.append(bulk_row(r))
    if "statements_per_page" in r:
        statements = r["statements_per_page"]
        rows.append(("SQL statements per page of 10 / 500", "equal", f"{statements[10]} / {statements[500]}", ""))
    if "tax_statements_per_page" in r:
        tax = r["tax_statements_per_page"]
        rows.append(("SQL statements per taxYearTotals page of 10 / 500", "equal", f"{tax[10]} / {tax[500]}", ""))
    if "subscribers" in r:
        rows.append(("subscriber fan-out p95", "<= 1 s", f"{r['subscribers']['delivery']['p95_ms']:.0f} ms", ""))
    return rows


def _pay_run_rows(run_: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    base_rate = run_["baseline_rows"] / run_["baseline_s"]
    export_rate = run_["rows"] / (run_["export_s"] + run_["stream_s"])
    run_rate = run_["rows"] / (run_["export_s"] + run_["stream_s"] + run_["pay_s"])
    floor_rate = run_["baseline_rows"] / (run_["baseline_s"] + run_["settle_floor_s"])
    settle_rate = run_["baseline_rows"] / run_["settle_floor_s"]
    growth = run_["memory_peak_mb"] - run_["memory_before_mb"]
    return [
        (
            f"export + stream {run_['rows']:,} rows",
            ">= 0.5x baseline rows/s",
            f"{export_rate:,.0f} rows/s (baseline {base_rate:,.0f})",
            f"{export_rate / base_rate:.2f}x",
        ),
        (
            f"pay run {run_['rows']:,} (export, stream, markAsPaid)",
            ">= 0.5x export + settle floor",
            f"{run_rate:,.0f} rows/s (floor {floor_rate:,.0f}/s)",
            f"{run_rate / floor_rate:.2f}x",
        ),
        (
            "markAsPaid of every group",
            ">= 0.5x settle floor",
            f"{run_['pay_s']:.2f} s (floor {run_['settle_floor_s']:.2f} s); CPU {run_['pay_cpu_s']:.2f} s"
            f" (floor {run_['settle_floor_cpu_s']:.2f} s)",
            f"{run_['rows'] / run_['pay_s'] / settle_rate:.2f}x",
        ),
        (
            "server memory, export + download",
            "flat in the rows",
            f"+{growth:.0f} MB ({growth * 1024 * 1024 / max(run_['rows'], 1):.0f} B/row)",
            "",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--affiliates", default="2000,20000", help="small,large scale (default 2000,20000)")
    parser.add_argument("--sales-per-affiliate", type=int, default=10)
    parser.add_argument("--postgres", help="admin URL; a fresh database is created and dropped (default: SQLite)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="how long recordSale runs")
    parser.add_argument("--repeat", type=int, default=15, help="page requests per measurement (median)")
    parser.add_argument("--subscribers", type=int, default=1000, help="0 skips the fan-out")
    parser.add_argument(
        "--only", default=",".join(ROWS), help=f"comma-separated rows to measure, of {','.join(ROWS)} (default: all)"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--reuse",
        help="SMALL,LARGE: two PostgreSQL databases already seeded (benchmarks/horizon.sh), measured, not dropped",
    )
    parser.add_argument(
        "--only-booking",
        action="store_true",
        help="only the recordSale and bulk-path rows: seed the small scale, then recordSale",
    )
    args = parser.parse_args()
    args.affiliates = [int(n) for n in args.affiliates.split(",")]
    args.only = [row for row in args.only.split(",") if row]
    if args.reuse:
        args.reuse = args.reuse.split(",")
        if not args.postgres or len(args.reuse) != 2:
            parser.error("--reuse SMALL,LARGE needs --postgres")
    if unknown := set(args.only) - set(ROWS):
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    report = asyncio.run(run(args))
    for path, goal, measured, ratio in table(report):
        print(f"{path:<44} {goal:<30} {measured:<50} {ratio}")
    print(json.dumps(report, indent=1, default=str))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
