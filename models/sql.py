"""The few raw statements the ORM cannot make fast enough, written once for both dialects."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model


def numbered(conn: BaseDBAsyncClient, query: str) -> str:
    """Our raw statements are written with `?`; asyncpg numbers its parameters ($1, $2, ...)."""
    if conn.capabilities.dialect != "postgres":
        return query
    parts = query.split("?")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1]


async def update_rows(model: type[Model], rows: Sequence[Model], columns: Sequence[str]) -> None:
    """Write these columns of these rows as one batched, parameterised UPDATE (executemany).

    Tortoise's bulk_update renders a CASE expression per column through pypika, which made it
    the slowest step of refreshing tens of thousands of balances; this is the same write.
    Runs on the current transaction's connection.
    """
    if not rows:
        return
    conn = model._choose_db(True)
    fields = model._meta.fields_map
    assignments = ", ".join(f"{fields[c].source_field or c} = ?" for c in columns)
    query = numbered(conn, f"UPDATE {model._meta.db_table} SET {assignments} WHERE id = ?")
    await conn.execute_many(query, [[fields[c].to_db_value(getattr(r, c), r) for c in columns] + [r.pk] for r in rows])
