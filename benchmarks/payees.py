"""Rule 16's booking cost: a sale with four payees (affiliate, recruiter, two JV partners) against one payee.

Issue 18's goal: booking a sale with an affiliate, its recruiter and two JV partners costs at most
1.5x a sale with one payee, through `recordSale` (a real `payouts serve`, concurrent clients, group
commit) and through the bulk path (`payouts import`'s code, in process, 5,000 lines a transaction).
The same affiliates, each with a recruiter, sell two products that differ only in rule 16: "One"
has no second-tier percent and no JV partners, "Four" has both. Runs alternate (One, Four, One,
Four...) so both see the same load on the shared machine; the mean of each kind is kept, with the
CPU per sale beside the throughput (the load of shared cores moves throughput, not CPU per sale).

    .venv/bin/python -m benchmarks.payees --affiliates 200 --sales 20000 --seconds 10
    .venv/bin/python -m benchmarks.payees --postgres postgres://postgres@127.0.0.1:5432/test --workers 4
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from tortoise import Tortoise

from benchmarks.run import RECORD, Database, cpu_seconds, gql, record_sales, say, server
from models.clock import system_clock
from models.db import tortoise_config
from models.tables.commissions import Commission
from server.seed import import_sales

GOAL = 1.5  # a four-payee sale costs at most this many one-payee sales
PAYEES = {"one": 1, "four": 4}
RECRUITERS = 10
CREATE_AFFILIATE = """mutation($input: CreateAffiliateInput!) { createAffiliate(input: $input) {
  ... on CreateAffiliateSuccess { affiliate { id } } ... on Error { code message } } }"""
CREATE_PRODUCT = """mutation($input: CreateProductInput!) { createProduct(input: $input) {
  ... on CreateProductSuccess { product { id } } ... on Error { code message } } }"""
SET_JV = """mutation($p: ID!, $partners: [JvPartnerShareInput!]!) { setProductJvPartners(productId: $p,
  partners: $partners) { __typename ... on Error { code message } } }"""
MILESTONES = [{"percent": "40", "delayDays": 0}, {"percent": "60", "delayDays": 60}]


def sender(http: httpx.AsyncClient, product: str, affiliates: list[str]) -> Callable[[str, int], Awaitable[None]]:
    """recordSale of `product` for the n-th affiliate, as benchmarks.run.record_sales sends it."""

    async def send(external_id: str, n: int) -> None:
        data = await gql(
            http,
            RECORD,
            input={"externalId": external_id, "productId": product, "affiliateId": affiliates[n % len(affiliates)]},
        )
        assert data["recordSale"]["__typename"] == "RecordSaleSuccess", data

    return send


async def affiliate(http: httpx.AsyncClient, name: str, recruiter: str | None = None) -> str:
    data = await gql(
        http,
        CREATE_AFFILIATE,
        input={
            "name": name,
            "email": f"{name.lower().replace(' ', '.')}@example.com",
            "approvalStatus": "APPROVED",
            "recruitedBy": recruiter,
        },
    )
    return str(data["createAffiliate"]["affiliate"]["id"])


async def program(http: httpx.AsyncClient, affiliates: int) -> tuple[dict[str, str], list[str]]:
    """The two products ("one", "four") and the affiliates who sell them, each recruited."""
    recruiters = [await affiliate(http, f"Recruiter {n}") for n in range(RECRUITERS)]
    jane, kim = await affiliate(http, "Jane Partner"), await affiliate(http, "Kim Partner")
    sellers = [await affiliate(http, f"Seller {n}", recruiters[n % RECRUITERS]) for n in range(affiliates)]
    products = {}
    for key, extra in (("one", {}), ("four", {"secondTierCommissionPercent": "5"})):
        data = await gql(
            http,
            CREATE_PRODUCT,
            input={
                "name": key.title(),
                "price": {"amount": "100.10", "currency": "USD"},
                "commissionPercent": "10",
                "milestones": MILESTONES,
                **extra,
            },
        )
        products[key] = str(data["createProduct"]["product"]["id"])
    partners = [{"payeeId": jane, "percent": "20"}, {"payeeId": kim, "percent": "7.5"}]
    await gql(http, SET_JV, p=products["four"], partners=partners)
    return products, sellers


async def bulk(url: str, product: str, payees: int, sellers: list[str], sales: int, tmp: Path) -> dict[str, float]:
    """`payouts import`'s code on a CSV of `sales` lines of `product`, in this process: sales/s, and this
    process's CPU per sale (on SQLite every statement runs in this process too).

    Checks that each sale booked its `payees` commissions (the figure would mean nothing otherwise).
    """
    run = uuid.uuid4().hex[:6]
    path = tmp / f"{run}.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("externalId,productId,affiliateId\n")
        for k in range(sales):
            out.write(f"bulk-{run}-{k},{product},{sellers[k % len(sellers)]}\n")
    await Tortoise.init(config=tortoise_config(url))
    try:
        started, cpu = time.perf_counter(), time.process_time()
        created, _ = await import_sales(system_clock, path, io.StringIO())
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        booked = await Commission.filter(sale__external_id__startswith=f"bulk-{run}-").count()
    finally:
        await Tortoise.close_connections()
    assert (created, booked) == (sales, sales * payees), (created, booked)
    return {"per_s": sales / elapsed, "cpu_ms_per_sale": cpu * 1000 / sales}


async def record(
    http: httpx.AsyncClient, pid: int, product: str, sellers: list[str], clients: int, seconds: float
) -> dict[str, float]:
    """recordSale of `product` from `clients` clients: sales/s, and the server's CPU per sale."""
    cpu = cpu_seconds(pid)
    figures = await record_sales(sender(http, product, sellers), clients, seconds)
    return {
        "per_s": figures["sales_per_s"],
        "cpu_ms_per_sale": (cpu_seconds(pid) - cpu) * 1000 / max(figures["sales"], 1),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"database": "postgres" if args.postgres else "sqlite", "workers": args.workers}
    runs: dict[str, dict[str, list[dict[str, float]]]] = {
        "record_sale": {"one": [], "four": []},
        "bulk": {"one": [], "four": []},
    }
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.postgres, Path(tmp))
        await db.create()
        try:
            async with server(db, args.workers) as (http, pid):
                say(f"{args.affiliates} affiliates, each with a recruiter; two products ...")
                products, sellers = await program(http, args.affiliates)
                for n in range(args.rounds):
                    for key in ("one", "four"):
                        say(f"round {n + 1}: recordSale, {key} payee(s), {args.clients} clients ...")
                        figures = await record(http, pid, products[key], sellers, args.clients, args.seconds)
                        runs["record_sale"][key].append(figures)
            for n in range(args.rounds):  # the server is stopped: SQLite admits one writing process
                for key in ("one", "four"):
                    say(f"round {n + 1}: bulk path, {args.sales:,} sales, {key} payee(s) ...")
                    figures = await bulk(db.url, products[key], PAYEES[key], sellers, args.sales, Path(tmp))
                    runs["bulk"][key].append(figures)
        finally:
            await db.drop()
    for name, by_kind in runs.items():
        one, four = (
            {f: statistics.mean(r[f] for r in by_kind[k]) for f in ("per_s", "cpu_ms_per_sale")}
            for k in ("one", "four")
        )
        report[name] = {
            "one": one,
            "four": four,
            "cost_ratio": one["per_s"] / four["per_s"],
            "cpu_ratio": four["cpu_ms_per_sale"] / one["cpu_ms_per_sale"],
            "runs": by_kind,
        }
    return report


def table(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(path, goal, measured, ratio) rows: what a four-payee sale costs in one-payee sales, by throughput
    and by CPU per sale (the steadier of the two on shared cores)."""
    rows = []
    for name, label, cpu_of in (
        ("record_sale", "recordSale HTTP", "server"),
        ("bulk", "bulk path (payouts import)", "process"),
    ):
        r = report[name]
        one, four = r["one"], r["four"]
        rows.append(
            (
                f"{label}, 4 payees vs 1",
                f"<= {GOAL}x",
                f"{four['per_s']:,.0f}/s vs {one['per_s']:,.0f}/s; {cpu_of} CPU {four['cpu_ms_per_sale']:.2f}"
                f" vs {one['cpu_ms_per_sale']:.2f} ms/sale",
                f"{r['cost_ratio']:.2f}x (CPU {r['cpu_ratio']:.2f}x)",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--affiliates", type=int, default=200, help="sellers, each with one of 10 recruiters")
    parser.add_argument("--sales", type=int, default=20_000, help="sales per bulk-path run")
    parser.add_argument("--postgres", help="admin URL; a fresh database is created and dropped (default: SQLite)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each recordSale run lasts")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each kind (their mean is kept)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    for path, goal, measured, ratio in table(report):
        print(f"{path:<42} {goal:<8} {measured:<70} {ratio}")
    print(json.dumps(report, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
