"""Property-based fuzzing from the schema itself (hypothesis-graphql) against the real app over HTTP.

Whatever the operation, valid or not, and whoever sends it: no 5xx, no masked internal error,
every error carries a code, and the ledger identity earned = reserve + due + paid - owed holds
for every Balance row afterwards.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx
import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes

from models.enums import Role
from models.ledger import access
from models.tables.affiliates import Balance
from schema import default_schema
from schema.ids import to_global_id
from tests.api import add_paypal, create_affiliate, create_product, record_sale, refund_sale
from tests.clients import ADMIN_TOKEN, GraphQLClient

schema = default_schema()

# CI runs the same 60 examples each time; PAYOUTS_FUZZ_EXAMPLES=2000 explores at random for longer.
EXAMPLES = int(os.environ.get("PAYOUTS_FUZZ_EXAMPLES", "60"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="PAYOUTS_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
SDL = schema.as_str()
KNOWN_CODES = {
    "VALIDATION",
    "NOT_FOUND",
    "FORBIDDEN",
    "CURRENCY_MISMATCH",
    "AFFILIATE_DECLINED",
    "REFUND_EXCEEDS_SALE",
    "ALREADY_PAID",
    "INSTANT_PAYOUT",
    "CONFLICT",
}


def ids() -> st.SearchStrategy[Any]:
    """Mostly ids of objects that exist (the seed makes pk 1 to 3 of each), sometimes anything at all."""
    types = ["Affiliate", "Product", "Sale", "Payout", "PaymentExport", "ApiToken", "AuditEntry", "TaxYearReport"]
    real = st.sampled_from([to_global_id(t, pk) for t in types for pk in (1, 2, 3)])
    return st.one_of(real, real, real, st.text(max_size=30)).map(nodes.String)


SCALARS = {
    "ID": ids(),
    "Decimal": st.one_of(
        st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, places=3).map(str),
        st.sampled_from(["0", "1", "12.50", "100", "1e400", "-0", "NaN", "Infinity", "", "1.2.3"]),
    ).map(nodes.String),
    "DateTime": st.one_of(
        st.datetimes().map(lambda d: d.isoformat() + "+00:00"),
        st.sampled_from(["2026-11-23T18:31:21+00:00", "yesterday", "9999-12-31T23:59:59+14:00", ""]),
    ).map(nodes.String),
    "Date": st.one_of(
        st.dates().map(lambda d: d.isoformat()),
        st.sampled_from(["2026-01-10", "2023-06-15", "1999-12-31", "2026-02-30", "today", ""]),
    ).map(nodes.String),
    "JSON": st.just(nodes.String("{}")),
}


async def seed(gql: GraphQLClient) -> dict[str, str]:
    """Some of everything, so that generated ids hit real rows; returns a token per role."""
    products = [await create_product(gql, name=f"P{i}") for i in range(3)]
    affiliates = []
    for i, mode in enumerate(("MANUAL", "PAYPAL_INSTANT", "MANUAL")):
        affiliates.append(await create_affiliate(gql, f"Aff{i} Lee", email=f"a{i}@example.com", payoutMode=mode))
        await add_paypal(gql, affiliates[-1], f"pay{i}@example.com")
    for i in range(3):
        await record_sale(gql, externalId=f"s{i}", productId=products[i], affiliateId=affiliates[i])
    await refund_sale(gql, externalId="s0", amount={"amount": "10.00", "currency": "USD"})
    _, viewer = await access.create_token("fuzz", Role.VIEWER)
    _, affiliate = await access.create_token("fuzz", Role.AFFILIATE, affiliate_id=1)
    return {"ADMIN": ADMIN_TOKEN, "VIEWER": viewer, "AFFILIATE": affiliate}


def check_response(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    body = response.json()
    for error in body.get("errors") or []:
        assert error["message"] != "Internal error", body
        assert error.get("extensions", {}).get("code"), body
    for payload in (body.get("data") or {}).values():  # mutation payload members: codes from the contract
        if isinstance(payload, dict) and "code" in payload:
            assert payload["code"] in KNOWN_CODES, payload


async def check_ledger() -> None:
    for b in await Balance.all():
        assert b.earned == b.reserve + b.due_installments + b.paid - b.owed, vars(b)
        assert min(b.earned, b.reserve, b.due_installments, b.paid, b.owed) >= 0, vars(b)


@pytest.fixture
async def tokens(gql: GraphQLClient) -> dict[str, str]:
    return await seed(gql)


STRATEGIES = {
    # Valid operations (no NUL: the input guard would refuse most of them before the resolvers).
    "queries": hypothesis_graphql.queries(SDL, custom_scalars=SCALARS, allow_x00=False),
    "mutations": hypothesis_graphql.mutations(SDL, custom_scalars=SCALARS, allow_x00=False),
    # Invalid ones: wrong types, missing arguments, unknown values; with NUL characters too.
    "invalid": hypothesis_graphql.from_schema(SDL, custom_scalars=SCALARS, mode=hypothesis_graphql.Mode.NEGATIVE),
}


@pytest.mark.parametrize("kind", sorted(STRATEGIES))
async def test_generated_operations(
    client: httpx.AsyncClient, gql: GraphQLClient, tokens: dict[str, str], kind: str
) -> None:
    """Hypothesis drives from a worker thread; each example runs on the app's own event loop."""
    loop = asyncio.get_running_loop()
    strategy = STRATEGIES[kind]
    changes_before = (await gql.ok("{ auditLog(first: 0) { totalCount } }"))["auditLog"]["totalCount"]

    async def example(query: str, role: str) -> None:
        response = await client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {tokens[role]}"}
        )
        check_response(response)
        await check_ledger()

    @SETTINGS
    @given(query=strategy, role=st.sampled_from(sorted(tokens)))
    def run(query: str, role: str) -> None:
        asyncio.run_coroutine_threadsafe(example(query, role), loop).result()

    await asyncio.to_thread(run)
    changes = (await gql.ok("{ auditLog(first: 0) { totalCount } }"))["auditLog"]["totalCount"] - changes_before
    if kind == "mutations":
        assert changes > 0, "no generated mutation got through to the ledger: the fuzzing is too shallow"
    else:
        assert changes == 0, "a query or an invalid operation changed something"
