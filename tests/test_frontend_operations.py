"""frontend-contract/operations: one named operation per screen, valid against the schema, and each
one run against the demo program with the token its screen uses (ADMIN, or the affiliate's own)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse, validate

from models.ledger.payment_details import Cipher
from schema import make_schema
from server import demo
from tests.api import add_paypal, create_affiliate, create_product, record_sale
from tests.clients import SECRET_KEY, GraphQLClient
from tests.live import Live
from tests.ws import connect

OPERATIONS = Path(__file__).resolve().parent.parent / "frontend-contract" / "operations"
SCREENS = {
    "AffiliatesTable",
    "AffiliateDetail",
    "ExportDialog",
    "DownloadFile",
    "MarkAsPaid",
    "VoidPayout",
    "PayoutDueToast",
    "AffiliateSelfService",
    "ProgramSettings",
    # the merchant's whole month (issue 22)
    "Dashboard",
    "AffiliateTotals",
    "SetApprovalStatus",
    "UpdateProgramSettings",
    "Products",
    "CreateProduct",
    "UpdateProduct",
    "CreateCommissionTier",
    "PayRuns",
    "Sales",
    "SaleFilterChoices",
    "RefundSale",
    "ApiTokens",
    "RevokeToken",
}


def operations() -> dict[str, str]:
    return {path.stem: path.read_text() for path in sorted(OPERATIONS.glob("*.graphql"))}


def test_one_named_operation_per_screen_valid_against_the_schema() -> None:
    found = operations()
    assert SCREENS <= found.keys()
    schema = make_schema()._schema
    for name, text in found.items():
        document = parse(text)
        (operation,) = document.definitions
        assert isinstance(operation, OperationDefinitionNode) and operation.name is not None
        assert operation.name.value == name, f"{name}.graphql names its operation {operation.name.value}"
        assert validate(schema, document) == [], name


async def run(gql: GraphQLClient, name: str, **variables: Any) -> dict[str, Any]:
    return await gql.ok(operations()[name], **variables)


def success(payload: dict[str, Any], typename: str) -> dict[str, Any]:
    assert payload["__typename"] == typename, payload
    return payload


async def toast_events(server: Live) -> tuple[Any, asyncio.Queue[dict[str, Any]]]:
    """PayoutDueToast over graphql-transport-ws, as the app sends it; events land in a queue."""
    events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    context = connect(server.url, {"authorization": f"Bearer {server.gql.token}"})
    ws = await context.__aenter__()
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(
        json.dumps(
            {
                "id": "toast",
                "type": "subscribe",
                "payload": {
                    "query": operations()["PayoutDueToast"],
                    "operationName": "PayoutDueToast",
                    "variables": {},
                },
            }
        )
    )

    async def pump() -> None:
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "next":
                assert "errors" not in message["payload"], message
                await events.put(message["payload"]["data"]["payoutBecameDue"])

    task = asyncio.create_task(pump())

    async def close() -> None:
        task.cancel()
        await context.__aexit__(None, None, None)

    return close, events


async def test_every_operation_runs_on_the_demo_program(live: Live) -> None:
    gql = live.gql
    await demo.seed(Cipher(SECRET_KEY), affiliates=40)
    close_toasts, toasts = await toast_events(live)
    try:
        await live.subscribed()

        first = await run(gql, "AffiliatesTable", filter={"paymentStatus": ["DUE"]}, sort="DUE_DESC", first=4)
        page = first["affiliates"]
        assert page["totalCount"] > 4 and page["pageInfo"]["hasNextPage"]
        second = (
            await run(
                gql,
                "AffiliatesTable",
                filter={"paymentStatus": ["DUE"]},
                sort="DUE_DESC",
                first=4,
                after=page["pageInfo"]["endCursor"],
            )
        )["affiliates"]
        ids = [e["node"]["id"] for e in page["edges"] + second["edges"]]
        assert len(set(ids)) == 8
        assert {e["node"]["paymentStatus"] for e in page["edges"] + second["edges"]} == {"DUE"}
        incomplete = (await run(gql, "AffiliatesTable", filter={"paymentStatus": ["DUE_INCOMPLETE"]}))["affiliates"]
        assert all(e["node"]["incompleteReasons"] for e in incomplete["edges"])

        detail = (await run(gql, "AffiliateDetail", id=ids[0]))["node"]
        assert detail["id"] == ids[0] and detail["sales"]["totalCount"] >= 2 and detail["balances"]

        settings = await run(gql, "ProgramSettings")
        assert settings["programSettings"]["minimumSales"] == demo.MINIMUM_SALES
        assert settings["products"]["totalCount"] == len(demo.PRODUCTS)

        export = success(
            (await run(gql, "ExportDialog", input={"scope": "PREFERRED", "affiliateIds": ids}))["exportPaymentDetails"],
            "ExportPaymentDetailsSuccess",
        )["export"]
        assert sum(g["affiliateCount"] for g in export["groups"]) + len(export["skipped"]) == len(ids)

        files = (await run(gql, "DownloadFile", exportId=export["id"]))["node"]["groups"]
        for group in files:
            for file in group["files"]:
                response = await gql.http.get(file["downloadUrl"], headers={"Authorization": f"Bearer {gql.token}"})
                rows = response.text.count("<EndToEndId>" if "xml" in response.headers["content-type"] else "PD-")
                assert response.status_code == 200 and rows == file["rows"]

        payouts = []
        for group in export["groups"]:
            paid = success(
                (await run(gql, "MarkAsPaid", input={"exportId": export["id"], "method": group["method"]}))[
                    "markAsPaid"
                ],
                "MarkAsPaidSuccess",
            )
            payouts += paid["payouts"]
        assert payouts and all(p["affiliate"]["paymentStatus"] != "DUE" for p in payouts)
        left = (await run(gql, "AffiliatesTable", filter={"paymentStatus": ["DUE"], "ids": ids}))["affiliates"]
        assert left["totalCount"] == len(export["skipped"])

        voided = success(
            (await run(gql, "VoidPayout", payoutId=payouts[0]["id"], reason="wrong account"))["voidPayout"],
            "VoidPayoutSuccess",
        )["payout"]
        assert voided["status"] == "VOIDED"

        token = success(
            (await run(gql, "CreateAffiliateToken", affiliateId=ids[1]))["createAffiliateToken"],
            "CreateAffiliateTokenSuccess",
        )["token"]
        affiliate = gql.as_token(token)
        me = (await run(affiliate, "AffiliateSelfService"))["me"]
        assert me["id"] == ids[1]
        updated = success(
            (
                await run(
                    affiliate,
                    "UpdatePaymentDetails",
                    input={"affiliateId": ids[1], "paypalEmail": "self.service@example.com", "preferred": "PAYPAL"},
                )
            )["updatePaymentDetails"],
            "UpdatePaymentDetailsSuccess",
        )["affiliate"]
        assert [m["type"] for m in updated["paymentMethods"] if m["preferred"]] == ["PAYPAL"]

        product = await create_product(
            gql,
            name="Instant",
            commissionFlat={"amount": "60.00", "currency": "USD"},
            milestones=[{"percent": "100", "delayDays": 0}],
        )
        newcomer = await create_affiliate(gql, "Toast Tester")
        await add_paypal(gql, newcomer, "toast@example.com")
        for n in (1, 2):
            await record_sale(gql, externalId=f"toast-{n}", productId=product, affiliateId=newcomer)
        async with asyncio.timeout(5):
            while (event := await toasts.get())["affiliate"]["id"] != newcomer:
                pass
        assert event["affiliate"]["paymentStatus"] == "DUE"
        assert event["due"] == [{"amount": "120.00", "currency": "USD"}]
    finally:
        await close_toasts()


async def test_the_month_pages_operations_run_on_the_demo_program(gql: GraphQLClient) -> None:
    """Dashboard, totals, approvals, settings and products forms, pay runs, sales and refunds, tokens."""
    await demo.seed(Cipher(SECRET_KEY), affiliates=30)
    dashboard = await run(gql, "Dashboard")
    assert {t["currency"] for t in dashboard["affiliateTotals"]} == {"USD", "EUR", "JPY"}
    assert len(dashboard["commissionByMonth"]) == 12 and any(m["paid"] for m in dashboard["commissionByMonth"])
    totals = await run(gql, "AffiliateTotals", filter={"paymentStatus": ["DUE"]})
    assert totals["programSettings"]["minimumPayout"] and totals["affiliateTotals"]

    pending = (await run(gql, "AffiliatesTable", filter={"approvalStatus": ["PENDING"]}))["affiliates"]["edges"]
    approved = success(
        (await run(gql, "SetApprovalStatus", affiliateId=pending[0]["node"]["id"], status="APPROVED"))[
            "setApprovalStatus"
        ],
        "SetApprovalStatusSuccess",
    )["affiliate"]
    assert approved["approvalStatus"] == "APPROVED"

    settings = {"minimumSales": 1, "minimumPayout": [{"amount": "25.00", "currency": "USD"}],
                "defaultMilestones": [{"percent": "100", "delayDays": 14}]}  # fmt: skip
    saved = success(
        (await run(gql, "UpdateProgramSettings", input=settings))["updateProgramSettings"],
        "UpdateProgramSettingsSuccess",
    )
    assert saved["settings"]["minimumPayout"] == [{"amount": "25.00", "currency": "USD"}]

    created = success(
        (
            await run(
                gql,
                "CreateProduct",
                input={
                    "name": "Masterclass",
                    "price": {"amount": "450.00", "currency": "EUR"},
                    "commissionPercent": "20",
                },
            )
        )["createProduct"],
        "CreateProductSuccess",
    )["product"]
    changed = {
        "productId": created["id"],
        "commissionFlat": {"amount": "75.00", "currency": "EUR"},
        "renewalMonths": 12,
    }
    success((await run(gql, "UpdateProduct", input=changed))["updateProduct"], "UpdateProductSuccess")
    tier = {"productId": created["id"], "name": "VIP", "commissionPercent": "30"}
    success((await run(gql, "CreateCommissionTier", input=tier))["createCommissionTier"], "CreateCommissionTierSuccess")
    products = [e["node"] for e in (await run(gql, "Products"))["products"]["edges"]]
    masterclass = next(p for p in products if p["name"] == "Masterclass")
    assert masterclass["commissionFlat"]["amount"] == "75.00" and masterclass["renewalMonths"] == 12
    assert [t["name"] for t in masterclass["tiers"]] == ["VIP"]

    runs = (await run(gql, "PayRuns"))["paymentExports"]
    assert runs["totalCount"] == len(demo.PAY_RUNS_DAYS_AGO)
    assert not runs["edges"][0]["node"]["paid"]  # the demo leaves its last run's CHECK group unpaid
    assert all(g["paid"] for e in runs["edges"][1:] for g in e["node"]["groups"])

    choices = await run(gql, "SaleFilterChoices")
    assert len(choices["affiliates"]["edges"]) == 30
    sales = (await run(gql, "Sales", filter={"status": ["COMPLETED"]}, first=5))["sales"]
    assert sales["totalCount"] > 5 and sales["pageInfo"]["hasNextPage"]
    sale = sales["edges"][0]["node"]
    refund = {"externalId": sale["externalId"], "amount": {"amount": "1", "currency": sale["amount"]["currency"]}}
    refunded = success((await run(gql, "RefundSale", input=refund))["refundSale"], "RefundSaleSuccess")["sale"]
    assert refunded["status"] == "PARTIALLY_REFUNDED"

    success(
        (await run(gql, "CreateAffiliateToken", affiliateId=approved["id"]))["createAffiliateToken"],
        "CreateAffiliateTokenSuccess",
    )
    tokens = (await run(gql, "ApiTokens"))["apiTokens"]["edges"]
    mine = next(t["node"] for t in tokens if t["node"]["affiliate"] and t["node"]["affiliate"]["id"] == approved["id"])
    success((await run(gql, "RevokeToken", id=mine["id"]))["revokeToken"], "RevokeTokenSuccess")
    assert mine["id"] not in {t["node"]["id"] for t in (await run(gql, "ApiTokens"))["apiTokens"]["edges"]}


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_the_generated_types_cover_every_screen(name: str) -> None:
    generated = (OPERATIONS.parent / "generated" / "graphql.ts").read_text()
    assert f"export const {name}Document" in generated, "run `npm run codegen` in frontend-contract/"
