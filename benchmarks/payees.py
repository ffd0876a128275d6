"""Rule 16's booking cost: a sale with four payees (affiliate, recruiter, two JV partners) against one payee.

Issue 18's goal: booking a sale with an affiliate, its recruiter and two JV partners costs at most
1.5x a sale with one payee, through `recordSale` (a real `payouts serve`, concurrent clients, group
commit) and through the bulk path (`payouts import`'s code, in process, 5,000 lines a transaction).
The same affiliates, each with a recruiter, sell two products that differ only in rule 16: "One"
has no second-tier percent and no JV partners, "Four" has both. Runs alternate (One, Four, One,
Four...) so both see the same load on the shared machine; the best run of each is kept.

    .venv/bin/python -m benchmarks.payees --affiliates 200 --sales 20000 --seconds 10
    .venv/bin/python -m benchmarks.payees --postgres postgres://postgres@127.0.0.1:5432/test --workers 4
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from tortoise import Tortoise

from benchmarks.run import RECORD, Database, gql, record_sales, say, server
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


async def bulk(url: str, product: str, payees: int, sellers: list[str], sales: int, tmp: Path) -> float:
    """`payouts import`'s code on a CSV of `sales` lines of `product`, in this process: sales/s.

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
        started = time.perf_counter()
        created, _ = await import_sales(system_clock, path, io.StringIO())
        elapsed = time.perf_counter() - started
        booked = await Commission.filter(sale__external_id__startswith=f"bulk-{run}-").count()
    finally:
        await Tortoise.close_connections()
    assert (created, booked) == (sales, sales * payees), (created, booked)
    return sales / elapsed


async def run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"database": "postgres" if args.postgres else "sqlite", "workers": args.workers}
    record: dict[str, list[float]] = {"one": [], "four": []}
    bulk_rates: dict[str, list[float]] = {"one": [], "four": []}
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.postgres, Path(tmp))
        await db.create()
        try:
            async with server(db, args.workers) as (http, _):
                say(f"{args.affiliates} affiliates, each with a recruiter; two products ...")
                products, sellers = await program(http, args.affiliates)
                for n in range(args.rounds):
                    for key in ("one", "four"):
                        say(f"round {n + 1}: recordSale, {key} payee(s), {args.clients} clients ...")
                        figures = await record_sales(sender(http, products[key], sellers), args.clients, args.seconds)
                        record[key].append(figures["sales_per_s"])
            for n in range(args.rounds):  # the server is stopped: SQLite admits one writing process
                for key in ("one", "four"):
                    say(f"round {n + 1}: bulk path, {args.sales:,} sales, {key} payee(s) ...")
                    bulk_rates[key].append(
                        await bulk(db.url, products[key], PAYEES[key], sellers, args.sales, Path(tmp))
                    )
        finally:
            await db.drop()
    for name, rates in (("record_sale", record), ("bulk", bulk_rates)):
        one, four = max(rates["one"]), max(rates["four"])
        report[name] = {"one_per_s": one, "four_per_s": four, "cost_ratio": one / four, "runs": rates}
    return report


def table(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(path, goal, measured, ratio) rows: what a four-payee sale costs in one-payee sales."""
    rows = []
    for name, label in (("record_sale", "recordSale HTTP"), ("bulk", "bulk path (payouts import)")):
        r = report[name]
        rows.append(
            (
                f"{label}, 4 payees vs 1",
                f"<= {GOAL}x",
                f"{r['four_per_s']:,.0f}/s vs {r['one_per_s']:,.0f}/s",
                f"{r['cost_ratio']:.2f}x",
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
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each kind (the best is kept)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    for path, goal, measured, ratio in table(report):
        print(f"{path:<40} {goal:<10} {measured:<28} {ratio}")
    print(json.dumps(report, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
