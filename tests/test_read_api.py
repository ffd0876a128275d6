"""The read API: affiliates filters, sorts and keyset pages; masking; auth; constant SQL per page."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx
import pytest
from tortoise.transactions import in_transaction

from models.enums import ApprovalStatus, PaymentMethodType, PayoutMode, SaleStatus
from models.ledger.balances import refresh_affiliates
from models.ledger.payment_details import Cipher
from models.sql import book_affiliate_commissions
from models.tables.affiliates import Affiliate, PaymentMethod
from models.tables.products import Product
from models.tables.program import SETTINGS_ID, ProgramSettings
from models.tables.sales import Installment, Sale
from server.config import Settings
from tests.api import add_paypal, create_affiliate, create_product, record_sale
from tests.clients import SECRET_KEY, GraphQLClient, StatementCounter, on_postgres

PAGE = """query($filter: AffiliateFilter, $sort: AffiliateSort, $first: Int, $after: String) {
  affiliates(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name } } } }"""

ALL_PAYOUT_FIELDS = """query($first: Int) { affiliates(first: $first, sort: DUE_DESC) { totalCount edges { node {
  id name email approvalStatus payoutMode createdAt
  paymentMethods { type preferred summary }
  salesCount
  balances { currency earned { amount currency } reserve { amount currency } due { amount currency }
    paid { amount currency } owed { amount currency } nextRelease { at amount { amount currency } } }
  paymentStatus
  incompleteReasons { reason message } } } } }"""

IBAN = "DE89370400440532013000"
PAYPAL_EMAIL = "secret.person@example.org"


async def page(gql: GraphQLClient, **variables: Any) -> dict[str, Any]:
    return (await gql.ok(PAGE, **variables))["affiliates"]


async def ids_of(gql: GraphQLClient, **variables: Any) -> list[str]:
    return [e["node"]["id"] for e in (await page(gql, first=500, **variables))["edges"]]


# --- filters and sorts ---------------------------------------------------------------------------


async def test_filters(gql: GraphQLClient) -> None:
    product = await create_product(gql)
    ann = await create_affiliate(gql, "Ann Lee", email="ann@alpha.example")
    bob = await create_affiliate(gql, "Bob Ray", email="BOB@Beta.example", approvalStatus="PENDING")
    cid = await create_affiliate(gql, "Cid Moe", email="cid@gamma.example", approvalStatus="DECLINED")
    ivy = await create_affiliate(gql, "Ivy Sun", email="ivy@alpha.example", payoutMode="PAYPAL_INSTANT")
    await add_paypal(gql, ann)
    await record_sale(gql, externalId="a-1", productId=product, affiliateId=ann)
    await record_sale(gql, externalId="b-1", productId=product, affiliateId=bob)

    assert set(await ids_of(gql, filter={"approvalStatus": ["APPROVED"]})) == {ann, ivy}
    assert set(await ids_of(gql, filter={"approvalStatus": ["PENDING", "DECLINED"]})) == {bob, cid}
    assert await ids_of(gql, filter={"paymentStatus": ["DUE"]}) == [ann]
    assert await ids_of(gql, filter={"paymentStatus": ["DUE_INCOMPLETE"]}) == [bob]
    assert set(await ids_of(gql, filter={"paymentStatus": ["NOTHING_DUE"]})) == {cid, ivy}
    assert await ids_of(gql, filter={"payoutMode": "PAYPAL_INSTANT"}) == [ivy]
    assert set(await ids_of(gql, filter={"payoutMode": "MANUAL"})) == {ann, bob, cid}
    # search: name or email, case-insensitive substring
    assert set(await ids_of(gql, filter={"search": "ALPHA"})) == {ann, ivy}
    assert await ids_of(gql, filter={"search": "beta.EX"}) == [bob]
    assert await ids_of(gql, filter={"search": "moe"}) == [cid]
    assert await ids_of(gql, filter={"search": "%"}) == []  # LIKE wildcards are literal
    assert await ids_of(gql, filter={"search": "_"}) == []
    assert set(await ids_of(gql, filter={"ids": [ann, cid]})) == {ann, cid}
    assert await ids_of(gql, filter={"ids": []}) == []
    # conditions combine
    assert await ids_of(gql, filter={"search": "alpha", "payoutMode": "MANUAL", "approvalStatus": ["APPROVED"]}) == [
        ann
    ]
    assert (await page(gql, filter={"search": "alpha"}))["totalCount"] == 2


async def test_sorts(gql: GraphQLClient) -> None:
    cheap = await create_product(gql, name="Cheap", price={"amount": "10.00", "currency": "USD"})
    dear = await create_product(gql, name="Dear", price={"amount": "500.00", "currency": "USD"})
    yen = await create_product(gql, name="Yen", price={"amount": "1000", "currency": "JPY"})
    names = ["Mia Cole", "Abe Zed", "Zoe Ash", "Kai Orr"]
    ids = [await create_affiliate(gql, n) for n in names]
    mia, abe, zoe, kai = ids
    await record_sale(gql, externalId="1", productId=cheap, affiliateId=mia)  # USD 1.00
    await record_sale(gql, externalId="2", productId=dear, affiliateId=zoe)  # USD 50.00
    await record_sale(gql, externalId="3", productId=yen, affiliateId=kai)  # JPY 100

    assert await ids_of(gql) == list(reversed(ids))  # default: CREATED_AT, newest first
    assert await ids_of(gql, sort="CREATED_AT") == list(reversed(ids))
    assert await ids_of(gql, sort="NAME") == [abe, kai, mia, zoe]
    # largest single-currency due first (JPY 100 ranks as 100 units, above USD 50.00); no due last
    assert await ids_of(gql, sort="DUE_DESC") == [kai, zoe, mia, abe]


@pytest.mark.parametrize("sort", ["CREATED_AT", "NAME", "DUE_DESC"])
async def test_keyset_pages_are_complete_and_stable_while_rows_are_added(gql: GraphQLClient, sort: str) -> None:
    product = await create_product(gql, price={"amount": "10.00", "currency": "USD"})
    originals = []
    for i in range(30):
        originals.append(await create_affiliate(gql, f"Name{(i * 7) % 30:02d} X", email=f"o{i}@example.com"))
        if i % 3 == 0:  # several equal due ranks: ties are broken by id
            await record_sale(gql, externalId=f"s{i}", productId=product, affiliateId=originals[-1])
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        p = await page(gql, sort=sort, first=7, after=after)
        pages += 1
        assert len(p["edges"]) <= 7
        assert p["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen.extend(e["node"]["id"] for e in p["edges"])
        if not p["pageInfo"]["hasNextPage"]:
            break
        assert p["pageInfo"]["endCursor"] == p["edges"][-1]["cursor"]
        after = p["pageInfo"]["endCursor"]
        # someone adds affiliates between two pages, before and after the cursor
        await create_affiliate(gql, f"Name{pages:02d} New", email=f"n{pages}@example.com")
        await create_affiliate(gql, "AAA First", email=f"a{pages}@example.com")
    assert len(seen) == len(set(seen)), "no affiliate twice"
    assert set(originals) <= set(seen), "no original missing"
    assert pages >= 5


async def test_page_size_and_cursor_are_checked(gql: GraphQLClient) -> None:
    await create_affiliate(gql)
    for bad in (501, -1):
        body = await gql.post(PAGE, first=bad)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    body = await gql.post(PAGE, first=2**40)  # not a GraphQL Int: refused before execution
    assert body.get("data") is None and "cannot represent" in body["errors"][0]["message"]
    empty = await page(gql, first=0)
    assert (empty["edges"], empty["totalCount"], empty["pageInfo"]["hasNextPage"]) == ([], 1, True)

    def cursor(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()

    bad_cursors = {
        "CREATED_AT": ["garbage!", "", cursor({"a": 1}), cursor(["x"]), cursor([1, 2]), cursor([2**40]), cursor(None)],
        "NAME": [cursor([1]), cursor([["a"], 1]), cursor([5, 1]), cursor([True, 1]), cursor(["a", 2**63])],
        "DUE_DESC": [cursor(["abc", 1]), cursor([None, 1]), cursor([1.5, 1]), cursor([2**70, 1])],
    }
    for sort, cursors in bad_cursors.items():
        for after in cursors:
            body = await gql.post(PAGE, sort=sort, after=after, first=5)
            assert body.get("data") is None, (sort, after, body)
            assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (sort, after, body)


async def test_node_with_out_of_range_ids_is_null(gql: GraphQLClient) -> None:
    for pk in (2**31, 2**62):
        gid = base64.urlsafe_b64encode(f"Affiliate:{pk}".encode()).decode()
        body = await gql.post("query($id: ID!) { node(id: $id) { id } }", id=gid)
        assert body == {"data": {"node": None}}


# --- payment details stay secret ---------------------------------------------------------------


async def test_payment_details_are_masked_and_encrypted_at_rest(gql: GraphQLClient, settings: Settings) -> None:
    ann = await create_affiliate(gql)
    mutation = """mutation($input: PaymentDetailsInput!) { updatePaymentDetails(input: $input) {
      ... on UpdatePaymentDetailsSuccess { affiliate { paymentMethods { type preferred summary } } }
      ... on Error { code message field } } }"""
    response = await gql.http.post(
        "/graphql",
        json={
            "query": mutation,
            "variables": {
                "input": {
                    "affiliateId": ann,
                    "paypalEmail": PAYPAL_EMAIL,
                    "bankWire": {"accountHolder": "Ann Lee", "iban": IBAN, "country": "DE"},
                    "preferred": "BANK_WIRE",
                }
            },
        },
        headers={"Authorization": f"Bearer {gql.token}"},
    )
    bodies = [response.text]
    methods = response.json()["data"]["updatePaymentDetails"]["affiliate"]["paymentMethods"]
    assert methods == [
        {"type": "BANK_WIRE", "preferred": True, "summary": "IBAN ****3000"},
        {"type": "PAYPAL", "preferred": False, "summary": "s***@example.org"},
    ]
    for query in (
        ALL_PAYOUT_FIELDS,
        '{ affiliates(filter: {search: "ann"}) { edges { node { paymentMethods { summary } } } } }',
    ):
        bodies.append(
            (
                await gql.http.post(
                    "/graphql",
                    json={"query": query, "variables": {"first": 10}},
                    headers={"Authorization": f"Bearer {gql.token}"},
                )
            ).text
        )
    for body in bodies:
        assert IBAN not in body and "0532013000" not in body
        assert PAYPAL_EMAIL not in body and "secret.person" not in body

    stored = await _stored_bytes(settings.database_url)
    assert b"example.org" not in stored.replace(b"s***@example.org", b"")
    assert IBAN.encode() not in stored and b"0532013000" not in stored
    assert b"secret.person" not in stored
    # ... and it is there, encrypted: the cipher gets it back.
    row = await PaymentMethod.get(type=PaymentMethodType.BANK_WIRE)
    assert Cipher(SECRET_KEY).decrypt(row.details)["iban"] == IBAN


async def _stored_bytes(database_url: str) -> bytes:
    """Everything the database holds: the SQLite file and its journals, or every PostgreSQL row as text."""
    if not on_postgres():
        path = Path(database_url.removeprefix("sqlite://"))
        files = [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-journal", "-shm")]
        data = b"".join(f.read_bytes() for f in files if f.exists())
        assert len(data) > 0
        return data
    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        chunks: list[bytes] = []
        for t in tables:
            rows = await conn.fetch(f'SELECT t::text AS row FROM "{t["tablename"]}" t')
            chunks.extend(r["row"].encode() for r in rows)
        return b"\n".join(chunks)
    finally:
        await conn.close()


# --- transport ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic dGVzdA=="},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer " + "x" * 5000},
    ],
)
async def test_requests_without_a_valid_token_are_401(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.post("/graphql", json={"query": "{ programSettings { minimumSales } }"}, headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in body


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (
        200,
        {"status": "ok", "bus": "ok", "webhooks": {"pending": 0, "oldestDueS": 0.0}},
    )


# --- a constant number of statements per page ---------------------------------------------------


async def _seed(count: int) -> None:
    """`count` affiliates with payment methods, sales and held/due/owed-free balances, in bulk.

    Rows are written as the ledger writes them; the stored balances and statuses then come from the
    ledger's own `refresh_affiliates`, so what the page shows is what the ledger would have derived.
    """
    now = datetime.now(UTC)
    cipher = Cipher(SECRET_KEY)
    approvals = [ApprovalStatus.APPROVED, ApprovalStatus.APPROVED, ApprovalStatus.PENDING]
    async with in_transaction():
        await ProgramSettings.filter(id=SETTINGS_ID).update(minimum_sales=2, minimum_payout={"USD": 500})
        usd = await Product.create(
            name="Course", currency="USD", price=10010, commission_percent="10", milestones=[["40", 0], ["60", 60]]
        )
        eur = await Product.create(name="Kurs", currency="EUR", price=5000, commission_flat=700)
        await Affiliate.bulk_create(
            [
                Affiliate(
                    name=f"Seed {i:04d}",
                    email=f"seed{i}@example.com",
                    approval_status=approvals[i % 5 % 3],
                    payout_mode=PayoutMode.PAYPAL_INSTANT if i % 10 == 9 else PayoutMode.MANUAL,
                    search_text=f"seed {i:04d} seed{i}@example.com",
                )
                for i in range(count)
            ],
            batch_size=500,
        )
        ids = cast(list[int], await Affiliate.all().order_by("id").values_list("id", flat=True))
        await PaymentMethod.bulk_create(
            [
                PaymentMethod(
                    affiliate_id=a,
                    type=PaymentMethodType.PAYPAL,
                    summary="s***@example.net",
                    details=cipher.encrypt({"email": f"seed{a}@example.net"}),
                )
                for n, a in enumerate(ids)
                if n % 4
            ],
            batch_size=500,
        )
        sales = []
        for n, a in enumerate(ids):
            for k in range(n % 3):
                product = usd if k == 0 else eur
                commission = 1001 if product is usd else 700
                sales.append(
                    Sale(
                        external_id=f"seed-{a}-{k}",
                        product_id=product.id,
                        affiliate_id=a,
                        currency=product.currency,
                        amount=product.price,
                        original_commission=commission,
                        commission=commission,
                        status=SaleStatus.COMPLETED,
                        occurred_at=now - timedelta(days=n % 90),
                    )
                )
        await Sale.bulk_create(sales, batch_size=500)
        installments: list[Installment] = []
        for sale in await Sale.all():
            parts = [(0, 400, 0), (1, 601, 60)] if sale.currency == "USD" else [(0, 700, 0)]
            if sale.affiliate_id % 7 == 0:  # everything held: ON_HOLD
                parts = [(0, sale.commission, 120)]
            installments.extend(
                Installment(
                    sale_id=sale.id,
                    affiliate_id=sale.affiliate_id,
                    currency=sale.currency,
                    position=p,
                    amount=amount,
                    original_amount=amount,
                    release_at=sale.occurred_at + timedelta(days=d),
                )
                for p, amount, d in parts
            )
        await Installment.bulk_create(installments, batch_size=500)
        await book_affiliate_commissions()  # each sale its AFFILIATE commission (rule 16.4)
        await refresh_affiliates(ids, now)


async def test_a_page_costs_the_same_statements_for_10_or_500(
    gql: GraphQLClient, sql_statements: StatementCounter
) -> None:
    await _seed(500)
    counts = {}
    for size in (10, 500, 10):
        sql_statements.statements.clear()
        data = await gql.ok(ALL_PAYOUT_FIELDS, first=size)
        counts[size] = len(sql_statements.statements)
        edges = data["affiliates"]["edges"]
        assert len(edges) == size
        statuses = {e["node"]["paymentStatus"] for e in edges}
        if size == 500:
            assert statuses == {"DUE", "DUE_INCOMPLETE", "NOTHING_DUE"}
            assert {r["reason"] for e in edges for r in e["node"]["incompleteReasons"]} >= {
                "NOT_APPROVED",
                "BELOW_MINIMUM_SALES",
                "MISSING_PAYMENT_DETAILS",
                "INSTANT_PAYMENT",
                "ON_HOLD",
            }
    print(f"\nSQL statements for a page of 10: {counts[10]}, of 500: {counts[500]}")
    assert counts[10] == counts[500], "\n".join(s[:150] for s in sql_statements.statements)
    assert counts[500] <= 8, "\n".join(s[:150] for s in sql_statements.statements)


async def test_payment_status_filter_reads_no_sales(gql: GraphQLClient, sql_statements: StatementCounter) -> None:
    await _seed(60)
    sql_statements.statements.clear()
    await gql.ok(
        "{ affiliates(filter: {paymentStatus: [DUE, DUE_INCOMPLETE]}, first: 50) { totalCount "
        "edges { node { id paymentStatus } } } }"
    )
    assert not [s for s in sql_statements.statements if 'FROM "sales"' in s or 'FROM "installments"' in s]
    assert len(sql_statements.statements) <= 4, sql_statements.statements
