"""Rule 16's floor on the bulk path: what the rows of a four-payee sale cost against a one-payee sale's,
written bare.

Issue 23 asks a four-payee sale (affiliate, recruiter, two JV partners) to cost at most 1.5x a
one-payee sale. On the bulk path a sale costs little more than its rows: the sale, one commission per
payee and each commission's installments (two each with 40/60 milestones), so 13 rows against 4.
This writes exactly those rows with bare `sqlite3` into a freshly seeded program (`payouts seed`, so
every index and foreign key of the real schema is there), one multi-row INSERT per table and 500
rows a statement as the project does, in a transaction rolled back after each run; runs alternate
one and four payees, and the CPU per sale of each is kept:

    .venv/bin/python -m benchmarks.payee_rows --sales 5000 --rounds 3

Nothing here prices, checks or moves a balance: it is the cost of the writes alone, which no
booking of the same rows can avoid.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SALE = (
    "external_id, product_id, affiliate_id, currency, amount, original_commission, commission, occurred_at, "
    "created_at, renewal, status, refunded, disputes, processor_refunded"
)
COMMISSION = "sale_id, affiliate_id, role, position, currency, percent, original_amount, amount"
INSTALLMENT = "sale_id, affiliate_id, currency, position, amount, original_amount, release_at, commission_id, voided"
PAYEES = (("AFFILIATE", None, 1001), ("SECOND_TIER", "5", 501), ("JV_PARTNER", "20", 2002), ("JV_PARTNER", "7.5", 751))


def insert(db: sqlite3.Connection, table: str, columns: str, rows: list[tuple[Any, ...]], back: str = "") -> list[Any]:
    """Multi-row INSERTs of 500 rows, as `models.sql.insert_rows` writes them on SQLite."""
    marks = "(" + ", ".join("?" * len(rows[0])) + ")"
    found: list[Any] = []
    for start in range(0, len(rows), 500):
        part = rows[start : start + 500]
        query = f"INSERT INTO {table} ({columns}) VALUES {', '.join([marks] * len(part))}{back}"
        found.extend(db.execute(query, [v for row in part for v in row]).fetchall())
    return found


def book(db: sqlite3.Connection, run: str, sales: int, payees: int, affiliates: list[int], product: int) -> None:
    now = datetime.now(UTC)
    stamp = now.isoformat(" ")
    sale_rows = [
        (f"{run}-{k}", product, affiliates[k % len(affiliates)], "USD", 10010, 1001, 1001, stamp, stamp, 0,
         "COMPLETED", 0, "{}", 0)
        for k in range(sales)
    ]  # fmt: skip
    ids = dict(insert(db, "sales", SALE, sale_rows, " RETURNING external_id, id"))
    commission_rows = [
        (ids[row[0]], affiliates[(k + n) % len(affiliates)], role, n, "USD", percent, amount, amount)
        for k, row in enumerate(sale_rows)
        for n, (role, percent, amount) in enumerate(PAYEES[:payees])
    ]
    commissions = insert(db, "commissions", COMMISSION, commission_rows, " RETURNING id, sale_id, affiliate_id")
    later = (now + timedelta(days=60)).isoformat(" ")
    installments = [
        (sale, payee, "USD", n, part, part, release, commission, 0)
        for commission, sale, payee in commissions
        for n, (part, release) in enumerate(((400, stamp), (601, later)))
    ]
    insert(db, "installments", INSTALLMENT, installments)


def measure(sales: int, rounds: int) -> dict[int, float]:
    """CPU milliseconds per sale of the bare rows, by number of payees (the mean of `rounds` runs each)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "floor.sqlite3"
        env = {**os.environ, "PAYOUTS_DATABASE_URL": f"sqlite:///{path}", "PAYOUTS_SECRET_KEY": "x" * 43 + "="}
        seeded = [sys.executable, "-m", "server", "seed", "--affiliates", "100", "--sales", "0"]
        subprocess.run(seeded, cwd=ROOT, env=env, check=True, capture_output=True)
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA foreign_keys = ON")
        affiliates = [r[0] for r in db.execute("SELECT id FROM affiliates ORDER BY id")]
        product = db.execute("SELECT MIN(id) FROM products").fetchone()[0]
        cpu: dict[int, list[float]] = {1: [], 4: []}
        for n in range(rounds):
            for payees in cpu:
                db.execute("BEGIN")
                started = time.process_time()
                book(db, f"r{n}p{payees}", sales, payees, affiliates, product)
                cpu[payees].append((time.process_time() - started) * 1000 / sales)
                db.execute("ROLLBACK")
        db.close()
    return {payees: statistics.mean(runs) for payees, runs in cpu.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=5000, help="sales per run (one transaction)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    per_sale = measure(args.sales, args.rounds)
    one, four = per_sale[1], per_sale[4]
    print(f"bare rows, SQLite: 4 payees {four:.3f} ms/sale vs 1 payee {one:.3f} ms/sale: {four / one:.2f}x")


if __name__ == "__main__":
    main()
