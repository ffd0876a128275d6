"""No page sorts or scans what grows with the program (issue 23): the query plans of every list page.

A plan test, not a timed one: the program is seeded with enough affiliates (and audit entries) that a
planner would rather sort than walk a useless index, then every sort of `affiliates` with every
filter, first page and a later page, is sent through the API; the page's SELECT, as the app sent it,
is explained (SQLite `EXPLAIN QUERY PLAN`, PostgreSQL `EXPLAIN (FORMAT JSON)`). A page must be read
in index order and stop after a page: no full scan, and a sort only over what a page's few
index-ordered reads returned (a filter listing several statuses: one read per status).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from models.tables.sales import Installment, OwedAmount
from schema.ids import decode_id, to_global_id
from tests.api import create_affiliate, create_product
from tests.clients import GraphQLClient, on_postgres

AFFILIATES = 20_000
AUDIT_ENTRIES = 20_000

PAGE = """query($filter: AffiliateFilter, $sort: AffiliateSort, $after: String) {
  affiliates(filter: $filter, sort: $sort, first: 50, after: $after) {
    pageInfo { endCursor } edges { node { id name paymentStatus } } } }"""

SORTS = ["CREATED_AT", "NAME", "DUE_DESC"]
FILTERS: list[dict[str, Any] | None] = [
    None,
    *({"paymentStatus": [s]} for s in ("DUE", "DUE_INCOMPLETE", "NOTHING_DUE")),
    *({"approvalStatus": [s]} for s in ("APPROVED", "PENDING", "DECLINED")),
    *({"payoutMode": m} for m in ("MANUAL", "PAYPAL_INSTANT")),
    {"paymentStatus": ["DUE", "DUE_INCOMPLETE"]},
    {"approvalStatus": ["APPROVED", "PENDING"], "paymentStatus": ["DUE"]},
    {"approvalStatus": ["APPROVED"], "paymentStatus": ["DUE"], "payoutMode": "MANUAL"},
]

SQLITE_SEED = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})
INSERT INTO affiliates (name, email, approval_status, payout_mode, created_at, sales_count,
    has_payment_method, payment_status, due_rank, search_text, referral_code)
SELECT 'name ' || (i * 7919 % {count}), 'a' || i || '@example.com',
    CASE i % 3 WHEN 0 THEN 'APPROVED' WHEN 1 THEN 'PENDING' ELSE 'DECLINED' END,
    CASE i % 2 WHEN 0 THEN 'MANUAL' ELSE 'PAYPAL_INSTANT' END, '2026-01-01 00:00:00+00:00', i % 5, 1,
    CASE i % 4 WHEN 0 THEN 'DUE' WHEN 1 THEN 'DUE_INCOMPLETE' ELSE 'NOTHING_DUE' END, i * 31 % 1000,
    'name ' || i, 'seeded-' || i
FROM n"""
POSTGRES_SEED = """
INSERT INTO affiliates (name, email, approval_status, payout_mode, created_at, sales_count,
    has_payment_method, payment_status, due_rank, search_text, referral_code)
SELECT 'name ' || (i * 7919 % {count}), 'a' || i || '@example.com',
    (ARRAY['APPROVED', 'PENDING', 'DECLINED'])[i % 3 + 1], (ARRAY['MANUAL', 'PAYPAL_INSTANT'])[i % 2 + 1],
    '2026-01-01 00:00:00+00', i % 5, true, (ARRAY['DUE', 'DUE_INCOMPLETE', 'NOTHING_DUE', 'NOTHING_DUE'])[i % 4 + 1],
    i * 31 % 1000, 'name ' || i, 'seeded-' || i
FROM generate_series(1, {count}) AS i"""
AUDIT_SEED_SQLITE = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})
INSERT INTO audit_log (at, actor, action, object_type, object_id, details)
SELECT '2026-01-01 00:00:00+00:00', 'token:' || (i % 50), 'action' || (i % 20), 'Affiliate', i % 5000, '{{}}' FROM n"""
AUDIT_SEED_POSTGRES = """
INSERT INTO audit_log (at, actor, action, object_type, object_id, details)
SELECT '2026-01-01 00:00:00+00', 'token:' || (i % 50), 'action' || (i % 20), 'Affiliate', i % 5000, '{{}}'
FROM generate_series(1, {count}) AS i"""


class Sent(logging.Handler):
    """The statements Tortoise sends, with their parameters (its db_client logger, at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, list[Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.args, tuple) and len(record.args) == 2 and isinstance(record.args[0], str):
            values = record.args[1]
            self.statements.append((record.args[0], list(values) if isinstance(values, list | tuple) else []))


@pytest.fixture
def sent() -> Iterator[Sent]:
    logger = logging.getLogger("tortoise.db_client")
    handler, previous = Sent(), logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


async def seed() -> None:
    conn = connections.get("default")
    if on_postgres():
        await conn.execute_script(POSTGRES_SEED.format(count=AFFILIATES))
        await conn.execute_script(AUDIT_SEED_POSTGRES.format(count=AUDIT_ENTRIES))
        await conn.execute_script("ANALYZE")
    else:
        await conn.execute_script(SQLITE_SEED.format(count=AFFILIATES))
        await conn.execute_script(AUDIT_SEED_SQLITE.format(count=AUDIT_ENTRIES))


def page_statement(sent: Sent, table: str) -> tuple[str, list[Any]]:
    """The last ordered, limited SELECT from `table`: the page's own read."""
    pages = [
        (sql, values)
        for sql, values in sent.statements
        if sql.startswith("SELECT") and f'FROM "{table}"' in sql and "ORDER BY" in sql and "LIMIT" in sql
    ]
    assert pages, f"no page of {table} was read"
    return pages[-1]


async def sqlite_plan(sql: str, values: list[Any]) -> list[str]:
    _, rows = await connections.get("default").execute_query(f"EXPLAIN QUERY PLAN {sql}", values)
    return [row[3] for row in rows]


def check_sqlite(plan: list[str], filtered: bool) -> None:
    """Index order, stopping after a page: an unfiltered page walks the table or an index in its order
    (SCAN, no sort); a filtered page searches an index led by its filter (no SCAN: a walk that skips
    rows failing the filter reads what grows); a temporary B-tree only orders the few rows of
    index-ordered reads (LIST SUBQUERY), one per listed status."""
    text = "\n".join(plan)
    if filtered:
        assert not any(line.startswith("SCAN") for line in plan), text
    if any("TEMP B-TREE" in line for line in plan):
        assert "LIST SUBQUERY" in text and sum("TEMP B-TREE" in line for line in plan) == 1, text
        assert all(line.startswith("SEARCH") for line in plan if "audit_log" in line or "affiliates" in line), text


async def postgres_plan(sql: str, values: list[Any], seeded: bool) -> dict[str, Any]:
    """The plan PostgreSQL chooses; for a list left empty here (its planner would rightly scan a table of
    no rows), the plan it makes when scans and sorts are priced out, i.e. whether an index can serve
    the page in its order at all."""
    async with in_transaction() as conn:
        if not seeded:
            await conn.execute_script("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off")
        rows = await conn.execute_query_dict(f"EXPLAIN (FORMAT JSON) {sql}", values)
    plan = rows[0]["QUERY PLAN"]
    if isinstance(plan, str):
        plan = json.loads(plan)
    root: dict[str, Any] = plan[0]["Plan"]
    return root


def check_postgres(node: dict[str, Any], limited: bool = False) -> None:
    """No sequential scan; a Sort only above Limits (each arm's page) or reads by primary key."""
    kind = node["Node Type"]
    assert kind != "Seq Scan", node
    if kind == "Sort":
        for child in node.get("Plans", []):
            check_postgres_bounded(child)
    for child in node.get("Plans", []):
        check_postgres(child, limited or kind == "Limit")


def check_postgres_bounded(node: dict[str, Any]) -> None:
    """Under a Sort: every scan is either under a Limit or a read by primary key."""
    if node["Node Type"] == "Limit":
        return
    if "Scan" in node["Node Type"] and "Index Name" in node:
        assert node["Index Name"].endswith("_pkey"), node
    elif "Scan" in node["Node Type"] and "Bitmap" not in node["Node Type"]:
        raise AssertionError(node)
    for child in node.get("Plans", []):
        check_postgres_bounded(child)


async def assert_indexed(sent: Sent, table: str, filtered: bool) -> None:
    sql, values = page_statement(sent, table)
    if on_postgres():
        check_postgres(await postgres_plan(sql, values, table in ("affiliates", "audit_log", "sales")))
    else:
        check_sqlite(await sqlite_plan(sql, values), filtered)


@pytest.mark.parametrize("sort", SORTS)
async def test_every_sort_with_every_filter_reads_a_page_in_index_order(
    gql: GraphQLClient, sent: Sent, sort: str
) -> None:
    await seed()
    for filter in FILTERS:
        after = None
        for _ in range(2):  # the first page, then a page after a cursor
            sent.statements.clear()
            data = await gql.ok(PAGE, filter=filter, sort=sort, after=after)
            page = data["affiliates"]
            assert len(page["edges"]) == 50, (filter, sort)
            if filter and "paymentStatus" in filter:
                assert {e["node"]["paymentStatus"] for e in page["edges"]} <= set(filter["paymentStatus"])
            await assert_indexed(sent, "affiliates", filter is not None)
            after = page["pageInfo"]["endCursor"]


async def test_a_page_listing_several_statuses_is_the_page_of_the_whole_selection(gql: GraphQLClient) -> None:
    """The arms of an IN list, merged: the same affiliates, in the same order, as one unsplit read."""
    await seed()
    for sort, key in (("DUE_DESC", "due_rank DESC, id DESC"), ("NAME", "name, id"), ("CREATED_AT", "id DESC")):
        seen: list[int] = []
        after = None
        for _ in range(3):
            data = await gql.ok(PAGE, filter={"paymentStatus": ["DUE", "DUE_INCOMPLETE"]}, sort=sort, after=after)
            seen += [decode_id(e["node"]["id"], "Affiliate", "id") for e in data["affiliates"]["edges"]]
            after = data["affiliates"]["pageInfo"]["endCursor"]
        _, rows = await connections.get("default").execute_query(
            f"SELECT id FROM affiliates WHERE payment_status IN ('DUE', 'DUE_INCOMPLETE') ORDER BY {key} LIMIT 150"
        )
        assert seen == [row[0] for row in rows], sort


AUDIT = """query($action: String, $actor: String, $objectId: ID, $after: String) {
  auditLog(action: $action, actor: $actor, objectId: $objectId, first: 50, after: $after) {
    pageInfo { endCursor } edges { node { id } } } }"""


def affiliate_list(affiliate: str, field: str, arguments: str = "", node: str = "id") -> str:
    """One page of a list on an affiliate."""
    page = f"{field}({arguments}first: 50) {{ edges {{ node {{ {node} }} }} }}"
    return f'{{ node(id: "{affiliate}") {{ ... on Affiliate {{ {page} }} }} }}'


async def test_program_wide_lists_read_a_page_in_index_order(gql: GraphQLClient, sent: Sent) -> None:
    """The audit log with each of its filters, processor events and payment exports, and an affiliate's
    sales, payouts, commissions (by role too: a walk of that affiliate's own) and recruits: each page
    read in index order."""
    await seed()
    affiliate = await create_affiliate(gql)
    for variables in ({}, {"action": "action3"}, {"actor": "token:7"}, {"objectId": affiliate}):
        after = None
        for _ in range(2):
            sent.statements.clear()
            data = await gql.ok(AUDIT, after=after, **variables)
            await assert_indexed(sent, "audit_log", bool(variables))
            after = data["auditLog"]["pageInfo"]["endCursor"]
            if after is None:
                break
    lists = [
        ("processor_events", "{ processorEvents(status: APPLIED, first: 50) { edges { node { id } } } }"),
        ("payment_exports", "{ paymentExports(first: 50) { edges { node { id } } } }"),
        ("sales", affiliate_list(affiliate, "sales")),
        ("payouts", affiliate_list(affiliate, "payouts")),
        ("commissions", affiliate_list(affiliate, "commissions")),
        ("commissions", affiliate_list(affiliate, "commissions", "role: SECOND_TIER, ")),
        ("affiliates", affiliate_list(affiliate, "recruits", node="name")),
    ]
    for table, query in lists:
        sent.statements.clear()
        await gql.ok(query)
        await assert_indexed(sent, table, table != "payment_exports")


SALES = 20_000
SALES_SEED = """
INSERT INTO sales (external_id, product_id, affiliate_id, currency, amount, refunded, original_commission,
    commission, status, occurred_at, created_at)
SELECT 'seeded-' || i, {product}, i % 5 + 1, 'USD', 1000, 0, 100, 100,
    CASE WHEN i % 97 = 0 THEN 'REFUNDED' WHEN i % 89 = 0 THEN 'CHARGED_BACK' WHEN i % 13 = 0
    THEN 'PARTIALLY_REFUNDED' ELSE 'COMPLETED' END, {occurred}, {occurred}
FROM {numbers}"""
# Occurrences spread over 2025 and 2026, out of id order (an import books old sales late).
SQLITE_OCCURRED = (
    "datetime('2025-01-01', '+' || (i * 7919 % 700) || ' days', '+' || (i % 86400) || ' seconds') || '+00:00'"
)
POSTGRES_OCCURRED = (
    "TIMESTAMPTZ '2025-01-01 00:00:00+00' + (i * 7919 % 700) * INTERVAL '1 day' + (i % 86400) * INTERVAL '1 second'"
)

SALES_PAGE = """query($filter: SaleFilter, $after: String) { sales(filter: $filter, first: 50, after: $after) {
  pageInfo { endCursor } edges { node { id occurredAt status } } } }"""


async def test_every_filter_of_the_program_sales_reads_a_page_in_index_order(gql: GraphQLClient, sent: Sent) -> None:
    """The program's sales (issue 22's list), newest occurrence first: without a filter, by product,
    affiliate, one or several statuses, from/to, and together, the first page and one after a cursor."""
    await seed()
    product = await create_product(gql)
    other = await create_product(gql, name="Other")
    conn = connections.get("default")
    if on_postgres():
        occurred, numbers = POSTGRES_OCCURRED, f"generate_series(1, {SALES}) AS i"
    else:
        occurred = SQLITE_OCCURRED
        numbers = f"(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {SALES}) SELECT i FROM n)"
    for pk in (decode_id(product, "Product", "id"), decode_id(other, "Product", "id")):
        seeded = SALES_SEED.format(product=pk, occurred=occurred, numbers=numbers)
        await conn.execute_script(seeded.replace("'seeded-' || i", f"'seeded-{pk}-' || i"))
    if on_postgres():
        await conn.execute_script("ANALYZE")
    affiliate = to_global_id("Affiliate", 3)
    window = {"occurredFrom": "2025-06-01T00:00:00Z", "occurredTo": "2025-09-01T00:00:00Z"}
    filters: list[dict[str, Any] | None] = [
        None,
        {"productId": other},
        {"affiliateId": affiliate},
        {"status": ["REFUNDED"]},
        {"status": ["REFUNDED", "CHARGED_BACK"]},
        {"occurredFrom": "2026-01-01T00:00:00Z"},
        {"occurredTo": "2025-03-01T00:00:00Z"},
        window,
        {**window, "productId": other},
        {**window, "status": ["CHARGED_BACK", "PARTIALLY_REFUNDED"]},
        {"productId": other, "status": ["REFUNDED"], "affiliateId": affiliate},
    ]
    for filter in filters:
        after, seen = None, []
        for _ in range(2):
            sent.statements.clear()
            data = await gql.ok(SALES_PAGE, filter=filter, after=after)
            seen += [(e["node"]["occurredAt"], e["node"]["id"]) for e in data["sales"]["edges"]]
            if filter is not None and {"productId", "affiliateId"} <= filter.keys():
                await assert_searched(sent, "sales")
            else:
                await assert_indexed(sent, "sales", filter is not None)
            after = data["sales"]["pageInfo"]["endCursor"]
            if after is None:
                break
        assert seen, filter
        times = [t for t, _ in seen]
        assert times == sorted(times, reverse=True), filter  # newest occurrence first, across pages


async def assert_searched(sent: Sent, table: str) -> None:
    """Several filters that no one index orders: read through the index of one of them (the planner's
    pick; a bitmap and a sort of that filter's rows is fine), never by a scan of the table."""
    sql, values = page_statement(sent, table)
    if on_postgres():
        assert seq_scans(await postgres_plan(sql, values, True)) == [], sql
    else:
        plan = await sqlite_plan(sql, values)
        assert not any(line.startswith("SCAN") for line in plan), plan


async def test_deliveries_and_messages_read_a_page_in_index_order(gql: GraphQLClient, sent: Sent) -> None:
    """An endpoint's deliveries (with and without a status) and the messages of one type."""
    await seed()
    endpoint = await gql.ok(
        """mutation { createWebhookEndpoint(input: {url: "https://hooks.example.com/in", eventTypes: ["payout.paid"]}) {
        ... on CreateWebhookEndpointSuccess { endpoint { id } } } }"""
    )
    endpoint_id = endpoint["createWebhookEndpoint"]["endpoint"]["id"]
    for status in (None, "FAILED"):
        sent.statements.clear()
        await gql.ok(
            "query($id: ID!, $status: WebhookDeliveryStatus) { node(id: $id) { ... on WebhookEndpoint {"
            " deliveries(status: $status, first: 50) { edges { node { id } } } } } }",
            id=endpoint_id,
            status=status,
        )
        await assert_indexed(sent, "webhook_deliveries", True)
    sent.statements.clear()
    await gql.ok('{ webhookMessages(type: "payout.paid", first: 50) { edges { node { id } } } }')
    await assert_indexed(sent, "webhook_messages", True)


def seq_scans(node: dict[str, Any]) -> list[str]:
    """The tables a PostgreSQL plan reads whole."""
    own = [node["Relation Name"]] if node["Node Type"] == "Seq Scan" else []
    return own + [t for child in node.get("Plans", []) for t in seq_scans(child)]


LOOKUPS: dict[str, Callable[[], Any]] = {
    # a refund, chargeback or dispute of one sale
    "installments of a sale": lambda: Installment.filter(sale_id=1),
    "owed of a sale": lambda: OwedAmount.filter(sale_id=1, amount__gt=0, installment_id__not_isnull=True),
    # a void releases its payout's installments and owed amounts
    "installments of a payout": lambda: Installment.filter(payout_id=1),
    "owed of a payout": lambda: OwedAmount.filter(recovered_by_id=1),
}


@pytest.mark.parametrize("lookup", LOOKUPS)
async def test_a_change_to_one_sale_or_payout_reads_only_its_rows(app: Any, lookup: str) -> None:
    """What one refund, dispute or void reads is found through an index (migration 0015), never by a
    scan of every installment or owed amount ever booked."""
    sql = LOOKUPS[lookup]().sql(params_inline=True)
    if on_postgres():
        assert seq_scans(await postgres_plan(sql, [], seeded=False)) == [], sql
    else:
        plan = await sqlite_plan(sql, [])
        assert plan and all(line.startswith("SEARCH") and "USING INDEX" in line for line in plan), plan
