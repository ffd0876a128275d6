"""The lists and totals the merchant's app reads: program-wide sales, API tokens (with lastUsedAt), the
totals of a filter of affiliates and commission per month. Access: ADMIN and VIEWER; AFFILIATE is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from models.enums import Role
from models.ledger.access import create_token
from server.config import Settings
from tests.api import ERROR, create_affiliate, create_product, payable_affiliate, record_sale, refund_sale
from tests.clients import GraphQLClient, StatementCounter
from tests.clock import MovableClock

SALES = """query($filter: SaleFilter, $first: Int, $after: String) {
  sales(filter: $filter, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id externalId status occurredAt commission { amount currency } product { name }
    affiliate { id name } installments { state } } } } }"""
TOKENS = """query($role: Role, $includeRevoked: Boolean, $first: Int, $after: String) {
  apiTokens(role: $role, includeRevoked: $includeRevoked, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id role label createdAt revokedAt lastUsedAt affiliate { id name } } } } }"""
TOTALS = """query($filter: AffiliateFilter) { affiliateTotals(filter: $filter) { currency due { amount currency }
  dueBelowMinimum { amount } affiliatesBelowMinimum reserve { amount } paid { amount } owed { amount } } }"""
MONTHS = """query($months: Int) { commissionByMonth(months: $months) { month earned { amount currency }
  paid { amount currency } } }"""


async def external_ids(gql: GraphQLClient, **filter: Any) -> list[str]:
    data = await gql.ok(SALES, filter=filter, first=500)
    return [e["node"]["externalId"] for e in data["sales"]["edges"]]


async def affiliate_token(gql: GraphQLClient, affiliate_id: str) -> str:
    data = await gql.ok(
        f"mutation($id: ID!) {{ createAffiliateToken(affiliateId: $id) {{ "
        f"... on CreateAffiliateTokenSuccess {{ token }} {ERROR} }} }}",
        id=affiliate_id,
    )
    return str(data["createAffiliateToken"]["token"])


async def test_sales_program_wide_with_filters(gql: GraphQLClient, clock: MovableClock) -> None:
    course = await create_product(gql, name="Course")
    book = await create_product(gql, name="Book", price={"amount": "20.00", "currency": "EUR"})
    ann = await payable_affiliate(gql, "Ann Lee")
    bob = await create_affiliate(gql, "Bob Ray", email="bob@example.com")
    now = clock()
    await record_sale(
        gql, externalId="s-1", productId=course, affiliateId=ann, occurredAt=(now - timedelta(days=40)).isoformat()
    )
    await record_sale(
        gql, externalId="s-2", productId=book, affiliateId=bob, occurredAt=(now - timedelta(days=20)).isoformat()
    )
    await record_sale(
        gql, externalId="s-3", productId=course, affiliateId=bob, occurredAt=(now - timedelta(days=5)).isoformat()
    )
    await refund_sale(gql, externalId="s-3")

    assert await external_ids(gql) == ["s-3", "s-2", "s-1"]  # newest first
    assert await external_ids(gql, productId=course) == ["s-3", "s-1"]
    assert await external_ids(gql, affiliateId=bob) == ["s-3", "s-2"]
    assert await external_ids(gql, status=["REFUNDED"]) == ["s-3"]
    assert await external_ids(gql, status=["COMPLETED", "PARTIALLY_REFUNDED"]) == ["s-2", "s-1"]
    window = {
        "occurredFrom": (now - timedelta(days=30)).isoformat(),
        "occurredTo": (now - timedelta(days=5)).isoformat(),
    }
    assert await external_ids(gql, **window) == ["s-2"]  # from inclusive, to exclusive
    assert await external_ids(gql, productId=course, affiliateId=bob, status=["REFUNDED"]) == ["s-3"]

    first = await gql.ok(SALES, first=2)
    assert first["sales"]["totalCount"] == 3 and first["sales"]["pageInfo"]["hasNextPage"]
    rest = await gql.ok(SALES, first=2, after=first["sales"]["pageInfo"]["endCursor"])
    assert [e["node"]["externalId"] for e in rest["sales"]["edges"]] == ["s-1"]
    node = rest["sales"]["edges"][0]["node"]
    assert node["product"]["name"] == "Course" and node["affiliate"]["name"] == "Ann Lee"

    wrong = await gql.post(SALES, filter={"productId": ann})
    assert wrong["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await gql.post(SALES, first=501))["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_sales_page_costs_constant_sql(gql: GraphQLClient, sql_statements: StatementCounter) -> None:
    products = [await create_product(gql, name=f"P{i}") for i in range(3)]
    affiliates = [await payable_affiliate(gql, f"Aff{i} Lee") for i in range(6)]
    for n in range(30):
        await record_sale(gql, externalId=f"c-{n}", productId=products[n % 3], affiliateId=affiliates[n % 6])
    counts = {}
    await gql.ok(SALES, first=1)  # warm: the clock's first catch-up
    for size in (3, 30):
        sql_statements.statements.clear()
        data = await gql.ok(SALES, first=size)
        assert len(data["sales"]["edges"]) == size
        counts[size] = len(sql_statements.statements)
    assert counts[3] == counts[30], sql_statements.statements


async def test_sales_and_tokens_refuse_affiliates(gql: GraphQLClient) -> None:
    ann = await payable_affiliate(gql)
    mine = gql.as_token(await affiliate_token(gql, ann))
    for query in (SALES, TOKENS, TOTALS, MONTHS):
        answer = await mine.post(query)
        assert answer["data"] is None
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    viewer = gql.as_token((await create_token("test", Role.VIEWER))[1])
    assert (await viewer.ok(SALES))["sales"]["totalCount"] == 0
    assert (await viewer.ok(TOKENS))["apiTokens"]["totalCount"] == 2


async def test_api_tokens_list_and_last_used(gql: GraphQLClient, clock: MovableClock) -> None:
    ann = await create_affiliate(gql, "Ann Lee")
    await affiliate_token(gql, ann)
    await affiliate_token(gql, ann)
    viewer_row, viewer_token = await create_token("test", Role.VIEWER, label="reports")
    listed = (await gql.ok(TOKENS))["apiTokens"]
    assert listed["totalCount"] == 3
    roles = [e["node"]["role"] for e in listed["edges"]]
    assert roles == ["VIEWER", "AFFILIATE", "AFFILIATE"]  # newest first
    assert all(e["node"]["lastUsedAt"] is None for e in listed["edges"])
    assert listed["edges"][1]["node"]["affiliate"]["name"] == "Ann Lee"
    assert listed["edges"][0]["node"]["label"] == "reports"

    async def last_used() -> datetime:
        node = (await gql.ok(TOKENS, role="VIEWER"))["apiTokens"]["edges"][0]["node"]
        return datetime.fromisoformat(node["lastUsedAt"])

    before = clock()
    await gql.as_token(viewer_token).ok("{ programSettings { minimumSales } }")
    used_at = await last_used()
    assert before <= used_at <= clock()
    clock.advance(timedelta(seconds=30))
    await gql.as_token(viewer_token).ok("{ programSettings { minimumSales } }")  # within the minute: no write
    assert await last_used() == used_at
    clock.advance(timedelta(seconds=45))
    before = clock()
    await gql.as_token(viewer_token).ok("{ programSettings { minimumSales } }")
    assert before <= await last_used() <= clock()

    revoked = (await gql.ok(TOKENS, role="AFFILIATE"))["apiTokens"]["edges"][-1]["node"]["id"]
    await gql.ok(f'mutation {{ revokeToken(id: "{revoked}") {{ __typename }} }}')
    assert (await gql.ok(TOKENS))["apiTokens"]["totalCount"] == 2
    with_revoked = (await gql.ok(TOKENS, includeRevoked=True))["apiTokens"]
    assert with_revoked["totalCount"] == 3
    assert [e["node"]["revokedAt"] is not None for e in with_revoked["edges"]] == [False, False, True]
    page = (await gql.ok(TOKENS, first=1))["apiTokens"]
    after = (await gql.ok(TOKENS, first=5, after=page["pageInfo"]["endCursor"]))["apiTokens"]
    assert [e["node"]["id"] for e in after["edges"]] == [e["node"]["id"] for e in with_revoked["edges"][1:2]]
    assert page["edges"][0]["node"]["role"] == viewer_row.role.value


async def test_affiliate_totals_match_the_due_column(
    gql: GraphQLClient, clock: MovableClock, settings: Settings
) -> None:
    await gql.ok(
        """mutation { updateProgramSettings(input: {minimumPayout: [{amount: "50.00", currency: "USD"}]}) {
        __typename } }"""
    )
    course = await create_product(gql, name="Course", price={"amount": "100.00", "currency": "USD"})
    book = await create_product(gql, name="Book", price={"amount": "20.00", "currency": "EUR"})
    ann = await payable_affiliate(gql, "Ann Lee")
    bob = await payable_affiliate(gql, "Bob Ray")
    cid = await create_affiliate(gql, "Cid Moe", email="cid@example.com", approvalStatus="PENDING")
    for n in range(6):  # Ann: 60.00 USD due
        await record_sale(gql, externalId=f"a-{n}", productId=course, affiliateId=ann)
    await record_sale(gql, externalId="b-1", productId=course, affiliateId=bob)  # Bob: 10.00 USD, below 50.00
    await record_sale(gql, externalId="b-2", productId=book, affiliateId=bob)  # 2.00 EUR: EUR has no minimum
    await record_sale(gql, externalId="c-1", productId=course, affiliateId=cid)  # Cid: 10.00 USD, pending

    totals = {t["currency"]: t for t in (await gql.ok(TOTALS))["affiliateTotals"]}
    assert totals["USD"]["due"] == {"amount": "80.00", "currency": "USD"}
    assert totals["USD"]["dueBelowMinimum"]["amount"] == "20.00"
    assert totals["USD"]["affiliatesBelowMinimum"] == 2
    assert totals["EUR"]["due"]["amount"] == "2.00" and totals["EUR"]["dueBelowMinimum"]["amount"] == "0.00"

    filtered = (await gql.ok(TOTALS, filter={"approvalStatus": ["APPROVED"]}))["affiliateTotals"]
    assert {t["currency"]: t["due"]["amount"] for t in filtered} == {"EUR": "2.00", "USD": "70.00"}
    rows = await gql.ok(
        "query($f: AffiliateFilter) { affiliates(filter: $f, first: 500) { edges { node { balances { due "
        "{ amount currency } } } } } }",
        f={"approvalStatus": ["APPROVED"]},
    )
    usd = sum(
        int(b["due"]["amount"].replace(".", ""))
        for e in rows["affiliates"]["edges"]
        for b in e["node"]["balances"]
        if b["due"]["currency"] == "USD"
    )
    assert usd == 7000  # the footer is the sum of the Due column
    await refund_sale(gql, externalId="a-0")  # nothing was paid yet: due shrinks, nothing owed
    totals = {t["currency"]: t for t in (await gql.ok(TOTALS, filter={"search": "ann"}))["affiliateTotals"]}
    assert totals["USD"]["due"]["amount"] == "50.00" and totals["USD"]["owed"]["amount"] == "0.00"
    assert (await gql.post(TOTALS, filter={"ids": ["nope"]}))["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def month_start(now: datetime, back: int) -> datetime:
    total = now.year * 12 + now.month - 1 - back
    return datetime(total // 12, total % 12 + 1, 1, tzinfo=UTC)


async def test_commission_by_month(gql: GraphQLClient, clock: MovableClock) -> None:
    now = clock()
    window, this_month = month_start(now, 11), month_start(now, 0)
    course = await create_product(gql, name="Course", price={"amount": "100.00", "currency": "USD"})
    ann = await payable_affiliate(gql, "Ann Lee")
    sold = [window - timedelta(seconds=1), window, month_start(now, 2) + timedelta(days=9), this_month]
    for n, at in enumerate(sold):
        await record_sale(gql, externalId=f"m-{n}", productId=course, affiliateId=ann, occurredAt=at.isoformat())
    await gql.ok(
        f"""mutation($a: [ID!]) {{ markAsPaid(input: {{affiliateIds: $a, method: PAYPAL, reference: "r1"}}) {{
        ... on MarkAsPaidSuccess {{ totals {{ amount }} }} {ERROR} }} }}""",
        a=[ann],
    )
    months = (await gql.ok(MONTHS))["commissionByMonth"]
    assert len(months) == 12
    assert months[0]["month"] == window.date().isoformat() and months[-1]["month"] == this_month.date().isoformat()
    ten = [{"amount": "10.00", "currency": "USD"}]
    earned = {m["month"]: m["earned"] for m in months if m["earned"]}
    # The sale one second before the window is left out; the others fall in their own months.
    assert earned == {d.date().isoformat(): ten for d in (window, month_start(now, 2), this_month)}
    paid = {m["month"]: m["paid"] for m in months if m["paid"]}
    assert paid == {this_month.date().isoformat(): [{"amount": "40.00", "currency": "USD"}]}
    assert len((await gql.ok(MONTHS, months=1))["commissionByMonth"]) == 1
    assert (await gql.post(MONTHS, months=0))["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_totals_and_months_cost_the_same_sql_whatever_the_size(
    gql: GraphQLClient, sql_statements: StatementCounter
) -> None:
    await gql.ok(
        'mutation { updateProgramSettings(input: {minimumPayout: [{amount: "50.00", currency: "USD"}]}) '
        "{ __typename } }"
    )
    course = await create_product(gql, name="Course", price={"amount": "100.00", "currency": "USD"})
    counts = []
    made = 0
    for size in (2, 12):
        for n in range(made, size):
            affiliate = await payable_affiliate(gql, f"Aff{n} Lee")
            await record_sale(gql, externalId=f"t-{n}", productId=course, affiliateId=affiliate)
        made = size
        await gql.ok(TOTALS)  # warm: the clock's catch-up
        sql_statements.statements.clear()
        await gql.ok(TOTALS)
        await gql.ok(MONTHS)
        counts.append(len(sql_statements.statements))
    assert counts[0] == counts[1], sql_statements.statements
