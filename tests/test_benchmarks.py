"""A tiny run of the benchmark (benchmarks/run.py) so its code does not rot; its figures are not asserted."""

from __future__ import annotations

import argparse

import pytest

from benchmarks import payees
from benchmarks.run import run, table
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
    assert report["bulk"]["one_per_s"] > 0 and report["record_sale"]["four_per_s"] > 0
