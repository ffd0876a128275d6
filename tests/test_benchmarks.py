"""A tiny run of the benchmark (benchmarks/run.py) so its code does not rot; its figures are not asserted."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.migrations.api import migrate
from tortoise.transactions import in_transaction

from benchmarks import migration_0009, payee_rows, payees
from benchmarks.run import Database, run, seed, table
from models.db import tortoise_config
from models.sql import insert_rows
from models.tables.affiliates import Affiliate
from models.tables.payouts import Payout
from models.tables.products import Product
from models.tables.sales import Installment, OwedAmount, Sale
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.database  # its own database (SQLite, or PostgreSQL on that pass): not `fast`


async def test_the_benchmark_runs_end_to_end_at_a_tiny_scale() -> None:
    args = argparse.Namespace(
        affiliates=[20, 40],
        sales_per_affiliate=2,
        postgres=POSTGRES_URL,
        workers=1,
        clients=2,
        seconds=0.3,
        repeat=1,
        subscribers=0,
        only_booking=False,
        only=["page", "statements", "record", "payrun"],
        reuse=None,
    )
    report = await run(args)
    rows = table(report)
    assert [r[0].split(",")[0] for r in rows][:4] == [
        "DUE page",
        "same page 20 -> 40",
        "the same page",
        "recordSale HTTP",
    ]
    assert report["record_sale"]["floor"]["sales_per_s"] > 0
    assert report["pay_run"]["rows"] == report["pay_run"]["baseline_rows"] > 0
    assert report["statements_per_page"][10] == report["statements_per_page"][500]
    assert report["tax_statements_per_page"][10] == report["tax_statements_per_page"][500]


@pytest.mark.skipif(not POSTGRES_URL, reason="--reuse measures PostgreSQL databases seeded beforehand")
async def test_the_horizon_measures_two_seeded_databases_and_keeps_them(tmp_path: Path) -> None:
    """--reuse (the horizon's second step): every served row on two databases seeded by `payouts seed`,
    which are still there afterwards."""
    assert POSTGRES_URL
    small, large = Database(POSTGRES_URL, tmp_path), Database(POSTGRES_URL, tmp_path)
    try:
        for db, affiliates in ((small, 20), (large, 40)):
            await db.create()
            await seed(db, affiliates, affiliates * 2)
        args = argparse.Namespace(
            affiliates=[20, 40],
            sales_per_affiliate=2,
            postgres=POSTGRES_URL,
            workers=1,
            clients=2,
            seconds=0.3,
            repeat=1,
            only=["page", "record", "payrun"],
            reuse=[small.name, large.name],
        )
        report = await run(args)
        assert [r[0].split(",")[0] for r in table(report)][:4] == [
            "DUE page",
            "same page 20 -> 40",
            "the same page",
            "recordSale HTTP",
        ]
        assert report["pay_run"]["rows"] == report["pay_run"]["baseline_rows"] > 0
        assert (await large.fetch("SELECT count(*) FROM affiliates"))[0][0] == 40
    finally:
        await small.drop()
        await large.drop()


async def test_the_payees_benchmark_runs_at_a_tiny_scale() -> None:
    """benchmarks/payees.py (rule 16: four payees against one); its figures are not asserted."""
    args = argparse.Namespace(
        affiliates=3, sales=20, postgres=POSTGRES_URL, workers=1, clients=2, seconds=0.3, rounds=1
    )
    report = await payees.run(args)
    assert [r[0] for r in payees.table(report)] == [
        "recordSale HTTP, 4 payees vs 1",
        "bulk path (payouts import), 4 payees vs 1",
    ]
    assert report["bulk"]["one"]["per_s"] > 0 and report["record_sale"]["four"]["cpu_ms_per_sale"] > 0


def test_the_payee_rows_floor_runs_at_a_tiny_scale() -> None:
    """benchmarks/payee_rows.py (the bare rows of one and four payees); its figures are not asserted."""
    assert set(payee_rows.measure(sales=20, rounds=1)) == {1, 4}


async def test_the_migration_0009_check_runs_on_a_database_from_before_it(tmp_path: Path) -> None:
    """benchmarks/migration_0009.py on a tiny database at migration 0008 (rows written as its code wrote
    them): every payee earns the same after as before, and each check of the script holds."""
    url = f"sqlite://{tmp_path / 'before.sqlite3'}"
    config = tortoise_config(url)
    await migrate(config=config, target="payouts.0008_stripe_references")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    try:
        now = datetime.now(UTC)
        async with in_transaction() as conn:
            (product,) = await insert_rows(
                conn,
                Product,
                ("name", "currency", "price", "commission_percent"),
                [("Course", "USD", 10010, "10")],
                now,
                ("id",),
            )
            ann, bob = await insert_rows(
                conn,
                Affiliate,
                ("name", "email", "search_text"),
                [("Ann", "a@x.io", "ann"), ("Bob", "b@x.io", "bob")],
                now,
                ("id",),
            )
            columns = (
                "external_id",
                "product_id",
                "affiliate_id",
                "currency",
                "amount",
                "original_commission",
                "commission",
                "refunded",
                "occurred_at",
            )
            a, b = await insert_rows(
                conn,
                Sale,
                columns,
                [
                    ("a", product["id"], ann["id"], "USD", 10010, 1001, 1001, 0, now),
                    ("b", product["id"], bob["id"], "USD", 10000, 1000, 500, 5000, now),
                ],
                now,
                ("id",),
            )
            (paid,) = await insert_rows(
                conn,
                Payout,
                ("affiliate_id", "currency", "amount", "paid_at"),
                [(bob["id"], "USD", 1000, now)],
                now,
                ("id",),
            )
            installment_columns = (
                "sale_id",
                "affiliate_id",
                "currency",
                "position",
                "amount",
                "original_amount",
                "release_at",
                "payout_id",
            )
            rows = [
                (a["id"], ann["id"], "USD", 0, 400, 400, now, None),
                (a["id"], ann["id"], "USD", 1, 601, 601, now, None),
                (b["id"], bob["id"], "USD", 0, 1000, 1000, now, paid["id"]),
            ]
            *_, settled = await insert_rows(conn, Installment, installment_columns, rows, now, ("id",))
            # Bob's sale half refunded after its payout: 5.00 owed, taken from the paid installment (rule 5)
            await insert_rows(
                conn,
                OwedAmount,
                ("affiliate_id", "sale_id", "currency", "amount", "installment_id", "created_at"),
                [(bob["id"], b["id"], "USD", 500, settled["id"], now)],
                now,
            )
    finally:
        await Tortoise.close_connections()
    figures = await migration_0009.run(url)
    assert (figures["sales"], figures["installments"], figures["payees"], figures["earned_minor_units"]) == (
        2,
        3,
        2,
        1501,
    )
    assert "0014_page_indexes" in figures["migrations_applied_s"]
