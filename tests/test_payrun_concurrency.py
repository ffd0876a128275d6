"""Concurrent pay runs against the real server process: no commission is ever settled twice (rule 9).

The server is a real uvicorn subprocess (two workers on PostgreSQL, one on SQLite, whose
deployments are single-process) and ~20 markAsPaid calls are fired truly in parallel, mixing
export groups and ticked affiliate ids over the same affiliates.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api import BANK, EXPORT, PAY, create_affiliate, create_product, details, record_sale
from tests.clients import GraphQLClient, on_postgres
from tests.servers import migrated_server, read

AFFILIATES = 6
CALLS = 21


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    async with migrated_server(database_url, tmp_path / "server.log", workers=2 if on_postgres() else 1) as running:
        yield running.url
    assert "Traceback" not in read(running.log), read(running.log)


async def test_parallel_mark_as_paid_settles_each_installment_once(server: str):
    limits = httpx.Limits(max_connections=CALLS, max_keepalive_connections=CALLS)
    async with httpx.AsyncClient(base_url=server, limits=limits, timeout=60) as http:
        gql = GraphQLClient(http)
        product = await create_product(gql)  # 10.01 due per sale
        ids = []
        for n in range(AFFILIATES):
            aff = await create_affiliate(gql, f"Aff{n} Lee", email=f"aff{n}@example.com")
            await details(gql, aff, paypalEmail=f"aff{n}@example.com", bankWire=BANK)
            for s in range(2):
                await record_sale(gql, externalId=f"s-{n}-{s}", productId=product, affiliateId=aff)
            ids.append(aff)
        export = (await gql.ok(EXPORT, input={"scope": "PROVIDED", "affiliateIds": ids}))["exportPaymentDetails"]
        export_id = export["export"]["id"]

        calls: list[dict[str, Any]] = []
        for i in range(CALLS):
            if i % 3 == 0:
                calls.append({"exportId": export_id, "method": "PAYPAL"})
            elif i % 3 == 1:
                calls.append({"exportId": export_id, "method": "BANK_WIRE"})
            else:
                calls.append({"affiliateIds": ids[i % 4 :: 2], "method": "CHECK"})
        results = await asyncio.gather(*(gql.ok(PAY, input=c) for c in calls))

        paid_by_calls = 0
        for result in results:
            payload = result["markAsPaid"]
            assert "payouts" in payload or payload["code"] in {"ALREADY_PAID", "CONFLICT"}, payload
            paid_by_calls += sum(int(p["amount"]["amount"].replace(".", "")) for p in payload.get("payouts", []))
        assert paid_by_calls == AFFILIATES * 2002  # every cent paid once, across all calls

        for aff in ids:
            data = await gql.ok(
                """query($id: ID!) { node(id: $id) { ... on Affiliate {
                  balances { due { amount } paid { amount } earned { amount } }
                  payouts { edges { node { status amount { amount } } } }
                  sales { edges { node { installments { state } } } } } } }""",
                id=aff,
            )
            node = data["node"]
            live = [p["node"] for p in node["payouts"]["edges"] if p["node"]["status"] == "PAID"]
            assert sum(int(p["amount"]["amount"].replace(".", "")) for p in live) == 2002
            assert node["balances"] == [
                {"due": {"amount": "0.00"}, "paid": {"amount": "20.02"}, "earned": {"amount": "20.02"}}
            ]
            states = {i["state"] for s in node["sales"]["edges"] for i in s["node"]["installments"]}
            assert states == {"PAID"}
