"""Hostile input: oversized, deep, wide or malformed requests are refused with typed errors, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from schema.limits import MAX_QUERY_BYTES
from server.config import Settings
from server.guards import MAX_BODY_BYTES
from tests.api import ERROR, add_paypal, create_affiliate, create_product, record_sale
from tests.clients import ADMIN_TOKEN, SECRET_KEY, GraphQLClient
from tests.clock import MovableClock

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def assert_clean(response: httpx.Response) -> dict[str, Any]:
    """A refusal a client can read: JSON with coded errors, no 5xx, nothing of our internals."""
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    for error in body.get("errors", []):
        assert error["extensions"]["code"], error
        assert error["message"] != "Internal error", body
    return body


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def audit_count(gql: GraphQLClient) -> int:
    return (await gql.ok("{ auditLog(first: 0) { totalCount } }"))["auditLog"]["totalCount"]


# --- document limits ----------------------------------------------------------------------------


def nested(depth: int) -> str:
    """A `me { sales { edges { node { affiliate { sales ...` query exactly `depth` fields deep."""
    steps = ["sales", "edges", "node", "affiliate"]
    fields = ["me"] + [steps[i % 4] for i in range(depth - 1)]
    leaf = {"sales": "totalCount", "edges": "cursor", "node": "id", "affiliate": "id", "me": "id"}[fields[-1]]
    fields[-1] = f"{fields[-1]} {{ {leaf} }}" if fields[-1] != "me" else "me { id }"
    return "{ " + " { ".join(fields) + " }" * (len(fields) - 1) + " }"


async def test_depth_limit(client: httpx.AsyncClient, sql_statements: Any) -> None:
    ok = assert_clean(await client.post("/graphql", json={"query": nested(11)}, headers=AUTH))
    assert "errors" not in ok and ok["data"] == {"me": None}
    sql_statements.statements.clear()
    refused = assert_clean(await client.post("/graphql", json={"query": nested(14)}, headers=AUTH))
    assert refused["data"] is None and "exceeds maximum operation depth" in refused["errors"][0]["message"]
    assert error_codes(refused) == ["GRAPHQL_VALIDATION_FAILED"]
    assert not [s for s in sql_statements.statements if "sale" in s.lower()], "a refused query ran"


async def test_alias_limit(client: httpx.AsyncClient) -> None:
    def aliased(n: int) -> str:
        return "{ " + " ".join(f"a{i}: programSettings {{ minimumSales }}" for i in range(n)) + " }"

    ok = assert_clean(await client.post("/graphql", json={"query": aliased(20)}, headers=AUTH))
    assert len(ok["data"]) == 20
    refused = assert_clean(await client.post("/graphql", json={"query": aliased(21)}, headers=AUTH))
    assert refused["data"] is None and error_codes(refused) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_query_size_limit(client: httpx.AsyncClient) -> None:
    base = "{ programSettings { minimumSales } }"
    exactly = base + " " * (MAX_QUERY_BYTES - len(base))
    assert "errors" not in assert_clean(await client.post("/graphql", json={"query": exactly}, headers=AUTH))
    for too_long in (exactly + " ", base + "#" + "é" * MAX_QUERY_BYTES):  # bytes, not characters, count
        body = assert_clean(await client.post("/graphql", json={"query": too_long}, headers=AUTH))
        assert body["data"] is None and error_codes(body) == ["QUERY_TOO_LARGE"]
    over_get = await client.get("/graphql", params={"query": exactly + " "}, headers=AUTH)
    assert error_codes(assert_clean(over_get)) == ["QUERY_TOO_LARGE"]


async def test_page_size_limits(gql: GraphQLClient) -> None:
    queries = {
        "affiliates": "query($first: Int) { affiliates(first: $first) { totalCount } }",
        "products": "query($first: Int) { products(first: $first) { totalCount } }",
        "auditLog": "query($first: Int) { auditLog(first: $first) { totalCount } }",
        "nested": "query($first: Int) { affiliates { edges { node { sales(first: $first) { totalCount } } } } }",
    }
    await create_affiliate(gql, "Ann Lee")
    for name, query in queries.items():
        assert "errors" not in await gql.post(query, first=500), name
        for bad in (501, -1, 2**31 - 1):
            body = await gql.post(query, first=bad)
            assert error_codes(body) == ["BAD_USER_INPUT"], (name, bad, body)
        body = await gql.post(query, first=2**40)  # not even an Int
        assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"], (name, body)


@pytest.fixture
def settings(database_url: str, clock: MovableClock, request: pytest.FixtureRequest) -> Settings:
    """The usual settings; `introspection` is off where a test parametrizes it so, as from the environment."""
    environment = {"PAYOUTS_INTROSPECTION": getattr(request, "param", "on")}
    with pytest.MonkeyPatch.context() as env:
        for name, value in environment.items():
            env.setenv(name, value)
        introspection = Settings.from_env().introspection
    return Settings(
        database_url=database_url,
        secret_key=SECRET_KEY,
        admin_token=ADMIN_TOKEN,
        introspection=introspection,
        clock=clock,
    )


@pytest.mark.parametrize("settings", ["on", "off"], indirect=True)
async def test_introspection_can_be_switched_off(settings: Settings, client: httpx.AsyncClient) -> None:
    query = {"query": "{ __schema { queryType { name } } }"}
    body = assert_clean(await client.post("/graphql", json=query, headers=AUTH))
    if settings.introspection:
        assert body["data"]["__schema"] == {"queryType": {"name": "Query"}}
    else:
        assert body["data"] is None and set(error_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    typename = assert_clean(await client.post("/graphql", json={"query": "{ __typename }"}, headers=AUTH))
    assert typename["data"] == {"__typename": "Query"}


# --- string lengths -----------------------------------------------------------------------------

LONG = "x" * 5000


async def test_every_free_text_input_is_bounded(gql: GraphQLClient) -> None:
    product = await create_product(gql)
    ann = await create_affiliate(gql, "Ann Lee")
    await add_paypal(gql, ann)
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=ann)
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        (
            "createAffiliate",
            "input: CreateAffiliateInput!",
            {"input": {"name": LONG, "email": "a@example.com"}},
            "name",
        ),
        (
            "createAffiliate",
            "input: CreateAffiliateInput!",
            {"input": {"name": "Ann", "email": "a" * 250 + "@example.com"}},
            "email",
        ),
        (
            "createProduct",
            "input: CreateProductInput!",
            {"input": {"name": LONG, "price": {"amount": "1.00", "currency": "USD"}, "commissionPercent": "5"}},
            "name",
        ),
        (
            "recordSale",
            "input: RecordSaleInput!",
            {"input": {"externalId": LONG, "productId": product, "affiliateId": ann}},
            "externalId",
        ),
        ("refundSale", "input: RefundSaleInput!", {"input": {"externalId": LONG}}, "externalId"),
        (
            "updatePaymentDetails",
            "input: PaymentDetailsInput!",
            {"input": {"affiliateId": ann, "paypalEmail": "a" * 300 + "@example.com"}},
            "paypalEmail",
        ),
        (
            "updatePaymentDetails",
            "input: PaymentDetailsInput!",
            {
                "input": {
                    "affiliateId": ann,
                    "bankWire": {"accountHolder": LONG, "iban": "DE89370400440532013000", "country": "DE"},
                }
            },
            "bankWire.accountHolder",
        ),
        (
            "markAsPaid",
            "input: MarkAsPaidInput!",
            {"input": {"affiliateIds": [ann], "method": "PAYPAL", "reference": LONG}},
            "reference",
        ),
        (
            "markAsPaid",
            "input: MarkAsPaidInput!",
            {"input": {"affiliateIds": [ann], "method": "PAYPAL", "idempotencyKey": LONG}},
            "idempotencyKey",
        ),
    ]
    bob = await create_affiliate(gql, "Bob Ray", payoutMode="PAYPAL_INSTANT")
    await add_paypal(gql, bob, "bob.pay@example.com")
    await record_sale(gql, externalId="s-2", productId=product, affiliateId=bob)  # paid at once: a payout
    payout = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Affiliate { payouts { edges { node { id } } } } } }", id=bob
    )
    cases.append(
        (
            "voidPayout",
            "payoutId: ID!, reason: String!",
            {"payoutId": payout["node"]["payouts"]["edges"][0]["node"]["id"], "reason": LONG},
            "reason",
        )
    )
    before = await audit_count(gql)
    for name, params, variables, field in cases:
        declared = ", ".join(f"${p}" for p in params.split(", "))
        args = ", ".join(f"{p.split(':')[0]}: ${p.split(':')[0]}" for p in params.split(", "))
        body = await gql.post(f"mutation({declared}) {{ {name}({args}) {{ __typename {ERROR} }} }}", **variables)
        if "errors" in body and "Cannot query field" in body["errors"][0]["message"]:
            continue  # that mutation does not exist yet
        result = body["data"][name]
        assert (result["__typename"], result["code"]) == ("ValidationError", "VALIDATION"), (name, result)
        assert result["field"].endswith(field), (name, result)
    assert await audit_count(gql) == before, "a refused mutation changed something"

    search = "query($s: String) { affiliates(filter: {search: $s}) { totalCount } }"
    body = await gql.post(search, s=LONG)
    assert error_codes(body) == ["BAD_USER_INPUT"] and body["errors"][0]["extensions"]["field"] == "filter.search"
    assert "errors" not in await gql.post(search, s="x" * 200)


@pytest.mark.parametrize("text", ["nul\x00byte", "\ud800 lone surrogate", "\u202e\u0000", "   "])
async def test_odd_characters_are_refused_or_stored_but_never_crash(client: httpx.AsyncClient, text: str) -> None:
    """PostgreSQL refuses NUL in text columns: such input must become a VALIDATION error, not a 500."""
    import json

    query = f"mutation($input: CreateAffiliateInput!) {{ createAffiliate(input: $input) {{ __typename {ERROR} }} }}"
    for field_values in ({"name": text, "email": "odd@example.com"}, {"name": "Odd", "email": text}):
        payload = json.dumps({"query": query, "variables": {"input": field_values}})
        response = await client.post(
            "/graphql",
            content=payload.encode("utf-8", "surrogatepass"),
            headers={**AUTH, "content-type": "application/json"},
        )
        body = assert_clean(response)
        if response.status_code == 200 and body.get("data"):
            assert body["data"]["createAffiliate"]["__typename"] in ("CreateAffiliateSuccess", "ValidationError")
        search = {
            "query": "query($s: String) { affiliates(filter: {search: $s}) { totalCount } }",
            "variables": {"s": text},
        }
        assert_clean(
            await client.post(
                "/graphql",
                content=json.dumps(search).encode("utf-8", "surrogatepass"),
                headers={**AUTH, "content-type": "application/json"},
            )
        )


# --- malformed requests -------------------------------------------------------------------------

MALFORMED: list[tuple[str, dict[str, Any], int]] = [
    ("not JSON", {"content": b"{not json", "headers": {"content-type": "application/json"}}, 400),
    ("not UTF-8", {"content": b'{"query": "\xff\xfe"}', "headers": {"content-type": "application/json"}}, 400),
    ("wrong content type", {"content": b"{ me { id } }", "headers": {"content-type": "text/plain"}}, 400),
    ("a JSON list", {"json": [{"query": "{ me { id } }"}]}, 400),
    ("a JSON string", {"json": "{ me { id } }"}, 400),
    ("no query", {"json": {}}, 400),
    ("query not a string", {"json": {"query": 5}}, 400),
    ("variables a list", {"json": {"query": "{ me { id } }", "variables": [1]}}, 400),
    ("variables a string", {"json": {"query": "{ me { id } }", "variables": "{}"}}, 400),
    ("unknown operation", {"json": {"query": "query A { me { id } }", "operationName": "B"}}, 400),
    ("operation name not a string", {"json": {"query": "query A { me { id } }", "operationName": ["A"]}}, 400),
    ("syntax error", {"json": {"query": "{ me { id "}}, 200),
    ("unknown field", {"json": {"query": "{ secrets }"}}, 200),
    (
        "wrong variable type",
        {"json": {"query": "query($f: Int) { products(first: $f) { totalCount } }", "variables": {"f": "ten"}}},
        200,
    ),
    ("huge variables", {"json": {"query": "{ me { id } }", "variables": {"x": "a" * (MAX_BODY_BYTES + 1)}}}, 413),
    ("many variables", {"json": {"query": "{ me { id } }", "variables": {f"v{i}": i for i in range(50_000)}}}, 200),
    (
        "deeply nested variables",
        {
            "content": b'{"query": "{ me { id } }", "variables": {"x": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
            "headers": {"content-type": "application/json"},
        },
        400,
    ),
    ("subscription over HTTP", {"json": {"query": "subscription { payoutBecameDue { at } }"}}, 200),
]


@pytest.mark.parametrize("label,request_kwargs,status", MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_malformed_requests(
    client: httpx.AsyncClient, label: str, request_kwargs: dict[str, Any], status: int
) -> None:
    kwargs = {**request_kwargs, "headers": {**AUTH, **request_kwargs.get("headers", {})}}
    response = await client.post("/graphql", **kwargs)
    body = assert_clean(response)
    assert response.status_code == status, (label, response.status_code, response.text[:300])
    assert body.get("errors") or label == "many variables", label


async def test_oversized_body_is_refused_by_its_declared_length(client: httpx.AsyncClient) -> None:
    async def endless() -> Any:
        yield b'{"query": "{ me { id } }", "variables": {"x": "'
        for _ in range(200):
            yield b"a" * 65536
        yield b'"}}'

    response = await client.post("/graphql", content=endless(), headers={**AUTH, "content-type": "application/json"})
    assert response.status_code == 413 and error_codes(assert_clean(response)) == ["REQUEST_TOO_LARGE"]
    declared = await client.post(
        "/graphql",
        content=b"{}",
        headers={**AUTH, "content-type": "application/json", "content-length": str(MAX_BODY_BYTES + 1)},
    )
    assert declared.status_code == 413


async def test_bad_tokens_are_401_not_500(client: httpx.AsyncClient) -> None:
    headers = ("Bearer", "Bearer " + "x" * 10_000, "Basic abc", "Bearer \x01", "bearer  ", "Bearer é", "Bearer \xff")
    for header in headers:
        raw = header.encode("latin-1")
        response = await client.post("/graphql", json={"query": "{ me { id } }"}, headers=[(b"Authorization", raw)])
        assert response.status_code == 401 and error_codes(assert_clean(response)) == ["UNAUTHENTICATED"], header


async def test_unknown_ids_and_cursors_are_typed_errors(gql: GraphQLClient) -> None:
    for node_id in ("", "x", "QWZmaWxpYXRlOi0x", "QWZmaWxpYXRlOjk5OTk5OTk5OTk5OTk5", "////", "A" * 5000):
        assert (await gql.ok("query($id: ID!) { node(id: $id) { id } }", id=node_id))["node"] is None
    for cursor in ("", "!!", "W10=", "WyJ4Il0=", "WzEuNV0=", "Wy0xXQ==", "WzFlMzAwXQ==", "A" * 5000):
        body = await gql.post("query($a: String) { affiliates(after: $a) { totalCount } }", a=cursor)
        assert error_codes(body) == ["BAD_USER_INPUT"], (cursor, body)
