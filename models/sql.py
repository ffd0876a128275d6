"""The few raw statements the ORM cannot make fast enough, written once for both dialects.

This is the only module that writes SQL; table and column names come from the models. Each runs
on the current transaction's connection, in batches small enough for both parameter limits.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.models import Model

from models.enums import (
    ApprovalStatus,
    Form1099Expectation,
    PaymentMethodType,
    PaymentStatus,
    PayoutMode,
    PayoutStatus,
    TaxFormKind,
)
from models.rules.status import BalanceFigures
from models.tables.affiliates import Affiliate, Balance, PaymentMethod
from models.tables.exports import ExportFile
from models.tables.payouts import Payout
from models.tables.program import SETTINGS_ID, ProgramSettings
from models.tables.sales import OwedAmount
from models.tables.tax import TaxProfile

T = TypeVar("T")
M = TypeVar("M", bound=Model)

CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
UNNEST_ROWS = 10_000  # rows per PostgreSQL INSERT ... SELECT FROM unnest(...) (no parameter limit applies)


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


async def lock_rows(model: type[Model], ids: Collection[int]) -> None:
    """SELECT ... FOR UPDATE these rows on PostgreSQL, in ascending id order chunk after chunk (ORDER BY
    id: without it PostgreSQL locks in the scan's physical order); SQLite is single-writer: nothing sent.

    Raw: no ORM objects for rows that are only locked, and Tortoise 1.1.9 drops FOR UPDATE from
    values queries.
    """
    conn = model._choose_db(True)
    if conn.capabilities.dialect != "postgres":
        return
    for chunk in batches(sorted(set(ids))):
        marks = ", ".join(["?"] * len(chunk))
        query = f"SELECT id FROM {model._meta.db_table} WHERE id IN ({marks}) ORDER BY id FOR UPDATE"
        await conn.execute_query(numbered(conn, query), chunk)


async def present(model: type[Model], column: str, values: Collection[Any]) -> list[Any]:
    """Which of these values `column` holds (a unique column): for the bulk path's existence checks.

    On PostgreSQL one array parameter (`= ANY($1)`), probed through the column's index: an IN list
    of 500 parameters on a table grown since its last ANALYZE was planned as a sequential scan
    comparing every row with every value (quadratic in a seed). SQLite probes the index per value.
    """
    conn = model._choose_db(True)
    name = _column(model, column)
    table = model._meta.db_table
    found: list[Any] = []
    if conn.capabilities.dialect == "postgres":
        for chunk in batches(sorted(set(values)), 5000):
            rows = await conn.execute_query_dict(f"SELECT {name} FROM {table} WHERE {name} = ANY($1)", [chunk])
            found.extend(r[name] for r in rows)
        return found
    for chunk in batches(sorted(set(values))):
        marks = ", ".join(["?"] * len(chunk))
        found.extend(
            r[name]
            for r in await conn.execute_query_dict(f"SELECT {name} FROM {table} WHERE {name} IN ({marks})", chunk)
        )
    return found


async def _select_in(model: type[Model], select: str, column: str, values: Collection[Any]) -> list[dict[str, Any]]:
    conn = model._choose_db(True)
    head = f"SELECT {select} FROM {model._meta.db_table} WHERE {_column(model, column)} IN "
    found: list[dict[str, Any]] = []
    for chunk in batches(sorted(set(values))):
        marks = ", ".join(["?"] * len(chunk))
        found.extend(await conn.execute_query_dict(numbered(conn, f"{head}({marks})"), chunk))
    return found


async def values_in(
    model: type[Model], column: str, values: Collection[Any], fields: Sequence[str]
) -> list[dict[str, Any]]:
    """`model.filter(<column>__in=values).values(*fields)`: the same Python values, without pypika.

    Tortoise builds such a query through pypika on every call: a batch of recordSale reads about
    ten, and building them cost more CPU than SQLite answering them. Chunked like every IN list.
    """
    meta = model._meta
    native = {name for _, name, _ in meta.db_native_fields}
    convert = [(f, meta.fields_map[f].to_python_value) for f in fields if f not in native]
    rows = await _select_in(model, ", ".join(f"{_column(model, f)} AS {f}" for f in fields), column, values)
    for row in rows:
        for name, to_python in convert:
            row[name] = to_python(row[name])
    return rows


async def models_in(model: type[M], column: str, values: Collection[Any]) -> list[M]:
    """`model.filter(<column>__in=values)` as ORM objects, without pypika (see `values_in`)."""
    return [model._init_from_db(**row) for row in await _select_in(model, "*", column, values)]


async def update_rows(model: type[Model], rows: Sequence[Model], columns: Sequence[str]) -> None:
    """Write these columns of these rows as one batched, parameterised UPDATE (executemany).

    Tortoise's bulk_update renders a CASE expression per column through pypika, which made it
    the slowest step of refreshing tens of thousands of balances; this is the same write.
    Runs on the current transaction's connection.
    """
    fields = model._meta.fields_map
    await update_values(
        model, columns, [[fields[c].to_db_value(getattr(r, c), r) for c in columns] + [r.pk] for r in rows]
    )


async def update_values(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """`UPDATE ... SET columns WHERE id = ?` for rows of database values, the id last: no ORM objects."""
    if not rows:
        return
    conn = model._choose_db(True)
    fields = model._meta.fields_map
    assignments = ", ".join(f"{fields[c].source_field or c} = ?" for c in columns)
    query = numbered(conn, f"UPDATE {model._meta.db_table} SET {assignments} WHERE id = ?")
    await conn.execute_many(query, [list(row) for row in rows])


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


def _listed(conn: BaseDBAsyncClient, column: str) -> tuple[str, str]:
    """A FROM item with one row per id of a JSON id list column, and the expression of that id."""
    if conn.capabilities.dialect == "postgres":
        return f"jsonb_array_elements_text({column}) AS j(value)", "CAST(j.value AS BIGINT)"
    return f"json_each({column}) AS j", "j.value"


async def summarise_listed(
    lists: type[Model],
    list_column: str,
    where_in: tuple[str, Sequence[int]],
    model: type[Model],
    counted: Sequence[str] = (),
    flagged: Sequence[str] = (),
    summed: Sequence[str] = (),
) -> dict[int, tuple[int, ...]]:
    """For each `lists` row whose `where_in` column is in the ids: how many rows of `model` its JSON
    id list names, then over them the non-null count of each `counted` column, the true count of
    each `flagged` (boolean) one and the sum of each `summed` one. One statement per batch of list
    rows: the ids never leave SQL."""
    conn = model._choose_db(True)
    source, item = _listed(conn, f"l.{_column(lists, list_column)}")
    aggregates = "".join(
        [
            *(f", COUNT(t.{_column(model, c)})" for c in counted),
            *(f", SUM(CASE WHEN t.{_column(model, c)} THEN 1 ELSE 0 END)" for c in flagged),
            *(f", COALESCE(SUM(t.{_column(model, c)}), 0)" for c in summed),
        ]
    )
    column, ids = where_in
    found: dict[int, tuple[int, ...]] = {}
    for batch in batches(ids):
        query = (
            f"SELECT l.id, COUNT(t.id){aggregates} FROM {lists._meta.db_table} l CROSS JOIN {source} "
            f"JOIN {model._meta.db_table} t ON t.id = {item} "
            f"WHERE l.{_column(lists, column)} IN ({', '.join(['?'] * len(batch))}) GROUP BY l.id"
        )
        _, rows = await conn.execute_query(numbered(conn, query), batch)
        found.update((int(r[0]), tuple(int(v) for v in tuple(r)[1:])) for r in rows)
    return found


Condition = tuple[str, Any]  # (operator, value): ("=", False), ("<=", now), ("IS", None)


async def sums_with_ids(
    model: type[Model],
    by: tuple[str, Sequence[int]],
    group: Sequence[str],
    summed: str,
    where: Mapping[str, Condition],
) -> list[tuple[Any, ...]]:
    """Per group of the `model` rows whose `by` column is in the ids and that meet `where`: the
    group's values, the sum of `summed` and the rows' ids as a JSON list (text). One statement per
    batch of ids: the rows are summed and listed in SQL, not sent to Python one by one."""
    conn = model._choose_db(True)
    fields = model._meta.fields_map
    listed = "jsonb_agg(id ORDER BY id)" if conn.capabilities.dialect == "postgres" else "json_group_array(id)"
    keys = ", ".join(_column(model, c) for c in group)
    tests = [
        f"{_column(model, c)} IS NULL" if value is None else f"{_column(model, c)} {op} ?"
        for c, (op, value) in where.items()
    ]
    values = [fields[c].to_db_value(value, model) for c, (_, value) in where.items() if value is not None]
    column, ids = by
    found: list[tuple[Any, ...]] = []
    for batch in batches(ids):
        query = (
            f"SELECT {keys}, SUM({_column(model, summed)}), {listed} FROM {model._meta.db_table} "
            f"WHERE {_column(model, column)} IN ({', '.join(['?'] * len(batch))}) AND {' AND '.join(tests)} "
            f"GROUP BY {keys}"
        )
        _, rows = await conn.execute_query(numbered(conn, query), [*batch, *values])
        found.extend(tuple(r) for r in rows)
    return found


async def set_listed_where_unset(
    model: type[Model], column: str, lists: type[Model], list_column: str, pairs: Sequence[tuple[int, int]]
) -> int:
    """For each (list row id, value): set `column` of every `model` row named in that row's JSON id
    list (`lists.list_column`) to the value, where still NULL. Returns how many rows changed, so a
    caller can tell that a concurrent run took some. Ships one pair per list, not one per id."""
    conn = model._choose_db(True)
    table, name = model._meta.db_table, _column(model, column)
    source, item = _listed(conn, f"l.{_column(lists, list_column)}")
    changed = 0
    for batch in batches(pairs):
        values = ", ".join(["(CAST(? AS BIGINT), CAST(? AS BIGINT))"] * len(batch))
        select = (
            f"SELECT {item} AS id, v.column2 AS value FROM (VALUES {values}) AS v "
            f"JOIN {lists._meta.db_table} l ON l.id = v.column1 CROSS JOIN {source}"
        )
        update = f"UPDATE {table} SET {name} = s.value FROM {{}} WHERE {table}.id = s.id AND {table}.{name} IS NULL"
        # SQLite would flatten the ids into a scan of the whole table: it gets them materialised first.
        # (PostgreSQL plans it well as it is, and Tortoise counts its changed rows only for an UPDATE.)
        if conn.capabilities.dialect == "postgres":
            query = update.format(f"({select}) AS s")
        else:
            query = f"WITH s AS MATERIALIZED ({select}) " + update.format("s")
        count, _ = await conn.execute_query(numbered(conn, query), [v for pair in batch for v in pair])
        changed += count
    return changed


async def move_balances(moves: Sequence[tuple[int, str, int, int, int]], now: datetime) -> int:
    """Add (affiliate, currency, paid, owed, due installments) to those balances by SQL arithmetic, one
    statement per batch; returns how many balances moved, so a caller can tell that one was missing."""
    conn = Balance._choose_db(True)
    table = Balance._meta.db_table
    at = Balance._meta.fields_map["refreshed_at"].to_db_value(now, Balance)
    changed = 0
    for batch in batches(moves, 400):
        row = "(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))"
        query = (
            f"UPDATE {table} SET paid = {table}.paid + v.column3, owed = {table}.owed + v.column4, "
            f"due_installments = {table}.due_installments + v.column5, refreshed_at = ? "
            f"FROM (VALUES {', '.join([row] * len(batch))}) AS v "
            f"WHERE {table}.affiliate_id = v.column1 AND {table}.currency = v.column2"
        )
        count, _ = await conn.execute_query(numbered(conn, query), [at, *(v for move in batch for v in move)])
        changed += count
    return changed


@dataclass(frozen=True)
class StatusTerms:
    """What rule 6 reads besides an affiliate's row and balances: the program's minimums, and each
    currency's factor to the due rank's common scale (`models.rules.status.due_rank`)."""

    minimum_sales: int
    minimum_payout: Mapping[str, int]
    rank_factors: Mapping[str, int]  # the currencies whose factor is not `rank_factor`
    rank_factor: int


def _by_currency(terms: Mapping[str, int], default: int) -> tuple[str, list[Any]]:
    """`CASE b.currency WHEN ... END` giving each currency's number, the default for the others."""
    if not terms:
        return "CAST(? AS BIGINT)", [default]
    cases = " ".join(["WHEN ? THEN CAST(? AS BIGINT)"] * len(terms))
    return f"CASE b.currency {cases} ELSE CAST(? AS BIGINT) END", [v for kv in sorted(terms.items()) for v in kv] + [
        default
    ]


async def store_statuses(ids: Sequence[int], now: datetime, terms: StatusTerms) -> set[int]:
    """Rule 6 in SQL for these affiliates (no tax form required): payment status and due rank computed
    in the UPDATE from their row and balances, as `models.rules.status.status_of` and `due_rank` do.
    Returns those with a release due by `now` not yet applied, left as they are for the rules to
    recompute. Two statements a batch."""
    conn = Balance._choose_db(True)
    balances, affiliates = Balance._meta.db_table, Affiliate._meta.db_table
    at = Balance._meta.fields_map["next_release_at"].to_db_value(now, Balance)
    minimum, minimum_values = _by_currency(terms.minimum_payout, 0)
    factor, factor_values = _by_currency(terms.rank_factors, terms.rank_factor)
    of_affiliate = f"FROM {balances} b WHERE b.affiliate_id = {affiliates}.id"
    due = "CASE WHEN b.due_installments > b.owed THEN b.due_installments - b.owed ELSE 0 END"
    eligible = (
        "approval_status = ? AND payout_mode <> ? AND has_payment_method = ? AND payment_returned IS NULL "
        "AND sales_count >= ?"
    )
    eligible_values = [
        ApprovalStatus.APPROVED.value,
        PayoutMode.PAYPAL_INSTANT.value,
        Affiliate._meta.fields_map["has_payment_method"].to_db_value(True, Affiliate),
        terms.minimum_sales,
    ]
    update = (
        f"UPDATE {affiliates} SET payment_status = CASE "
        f"WHEN {eligible} AND EXISTS (SELECT 1 {of_affiliate} AND b.due_installments > b.owed "
        f"AND b.due_installments - b.owed >= {minimum}) THEN ? "
        f"WHEN EXISTS (SELECT 1 {of_affiliate} AND (b.reserve > 0 OR b.owed > 0 OR b.due_installments > b.owed)) "
        f"THEN ? ELSE ? END, due_rank = COALESCE((SELECT MAX(({due}) * {factor}) {of_affiliate}), 0) WHERE id IN "
    )
    update_values = [
        *eligible_values,
        *minimum_values,
        PaymentStatus.DUE.value,
        PaymentStatus.DUE_INCOMPLETE.value,
        PaymentStatus.NOTHING_DUE.value,
        *factor_values,
    ]
    stale: set[int] = set()
    for batch in batches(ids):
        query = (
            f"SELECT DISTINCT affiliate_id FROM {balances} WHERE affiliate_id IN "
            f"({', '.join(['?'] * len(batch))}) AND next_release_at <= ?"
        )
        _, rows = await conn.execute_query(numbered(conn, query), [*batch, at])
        left = {int(r[0]) for r in rows}
        stale |= left
        done = [i for i in batch if i not in left]
        if done:
            query = update + f"({', '.join(['?'] * len(done))})"
            await conn.execute_query(numbered(conn, query), [*update_values, *done])
    return stale


def _defaults(model: type[Model], given: Collection[str], now: datetime) -> dict[str, Any]:
    """The database values of every column not given that has a default (or is stamped at creation).

    Tortoise's defaults live in Python, not in the schema: a raw INSERT must send them itself.
    """
    values: dict[str, Any] = {}
    for name in model._meta.fields_db_projection:
        field = model._meta.fields_map[name]
        if field.pk or name in given:
            continue
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            values[name] = now
        elif field.default is not None:
            default = field.default() if callable(field.default) else field.default
            values[name] = field.to_db_value(default, model)
    return values


async def insert_rows(
    conn: BaseDBAsyncClient,
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    now: datetime,
    returning: Sequence[str] = (),
    batch: int = 500,
) -> list[dict[str, Any]]:
    """Multi-row INSERTs of database-ready values, no ORM objects: on SQLite `batch` rows per
    statement (its parameter limit), on PostgreSQL a binary COPY (or, for "*", one array per column).

    Columns left out get the model's defaults; `returning` names the columns to read back ("id" or
    given columns; "*": every column, read back from the database).
    """
    defaults = _defaults(model, columns, now)
    names = [*columns, *defaults]
    fixed = list(defaults.values())
    back = f" RETURNING {', '.join(returning)}" if returning else ""
    head = f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
    if conn.capabilities.dialect == "postgres":
        full = [(*row, *fixed) for row in rows]
        if "*" in returning:
            return await _insert_unnest(conn, model, names, head, back, full)
        return await _copy(conn, model, names, full, returning)
    row_marks = "(" + ", ".join(["?"] * len(names)) + ")"
    found: list[dict[str, Any]] = []
    for part in batches(rows, batch):
        query = head + "VALUES " + ", ".join([row_marks] * len(part)) + back
        params = [value for row in part for value in (*row, *fixed)]
        if returning:
            found.extend(await conn.execute_query_dict(query, params))
        else:
            await conn.execute_query(query, params)
    return found


async def _copy(
    conn: BaseDBAsyncClient,
    model: type[Model],
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    returning: Sequence[str],
) -> list[dict[str, Any]]:
    """PostgreSQL: binary COPY of the rows. COPY returns nothing, so ids to be read back are drawn
    from the table's sequence first and copied with the rows. Cheaper than INSERT ... unnest on
    both sides: no array parameters to encode element by element and to unpack in the server."""
    if not rows:
        return []
    table = model._meta.db_table
    if returning:
        drawn = await conn.execute_query_dict(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, $1)", [len(rows)]
        )
        names = ["id", *names]
        rows = [(r["id"], *row) for r, row in zip(drawn, rows, strict=True)]
    try:
        async with conn.acquire_connection() as connection:
            await connection.copy_records_to_table(table, records=rows, columns=names)
    except asyncpg.IntegrityConstraintViolationError as e:  # as Tortoise's own statements raise it
        raise IntegrityError(e) from e
    at = [names.index(column) for column in returning]
    return [dict(zip(returning, (row[i] for i in at), strict=True)) for row in rows] if returning else []


async def _insert_unnest(
    conn: BaseDBAsyncClient,
    model: type[Model],
    names: Sequence[str],
    head: str,
    back: str,
    rows: Sequence[Sequence[Any]],
) -> list[dict[str, Any]]:
    """PostgreSQL: one array parameter per column (`SELECT * FROM unnest($1::int[], ...)`), whatever the
    number of rows: a multi-row VALUES list of thousands of parameters costs more to send and plan than
    to insert."""
    fields = model._meta.fields_map
    by_source = {f.source_field or name: f for name, f in fields.items()}
    arrays = ", ".join(
        f"${n}::{(fields.get(name) or by_source[name]).get_for_dialect('postgres', 'SQL_TYPE')}[]"
        for n, name in enumerate(names, 1)
    )
    query = f"{head}SELECT * FROM unnest({arrays}){back}"
    found: list[dict[str, Any]] = []
    for part in batches(rows, UNNEST_ROWS):
        found.extend(await conn.execute_query_dict(query, [list(column) for column in zip(*part, strict=True)]))
    return found


TRIGRAM = 3  # the shortest term a trigram index can answer
SPARSE = 1000  # a term matching at most this many affiliates is answered from the index


async def affiliates_containing(text: str) -> Q:
    """Affiliates whose `search_text` (lower-case name and email) contains `text` (lower case too).

    SQLite: a term of 3 or more characters is first looked up in the trigram index of migration
    0007 (`affiliates_search`, FTS5) as one quoted phrase, i.e. a plain substring, reading at most
    SPARSE + 1 hits. A sparse term (most searches: a name, an email) becomes `id IN (its hits)`:
    its cost is the number of hits, not of affiliates. A dense term ("example.com" matches nearly
    everyone) and a term under 3 characters keep `LIKE '%text%'`, read in the list's order, which
    fills a page after a few rows when most rows match (a term under 3 characters that matches
    few rows scans every affiliate, as before). PostgreSQL: the LIKE, which the pg_trgm GIN index
    serves where the planner finds it cheaper than the list's order.
    """
    conn = Affiliate._choose_db()
    if conn.capabilities.dialect == "sqlite" and len(text) >= TRIGRAM:
        table = f"{Affiliate._meta.db_table}_search"
        phrase = '"' + text.replace('"', '""') + '"'
        _, hits = await conn.execute_query(
            f"SELECT rowid FROM {table} WHERE {table} MATCH ? LIMIT ?", [phrase, SPARSE + 1]
        )
        if len(hits) <= SPARSE:
            return Q(id__in=[hit[0] for hit in hits])
    return Q(search_text__contains=text)


async def recruiter_chain_contains(start: int, affiliate_id: int) -> bool:
    """Whether `affiliate_id` is `start` or one of its current recruiters, at any depth (rule 16.1).

    One recursive query; UNION (not UNION ALL) ends it even on a chain that already loops.
    """
    conn = Affiliate._choose_db(True)
    query = (
        "WITH RECURSIVE chain(id) AS (SELECT CAST(? AS INTEGER) UNION SELECT a.recruited_by_id FROM affiliates a"
        " JOIN chain c ON a.id = c.id WHERE a.recruited_by_id IS NOT NULL) SELECT 1 FROM chain WHERE id = ?"
    )
    return bool(await conn.execute_query_dict(numbered(conn, query), [start, affiliate_id]))


# Rule 16.4: a sale booked without commission rows (before migration 0009, or by a test writing rows
# below the ledger) becomes one AFFILIATE commission, and its installments and owed amounts name it.
# Set-based and idempotent: only sales without a commission are touched. Migration 0009 runs these.
AFFILIATE_COMMISSIONS = (
    "INSERT INTO commissions (sale_id, affiliate_id, role, position, currency, percent, original_amount, amount,"
    " ended_reason) SELECT s.id, s.affiliate_id, 'AFFILIATE', 0, s.currency, NULL, s.original_commission,"
    " s.commission, s.commission_ended_reason FROM sales s"
    " WHERE NOT EXISTS (SELECT 1 FROM commissions c WHERE c.sale_id = s.id) ORDER BY s.id",
    "UPDATE installments SET commission_id = c.id FROM commissions c"
    " WHERE c.sale_id = installments.sale_id AND c.position = 0 AND installments.commission_id IS NULL",
    "UPDATE owed_amounts SET commission_id = c.id FROM commissions c"
    " WHERE c.sale_id = owed_amounts.sale_id AND c.position = 0 AND owed_amounts.commission_id IS NULL",
)


async def book_affiliate_commissions() -> None:
    """Run AFFILIATE_COMMISSIONS on the current connection (sales written below the ledger)."""
    conn = Affiliate._choose_db(True)
    for statement in AFFILIATE_COMMISSIONS:
        await conn.execute_script(statement)


# --- rule 17: the tax form clock and a tax year's totals --------------------------------------


def _expiring_forms(until: bool) -> str:
    """DUE payees with a W-8 expiry (by the instant given, if `until`) while the program requires a
    form (rule 17.3), soonest first; the LIMIT is the last parameter."""
    a, s = Affiliate._meta.db_table, ProgramSettings._meta.db_table
    return (
        f"SELECT a.id, a.tax_form_expires_at FROM {a} a WHERE a.payment_status = ? "
        f"AND a.tax_form_expires_at {'<= ?' if until else 'IS NOT NULL'} "
        f"AND EXISTS (SELECT 1 FROM {s} s WHERE s.id = ? AND s.tax_form_required) "
        "ORDER BY a.tax_form_expires_at LIMIT ?"
    )


async def released(now: datetime, limit: int) -> list[int]:
    """Affiliates whose stored status `now` has overtaken: a held installment released (rule 3), or, when
    the program requires a tax form, a DUE payee's W-8 expired (rule 17.3). One statement of two
    indexed range probes, each cut by the LIMIT: usually both are empty."""
    conn = Balance._choose_db()
    at = Balance._meta.fields_map["next_release_at"].to_db_value(now, Balance)
    expires = Affiliate._meta.fields_map["tax_form_expires_at"].to_db_value(now, Affiliate)
    query = (
        f"SELECT affiliate_id FROM (SELECT affiliate_id FROM {Balance._meta.db_table} WHERE next_release_at <= ? "
        f"ORDER BY next_release_at LIMIT ?) r UNION ALL SELECT id FROM ({_expiring_forms(True)}) t"
    )
    values = [at, limit, PaymentStatus.DUE.value, expires, SETTINGS_ID, limit]
    _, rows = await conn.execute_query(numbered(conn, query), values)
    return [int(r[0]) for r in rows]


async def next_instant() -> datetime | None:
    """The earliest held release anywhere, or a DUE payee's W-8 expiry while the program requires a
    form: what the maturity clock sleeps until. One statement, two indexed look-ups."""
    conn = Balance._choose_db()
    release = Balance._meta.fields_map["next_release_at"]
    query = (
        f"SELECT (SELECT next_release_at FROM {Balance._meta.db_table} WHERE next_release_at IS NOT NULL "
        f"ORDER BY next_release_at LIMIT 1), (SELECT t.tax_form_expires_at FROM ({_expiring_forms(False)}) t)"
    )
    values = [PaymentStatus.DUE.value, SETTINGS_ID, 1]
    _, rows = await conn.execute_query(numbered(conn, query), values)
    found = [release.to_python_value(v) for v in tuple(rows[0]) if v is not None] if rows else []
    return min(found, default=None)


@dataclass(frozen=True)
class TaxYear:
    """What selects a tax year's payees: its UTC bounds, the payees asked for, and the 1099 inputs."""

    start: datetime
    end: datetime
    payee_ids: Sequence[int] | None
    threshold: int  # USD cents
    today: date  # the merchant's local date: a W-8 valid until before it has expired

    def payouts_where(self, after: int | None = None) -> tuple[str, list[Any]]:
        """Counted payouts (rule 17.4): PAID now, paid within the year; optionally only these payees."""
        paid_at = Payout._meta.fields_map["paid_at"]
        tests = ["p.status = ?", "p.paid_at >= ?", "p.paid_at < ?"]
        values: list[Any] = [
            PayoutStatus.PAID.value,
            paid_at.to_db_value(self.start, Payout),
            paid_at.to_db_value(self.end, Payout),
        ]
        if self.payee_ids is not None:
            tests.append(f"p.affiliate_id IN ({', '.join(['?'] * len(self.payee_ids)) or 'NULL'})")
            values.extend(self.payee_ids)
        if after is not None:
            tests.append("p.affiliate_id > ?")
            values.append(after)
        return " AND ".join(tests), values


PAYPAL_PAID = f"CASE WHEN p.instant OR p.method = '{PaymentMethodType.PAYPAL.value}' THEN p.amount ELSE 0 END"
CORPORATIONS = "'C_CORPORATION', 'S_CORPORATION', 'LLC_C', 'LLC_S'"


def _verdict(year: TaxYear) -> tuple[str, list[Any]]:
    """The five steps of rule 17.4 over one payee's group (p: its counted payouts, t: its current
    form), in SQL so that a filter and a count need no per-payee query (`models.rules.tax.form_1099_nec`
    words them; tests/test_tax_totals.py checks both agree)."""
    w8 = ", ".join(f"'{k.value}'" for k in (TaxFormKind.W8BEN, TaxFormKind.W8BENE))
    w9, e = TaxFormKind.W9.value, Form1099Expectation
    until = TaxProfile._meta.fields_map["valid_until"].to_db_value(year.today, TaxProfile)
    other = f"p.amount - ({PAYPAL_PAID})"
    kind = "MAX(t.kind)"  # the payee's one current form (or none): MAX only names it, so GROUP BY stays the payee
    case = f"""CASE
        WHEN {kind} IN ({w8}) AND MAX(t.valid_until) >= ? THEN '{e.NOT_EXPECTED.value}'
        WHEN {kind} = '{w9}' AND MAX(t.tax_classification) IN ({CORPORATIONS}) THEN '{e.NOT_EXPECTED.value}'
        WHEN SUM(CASE WHEN p.currency = 'USD' THEN {other} ELSE 0 END) >= ?
            THEN CASE WHEN {kind} = '{w9}' THEN '{e.EXPECTED.value}' ELSE '{e.REVIEW.value}' END
        WHEN MAX(CASE WHEN p.currency <> 'USD' AND {other} > 0 THEN 1 ELSE 0 END) = 1 THEN '{e.REVIEW.value}'
        ELSE '{e.NOT_EXPECTED.value}' END"""
    return case, [until, year.threshold]


def _payees(year: TaxYear, verdict: Form1099Expectation | None, after: int | None) -> tuple[str, list[Any]]:
    """The counted payees (after the keyset `after`), one group each, with `verdict` only. One GROUP BY
    in payee order: with the (affiliate_id, paid_at) index a page reads its payees' payouts and stops."""
    where, values = year.payouts_where(after)
    query = (
        f"SELECT p.affiliate_id FROM {Payout._meta.db_table} p "
        f"LEFT JOIN {TaxProfile._meta.db_table} t ON t.current_of = p.affiliate_id WHERE {where} "
        "GROUP BY p.affiliate_id"
    )
    if verdict is not None:
        case, case_values = _verdict(year)
        query += f" HAVING {case} = ?"
        values += [*case_values, verdict.value]
    return query, values


async def tax_year_payees(
    year: TaxYear, verdict: Form1099Expectation | None, after: int | None, limit: int
) -> list[int]:
    """One page of counted payee ids, by id, after the keyset `after`: one statement whatever the page size."""
    conn = Payout._choose_db()
    query, values = _payees(year, verdict, after)
    _, rows = await conn.execute_query(numbered(conn, f"{query} ORDER BY p.affiliate_id LIMIT ?"), [*values, limit])
    return [int(r[0]) for r in rows]


async def tax_year_count(year: TaxYear, verdict: Form1099Expectation | None) -> int:
    conn = Payout._choose_db()
    query, values = _payees(year, verdict, None)
    _, rows = await conn.execute_query(numbered(conn, f"SELECT COUNT(*) FROM ({query}) g"), values)
    return int(rows[0][0])


async def tax_year_sums(year: TaxYear) -> list[tuple[int, str, int, int, int, int]]:
    """Per (payee, currency) of `year.payee_ids`: paid, the PayPal part, the owed amounts recovered, the count.

    Two statements (the payouts, then the owed amounts they recovered), each grouped in SQL.
    """
    conn = Payout._choose_db()
    where, values = year.payouts_where()
    p = Payout._meta.db_table
    query = (
        f"SELECT p.affiliate_id, p.currency, SUM(p.amount), SUM({PAYPAL_PAID}), COUNT(*) FROM {p} p "
        f"WHERE {where} GROUP BY p.affiliate_id, p.currency"
    )
    _, rows = await conn.execute_query(numbered(conn, query), values)
    recovered_query = (
        f"SELECT p.affiliate_id, p.currency, SUM(o.amount) FROM {OwedAmount._meta.db_table} o "
        f"JOIN {p} p ON p.id = o.recovered_by_id WHERE {where} GROUP BY p.affiliate_id, p.currency"
    )
    _, recovered_rows = await conn.execute_query(numbered(conn, recovered_query), values)
    recovered = {(int(r[0]), str(r[1])): int(r[2] or 0) for r in recovered_rows}
    return [
        (int(r[0]), str(r[1]), int(r[2]), int(r[3]), recovered.get((int(r[0]), str(r[1])), 0), int(r[4])) for r in rows
    ]


UNSETTLED_OWN = (
    "SELECT r.file_id, COUNT(*) FROM export_rows r WHERE r.file_id IN ({ids}) AND NOT EXISTS "
    "(SELECT 1 FROM payouts p WHERE p.export_row_id = r.id AND p.status = 'PAID') GROUP BY r.file_id"
)
UNSETTLED_LISTED = (
    "SELECT l.file_id, COUNT(*) FROM export_file_rows l WHERE l.file_id IN ({ids}) AND l.omitted_reason IS NULL"
    " AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.export_row_id = l.row_id AND p.status = 'PAID')"
    " GROUP BY l.file_id"
)


async def unsettled_rows(file_ids: Sequence[int]) -> dict[int, int]:
    """How many rows of each export file no PAID payout settles (rule 18.6): a group's own rows, or the
    rows a SEPA or Wise file lists; two statements per batch of files."""
    conn = ExportFile._choose_db()
    found: dict[int, int] = {}
    for batch in batches(sorted(set(file_ids))):
        marks = ", ".join(["?"] * len(batch))
        for query in (UNSETTLED_OWN, UNSETTLED_LISTED):
            _, rows = await conn.execute_query(numbered(conn, query.format(ids=marks)), batch)
            found.update((int(r[0]), int(r[1])) for r in rows)
    return found


# --- what a page shows of many affiliates -------------------------------------------------------------
# Tortoise converts every cell of a values query through its field (1.0 ms for the 115 balances of a
# page of 50 affiliates, 0.2 ms of which is SQLite): these convert only the cells that need it.

FIGURE_COLUMNS = tuple(f.name for f in fields(BalanceFigures))  # each a column of balances, in order
BALANCE_FIGURES = (
    f"SELECT affiliate_id, {', '.join(FIGURE_COLUMNS)} FROM {Balance._meta.db_table} "
    "WHERE affiliate_id IN ({ids}) ORDER BY currency"
)
METHOD_SUMMARIES = (
    f"SELECT affiliate_id, type, summary FROM {PaymentMethod._meta.db_table} WHERE affiliate_id IN ({{ids}}) "
    "ORDER BY type"
)


async def _rows_of(model: type[Model], query: str, ids: Sequence[int]) -> list[Any]:
    """The driver's rows (sqlite3 rows or asyncpg records, read by position) for these ids."""
    conn = model._choose_db()
    found: list[Any] = []
    for batch in batches(ids):
        _, rows = await conn.execute_query(numbered(conn, query.format(ids=", ".join(["?"] * len(batch)))), batch)
        found.extend(rows)
    return found


async def balance_figures(affiliate_ids: Sequence[int]) -> list[tuple[int, BalanceFigures]]:
    """(affiliate id, figures) of every balance of these affiliates, by currency."""
    released = Balance._meta.fields_map["next_release_at"].to_python_value  # SQLite's text, or a timestamptz
    return [
        (r[0], BalanceFigures(r[1], r[2], r[3], r[4], r[5], r[6], r[7] and released(r[7]), r[8], r[9]))
        for r in await _rows_of(Balance, BALANCE_FIGURES, affiliate_ids)
    ]


class MethodSummary(NamedTuple):
    """What a read shows of a payment method: never its (encrypted) details."""

    type: PaymentMethodType
    summary: str


async def method_summaries(affiliate_ids: Sequence[int]) -> list[tuple[int, MethodSummary]]:
    """(affiliate id, type and masked summary) of every payment method of these affiliates, by type."""
    rows = await _rows_of(PaymentMethod, METHOD_SUMMARIES, affiliate_ids)
    return [(r[0], MethodSummary(PaymentMethodType(r[1]), r[2])) for r in rows]
