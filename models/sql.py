"""The few raw statements the ORM cannot make fast enough, written once for both dialects.

This is the only module that writes SQL; table and column names come from the models. Each runs
on the current transaction's connection, in batches small enough for both parameter limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

T = TypeVar("T")

CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


def batches(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """`items` in lists of at most `size`, in their order (pass sorted ids where locks are taken)."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _column(model: type[Model], name: str) -> str:
    field = model._meta.fields_map[name]
    return field.source_field or name


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


async def insert_returning(
    model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], returning: Sequence[str]
) -> list[dict[str, Any]]:
    """INSERT these rows (values in `columns` order, as the database stores them) in multi-row
    statements, returning the `returning` columns of each, in order."""
    conn = model._choose_db(True)
    names = ", ".join(_column(model, c) for c in columns)
    back = ", ".join(_column(model, c) for c in returning)
    out: list[dict[str, Any]] = []
    for batch in batches(rows, max(1, 2000 // max(1, len(columns)))):
        values = ", ".join(["(" + ", ".join(["?"] * len(columns)) + ")"] * len(batch))
        query = f"INSERT INTO {model._meta.db_table} ({names}) VALUES {values} RETURNING {back}"
        out += await conn.execute_query_dict(numbered(conn, query), [v for row in batch for v in row])
    return out


async def set_where_unset(model: type[Model], column: str, pairs: Sequence[tuple[int, int]]) -> int:
    """Set `column` to the paired value on each row (by id) where it is still NULL, in CASE-batched
    UPDATEs; returns how many rows changed, so a caller can tell that a concurrent run took some."""
    conn = model._choose_db(True)
    name = _column(model, column)
    changed = 0
    for batch in batches(pairs, 400):
        cases = " ".join(["WHEN ? THEN CAST(? AS INTEGER)"] * len(batch))
        marks = ", ".join(["?"] * len(batch))
        query = (
            f"UPDATE {model._meta.db_table} SET {name} = CASE id {cases} END WHERE id IN ({marks}) AND {name} IS NULL"
        )
        count, _ = await conn.execute_query(
            numbered(conn, query), [v for pair in batch for v in pair] + [row_id for row_id, _ in batch]
        )
        changed += count
    return changed
