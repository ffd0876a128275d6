"""Migration 0009 (rule 16) on a database seeded before it: timed, and checked cent for cent per payee.

Seed a database with the code before 0009 (`payouts seed --affiliates 100000 --sales 100000` from a
checkout of main before the commissions merge), copy it, then run this on the copy:

    .venv/bin/python -m benchmarks.migration_0009 sqlite:///path/to/copy.sqlite3
    .venv/bin/python -m benchmarks.migration_0009 postgres://postgres@127.0.0.1:5432/copy

It reads every payee's ledger (rule 1: earned = reserve + due + paid - owed, per currency, from the
raw rows) and its stored balance, migrates (0009 and what follows it, each timed as the executor
applies it, apart from the framework's start-up), and checks
that each payee earns the same from its commissions as it did from its sales, that the identity still
holds, that the stored balances did not move, and that every installment and owed amount names its
commission.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate
from tortoise.migrations.operations import RunSQL

from models.db import tortoise_config
from models.sql import AFFILIATE_COMMISSIONS

# Per (affiliate, currency): what it earned, from `source` (sales before 0009, commissions after).
EARNED = "SELECT affiliate_id, currency, SUM({column}) AS total FROM {table} GROUP BY affiliate_id, currency"
UNPAID = (
    "SELECT affiliate_id, currency, SUM(amount) AS total FROM installments"
    " WHERE payout_id IS NULL AND voided = {false} GROUP BY affiliate_id, currency"
)
PAID = (
    "SELECT affiliate_id, currency, SUM(amount) AS total FROM payouts"
    " WHERE status = 'PAID' GROUP BY affiliate_id, currency"
)
OWED = (
    "SELECT affiliate_id, currency, SUM(amount) AS total FROM owed_amounts"
    " WHERE recovered_by_id IS NULL GROUP BY affiliate_id, currency"
)
STORED = "SELECT affiliate_id, currency, earned, reserve, due_installments, paid, owed FROM balances"

Ledger = dict[tuple[int, str], int]


async def sums(query: str) -> Ledger:
    rows = await connections.get("default").execute_query_dict(query)
    return {(int(r["affiliate_id"]), r["currency"]): int(r["total"] or 0) for r in rows}


async def ledger(earned_from: str) -> tuple[Ledger, dict[tuple[int, str], tuple[int, ...]]]:
    """Each payee's earned (from sales or commissions), checked against rule 1, and its stored balance."""
    conn = connections.get("default")
    false = "FALSE" if conn.capabilities.dialect == "postgres" else "0"
    table, column = ("sales", "commission") if earned_from == "sales" else ("commissions", "amount")
    earned = await sums(EARNED.format(table=table, column=column))
    unpaid, paid, owed = await sums(UNPAID.format(false=false)), await sums(PAID), await sums(OWED)
    for key in earned.keys() | unpaid.keys() | paid.keys() | owed.keys():
        assert earned.get(key, 0) == unpaid.get(key, 0) + paid.get(key, 0) - owed.get(key, 0), (key, earned_from)
    stored = {
        (int(r["affiliate_id"]), r["currency"]): tuple(int(r[c]) for c in list(r)[2:])
        for r in await conn.execute_query_dict(STORED)
    }
    return earned, stored


async def count(query: str) -> int:
    rows = await connections.get("default").execute_query(query)
    return int(rows[1][0][0])


async def run(url: str) -> dict[str, Any]:
    config = tortoise_config(url)
    await Tortoise.init(config=config)
    before, stored_before = await ledger("sales")
    sales = await count("SELECT COUNT(*) FROM sales")
    installments = await count("SELECT COUNT(*) FROM installments")
    await Tortoise.close_connections()

    applying: dict[str, float] = {}

    def progress(event: str, app: str, name: str) -> None:
        """The executor's own start and end of each migration: its time without the framework's start-up."""
        if event == "apply_start":
            applying[name] = time.perf_counter()
        elif event == "apply_done":
            applying[name] = time.perf_counter() - applying[name]

    data_step = 0.0
    forward = RunSQL.database_forward

    async def timed(self: RunSQL, *args: Any, **kwargs: Any) -> None:
        """0009's data step (models.sql.AFFILIATE_COMMISSIONS) timed apart from its schema changes."""
        nonlocal data_step
        started = time.perf_counter()
        await forward(self, *args, **kwargs)
        if self.sql in AFFILIATE_COMMISSIONS:
            data_step += time.perf_counter() - started

    RunSQL.database_forward = timed  # type: ignore[method-assign]
    started = time.perf_counter()
    try:
        await migrate(config=config, progress=progress)
    finally:
        RunSQL.database_forward = forward  # type: ignore[method-assign]
    await Tortoise.close_connections()
    command = time.perf_counter() - started

    await Tortoise.init(config=config)
    try:
        after, stored_after = await ledger("commissions")
        unnamed = await count("SELECT COUNT(*) FROM installments WHERE commission_id IS NULL")
        unnamed += await count("SELECT COUNT(*) FROM owed_amounts WHERE commission_id IS NULL")
        commissions = await count("SELECT COUNT(*) FROM commissions")
    finally:
        await Tortoise.close_connections()
    assert after == before, "a payee earns another amount from its commissions than from its sales"
    assert stored_after == stored_before, "a stored balance moved"
    assert (unnamed, commissions) == (0, sales), (unnamed, commissions, sales)
    return {
        "sales": sales,
        "installments": installments,
        "payees": len({a for a, _ in before}),
        "earned_minor_units": sum(before.values()),
        "migration_0009_s": round(applying["0009_commissions"], 2),
        "data_step_s": round(data_step, 2),
        "migrations_applied_s": {name: round(t, 2) for name, t in applying.items()},
        "migrate_command_s": round(command, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="a COPY of a database seeded before migration 0009 (it is migrated)")
    print(asyncio.run(run(parser.parse_args().url)))


if __name__ == "__main__":
    main()
