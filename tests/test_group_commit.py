"""Concurrent recordSale calls booked together (group commit) against a real server: each keeps its own answer.

Many calls at once, mixing valid sales, invalid ones (declined affiliate, currency mismatch, unknown
product, a date in the future, a renewal naming another affiliate), repeated externalIds and
renewals against a payment limit, are sent to `uvicorn` (4 workers on PostgreSQL, where the
workers also race each other; 1 on SQLite). Every caller must get exactly what it would get
alone, and the books must balance afterwards.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from schema.ids import to_global_id
from tests.api import BALANCES, ERROR, KARTRA, add_paypal, create_affiliate, create_product
from tests.clients import GraphQLClient, StatementCounter, on_postgres
from tests.servers import ServerProcess, migrated_server, read
from tests.test_race import ledger_holds

SALE = f"""mutation($input: RecordSaleInput!) {{ recordSale(input: $input) {{
  ... on RecordSaleSuccess {{ created sale {{ id externalId renewal commission {{ amount currency }}
    commissionEndedReason installments {{ state }} }} }} {ERROR} }} }}"""
FIGURES = f"""query($id: ID!) {{ node(id: $id) {{ ... on Affiliate {{ salesCount {BALANCES} }} }} }}"""
ROUNDS = 3


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    async with migrated_server(database_url, tmp_path / "server.log", workers=4 if on_postgres() else 1) as running:
        yield running


def orders(w: dict[str, str], n: int) -> list[tuple[str, dict[str, Any]]]:
    """Round `n`: (what each caller must get, its input), in the order they are sent."""
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    valid = [(f"ok-{n}-{k}", w["ann"] if k % 2 else w["bob"]) for k in range(12)]
    return [
        *[
            ("created" if k >= 4 else "repeat", {"externalId": e, "productId": w["course"], "affiliateId": a})
            for k, (e, a) in enumerate(valid)
        ],
        *[
            ("instant", {"externalId": f"ivy-{n}-{k}", "productId": w["course"], "affiliateId": w["ivy"]})
            for k in range(3)
        ],
        ("AFFILIATE_DECLINED", {"externalId": f"cid-{n}", "productId": w["course"], "affiliateId": w["cid"]}),
        (
            "CURRENCY_MISMATCH",
            {
                "externalId": f"eur-{n}",
                "productId": w["course"],
                "affiliateId": w["ann"],
                "amount": {"amount": "5.00", "currency": "EUR"},
            },
        ),
        ("NOT_FOUND", {"externalId": f"gone-{n}", "productId": w["missing"], "affiliateId": w["ann"]}),
        (
            "VALIDATION",
            {"externalId": f"later-{n}", "productId": w["course"], "affiliateId": w["ann"], "occurredAt": future},
        ),
        (
            "VALIDATION",
            {"externalId": f"other-{n}", "productId": w["monthly"], "affiliateId": w["bob"], "subscriptionId": "sub_1"},
        ),
        # the first four externalIds again, at the same time: one of the two creates, the other is a retry
        *[("repeat", {"externalId": e, "productId": w["course"], "affiliateId": a}) for e, a in valid[:4]],
        # renewals of sub_1 (initial booked to ann): only the first renewalPayments (2) earn
        *[
            ("renewal", {"externalId": f"renew-{n}-{k}", "productId": w["monthly"], "subscriptionId": "sub_1"})
            for k in range(3)
        ],
    ]


async def world(gql: GraphQLClient) -> dict[str, str]:
    w = {
        "course": await create_product(gql, milestones=KARTRA),  # USD 100.10, 10 %: 10.01 per sale
        "monthly": await create_product(gql, name="Monthly", renewalPayments=2),
        "ann": await create_affiliate(gql, "Ann Lee"),
        "bob": await create_affiliate(gql, "Bob Ray", email="bob@example.com"),
        "ivy": await create_affiliate(gql, "Ivy Sun", email="ivy@example.com", payoutMode="PAYPAL_INSTANT"),
        "cid": await create_affiliate(gql, "Cid Moe", email="cid@example.com", approvalStatus="DECLINED"),
    }
    w["missing"] = to_global_id("Product", 999_999)
    for name in ("ann", "bob", "ivy"):
        await add_paypal(gql, w[name], email=f"{name}.pay@example.com")
    initial = await gql.ok(
        SALE,
        input={"externalId": "sub-0", "productId": w["monthly"], "affiliateId": w["ann"], "subscriptionId": "sub_1"},
    )
    assert initial["recordSale"]["created"]
    return w


def check(expected: str, answer: dict[str, Any]) -> None:
    """One caller's answer is what it would be alone (repeats and renewals are checked across callers)."""
    if expected in ("created", "instant"):
        assert answer["created"], answer
        states = {i["state"] for i in answer["sale"]["installments"]}
        assert states == ({"PAID"} if expected == "instant" else {"DUE", "HELD"}), answer
    elif expected in ("repeat", "renewal"):
        assert "sale" in answer, answer
    else:
        assert answer["code"] == expected, answer


async def test_concurrent_record_sales_each_get_their_own_answer_and_the_books_balance(
    server: ServerProcess, database_url: str
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=httpx.Limits(max_connections=64)) as http:
        gql = GraphQLClient(http)
        w = await world(gql)
        repeats: Counter[str] = Counter()
        renewals: list[dict[str, Any]] = []
        for n in range(ROUNDS):
            sent = orders(w, n)
            answers = await asyncio.gather(*(gql.ok(SALE, input=body) for _, body in sent))
            by_id: dict[str, set[str]] = {}
            for (expected, body), data in zip(sent, answers, strict=True):
                answer = data["recordSale"]
                check(expected, answer)
                if "sale" in answer:
                    by_id.setdefault(body["externalId"], set()).add(answer["sale"]["id"])
                    repeats[body["externalId"]] += answer["created"]
                if expected == "renewal":
                    renewals.append(answer["sale"])
            assert all(len(ids) == 1 for ids in by_id.values()), by_id  # a repeat is the first sale
        assert set(repeats.values()) == {1}  # every externalId created exactly once, whoever came first
        assert all(r["renewal"] for r in renewals)
        earning = [r for r in renewals if r["commissionEndedReason"] is None]
        assert len(earning) == 2, renewals  # the limit holds however the renewals were batched
        assert all(r["commissionEndedReason"].startswith("renewalPayments") for r in renewals if r not in earning)
        for name, sales in (("ann", 9 * ROUNDS + 1), ("bob", 6 * ROUNDS), ("ivy", 3 * ROUNDS)):
            node = (await gql.ok(FIGURES, id=w[name]))["node"]
            assert node["salesCount"] == sales, (name, node)
    await ledger_holds(database_url)
    assert "Traceback" not in read(server.log), read(server.log)[-3000:]


async def test_concurrent_calls_share_transactions(gql: GraphQLClient, sql_statements: StatementCounter) -> None:
    """Twenty calls at once cost about two bookings' statements, not twenty (the first books alone)."""
    product = await create_product(gql, milestones=KARTRA)
    affiliates = [await create_affiliate(gql, f"Ann{n} Lee", email=f"ann{n}@example.com") for n in range(4)]
    sql_statements.statements.clear()
    await gql.ok(SALE, input={"externalId": "alone", "productId": product, "affiliateId": affiliates[0]})
    alone = len(sql_statements.statements)
    sql_statements.statements.clear()
    answers = await asyncio.gather(
        *(
            gql.ok(SALE, input={"externalId": f"s-{n}", "productId": product, "affiliateId": affiliates[n % 4]})
            for n in range(20)
        )
    )
    assert all(a["recordSale"]["created"] for a in answers)
    print(f"\nstatements: one call alone {alone}, twenty at once {len(sql_statements.statements)}")
    assert len(sql_statements.statements) <= 3 * alone, "\n".join(s[:120] for s in sql_statements.statements)
