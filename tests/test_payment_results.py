"""Rule 20 end to end: PayPal batch details and returns CSVs imported, voids with their reason, the
PAYMENT_RETURNED hold until the details change, idempotent re-import, recordPaymentReturn."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from models.enums import Role
from models.tables.tokens import ApiToken, hash_token, new_token
from tests.api import ERROR, VOID, affiliate, create_product, details, due_affiliate, export, pay
from tests.clients import SECRET_KEY, GraphQLClient

ROOT = Path(__file__).resolve().parent.parent

IMPORT = f"""mutation($input: ImportPaymentResultsInput!) {{ importPaymentResults(input: $input) {{
  ... on ImportPaymentResultsSuccess {{ import {{ id format lineCount counts {{ outcome count }} export {{ id }}
    lines {{ totalCount edges {{ node {{ line reference externalId status outcome message payout {{ id }} }} }} }} }} }}
  {ERROR} }} }}"""
PAYOUT = """query($id: ID!) { node(id: $id) { ... on Payout { id status voidReason voidSource exportReference
  resultStatus voidedAt amount { amount currency } } } }"""
RETURNED = """query($id: ID!) { node(id: $id) { ... on Affiliate { paymentStatus
  incompleteReasons { reason message } paymentReturned { reason method returnedAt payout { id } } } } }"""
RECORD = f"""mutation($id: ID!, $reason: String!) {{ recordPaymentReturn(payoutId: $id, reason: $reason) {{
  ... on VoidPayoutSuccess {{ payout {{ id status voidSource voidReason }} }} {ERROR} }} }}"""


def batch_details(*items: dict[str, Any]) -> str:
    """The body of PayPal's GET /v1/payments/payouts/{payout_batch_id}, as its published schema shapes it."""
    return json.dumps(
        {
            "batch_header": {
                "payout_batch_id": "FYXMPQTX4JC9N",
                "batch_status": "SUCCESS",
                "time_created": "2026-12-01T10:00:00Z",
                "time_completed": "2026-12-01T10:01:00Z",
                "sender_batch_header": {"sender_batch_id": "Payouts_2026_100007", "email_subject": "Commission"},
                "amount": {"currency": "USD", "value": "10.01"},
                "fees": {"currency": "USD", "value": "0.00"},
            },
            "items": list(items),
            "links": [{"href": "https://api-m.paypal.com/v1/payments/payouts/FYXMPQTX4JC9N", "rel": "self"}],
        }
    )


def item(
    item_id: str, status: str, sender_item_id: str | None, receiver: str, amount: str = "10.01", **extra: Any
) -> dict[str, Any]:
    payout_item: dict[str, Any] = {
        "recipient_type": "EMAIL",
        "amount": {"currency": "USD", "value": amount},
        "note": "Commission",
        "receiver": receiver,
        "recipient_wallet": "PAYPAL",
    }
    if sender_item_id is not None:
        payout_item["sender_item_id"] = sender_item_id
    return {
        "payout_item_id": item_id,
        "transaction_id": f"T{item_id}",
        "activity_id": f"A{item_id}",
        "transaction_status": status,
        "payout_item_fee": {"currency": "USD", "value": "0.00"},
        "payout_batch_id": "FYXMPQTX4JC9N",
        "payout_item": payout_item,
        "time_processed": "2026-12-03T09:30:00Z",
        "links": [],
        **extra,
    }


async def paid_paypal_export(gql: GraphQLClient) -> tuple[str, dict[str, str], dict[str, str]]:
    """Two PayPal payees (Ann, Bob) exported and marked paid: the export, their ids, their payouts."""
    product = await create_product(gql)  # USD 10.01 each
    ann = await due_affiliate(gql, product, "Ann Lee", "s-1")
    bob = await due_affiliate(gql, product, "Bob Roe", "s-2")
    export_id = (await export(gql, scope="PROVIDED", affiliateIds=[ann, bob]))["export"]["id"]
    payouts = (await pay(gql, exportId=export_id, method="PAYPAL"))["payouts"]
    by_affiliate = {p["affiliate"]["id"]: p["id"] for p in payouts}
    return export_id, {"ann": ann, "bob": bob}, {"ann": by_affiliate[ann], "bob": by_affiliate[bob]}


def number(global_id: str) -> str:
    import base64

    return base64.urlsafe_b64decode(global_id).decode().split(":")[1]


async def run_import(gql: GraphQLClient, fmt: str, content: str, export_id: str | None = None) -> dict[str, Any]:
    data = await gql.ok(IMPORT, input={"format": fmt, "content": content, "exportId": export_id})
    return data["importPaymentResults"]


def outcomes(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["node"]["status"], e["node"]["outcome"]) for e in result["import"]["lines"]["edges"]]


async def test_paypal_returned_voids_holds_and_reimport_changes_nothing(gql):
    export_id, ids, payouts = await paid_paypal_export(gql)
    endpoint = f"""mutation($input: CreateWebhookEndpointInput!) {{ createWebhookEndpoint(input: $input) {{
      __typename {ERROR} }} }}"""
    hook = {"url": "https://hooks.example.com/desk", "eventTypes": ["payout.voided"]}
    assert "Error" not in (await gql.ok(endpoint, input=hook))["createWebhookEndpoint"]["__typename"]
    content = batch_details(
        item("DUCD94GX5M8NQ", "RETURNED", number(ids["ann"]), "ann.pay@example.com"),
        item("KLMN12345", "SUCCESS", None, "BOB.pay@example.com"),  # no sender_item_id: matched by receiver
    )
    result = await run_import(gql, "PAYPAL_PAYOUTS_JSON", content, export_id)
    assert outcomes(result) == [("RETURNED", "VOIDED"), ("SUCCESS", "CONFIRMED")]
    assert result["import"]["lineCount"] == 2 and result["import"]["export"] == {"id": export_id}
    first = result["import"]["lines"]["edges"][0]["node"]
    assert first["payout"] == {"id": payouts["ann"]} and first["externalId"] == "DUCD94GX5M8NQ"
    voided = (await gql.ok(PAYOUT, id=payouts["ann"]))["node"]
    assert (voided["status"], voided["voidSource"], voided["voidReason"], voided["resultStatus"]) == (
        "VOIDED",
        "PAYMENT_RESULT",
        "PayPal RETURNED",
        "RETURNED",
    )
    assert voided["exportReference"].startswith("PD-")
    confirmed = (await gql.ok(PAYOUT, id=payouts["bob"]))["node"]
    assert (confirmed["status"], confirmed["resultStatus"]) == ("PAID", "SUCCESS")
    ann = (await gql.ok(RETURNED, id=ids["ann"]))["node"]
    assert ann["paymentStatus"] == "DUE_INCOMPLETE"
    assert ann["incompleteReasons"] == [
        {
            "reason": "PAYMENT_RETURNED",
            "message": "USD 10.01 payment returned on 2026-12-03 (PayPal RETURNED): update the payment details",
        }
    ]
    assert ann["paymentReturned"] == {
        "reason": "PayPal RETURNED",
        "method": "PAYPAL",
        "returnedAt": "2026-12-03T09:30:00+00:00",
        "payout": {"id": payouts["ann"]},
    }
    assert (await affiliate(gql, ids["ann"]))["balances"][0]["due"]["amount"] == "10.01"
    messages = await gql.ok('{ webhookMessages(type: "payout.voided") { totalCount } }')
    assert messages["webhookMessages"]["totalCount"] == 1  # 20.2: the void is announced

    again = await run_import(gql, "PAYPAL_PAYOUTS_JSON", content, export_id)
    assert outcomes(again) == [("RETURNED", "ALREADY_APPLIED"), ("SUCCESS", "ALREADY_APPLIED")]
    assert again["import"]["counts"] == [{"outcome": "ALREADY_APPLIED", "count": 2}]
    assert (await affiliate(gql, ids["ann"]))["balances"][0]["due"]["amount"] == "10.01"

    await details(gql, ids["ann"], paypalEmail="ann.new@example.com")
    ann = (await gql.ok(RETURNED, id=ids["ann"]))["node"]
    assert (ann["paymentStatus"], ann["paymentReturned"], ann["incompleteReasons"]) == ("DUE", None, [])


async def test_unclaimed_never_voids_until_returned(gql):
    export_id, ids, payouts = await paid_paypal_export(gql)
    unclaimed = batch_details(item("ITEM1", "UNCLAIMED", number(ids["ann"]), "ann.pay@example.com"))
    assert outcomes(await run_import(gql, "PAYPAL_PAYOUTS_JSON", unclaimed, export_id)) == [("UNCLAIMED", "PENDING")]
    payout = (await gql.ok(PAYOUT, id=payouts["ann"]))["node"]
    assert (payout["status"], payout["resultStatus"]) == ("PAID", "UNCLAIMED")
    returned = batch_details(item("ITEM1", "RETURNED", number(ids["ann"]), "ann.pay@example.com"))
    assert outcomes(await run_import(gql, "PAYPAL_PAYOUTS_JSON", returned, export_id)) == [("RETURNED", "VOIDED")]


async def test_paypal_lines_that_match_nothing_or_differ(gql):
    export_id, ids, _ = await paid_paypal_export(gql)
    pages = json.dumps(
        [
            json.loads(batch_details(item("I1", "FAILED", "999", "nobody@example.com"))),
            json.loads(batch_details(item("I2", "FAILED", number(ids["bob"]), "bob.pay@example.com", amount="9.99"))),
            json.loads(batch_details(item("I3", "WEIRD", number(ids["bob"]), "bob.pay@example.com"))),
        ]
    )
    result = await run_import(gql, "PAYPAL_PAYOUTS_JSON", pages, export_id)
    assert outcomes(result) == [("FAILED", "UNMATCHED"), ("FAILED", "MISMATCH"), ("WEIRD", "INVALID")]
    assert [e["node"]["line"] for e in result["import"]["lines"]["edges"]] == [1, 2, 3]
    assert (await gql.ok(RETURNED, id=ids["bob"]))["node"]["paymentStatus"] == "NOTHING_DUE"


async def test_returns_csv(gql, client, clock):
    export_id, ids, payouts = await paid_paypal_export(gql)
    ann_ref = (await gql.ok(PAYOUT, id=payouts["ann"]))["node"]["exportReference"]
    bob_ref = (await gql.ok(PAYOUT, id=payouts["bob"]))["node"]["exportReference"]
    today = f"{clock():%Y-%m-%d}"
    content = (
        "Status,Reference,Amount,Currency,Reason,Date,Bank note\r\n"
        f"RETURNED,{ann_ref},10.01,USD,account closed,{today},x\r\n"
        f"PAID,{payouts['bob']},,,,,\r\n"
        f"RETURNED,{bob_ref},10.00,USD,,,\r\n"
        f"MAYBE,{bob_ref},,,,,\r\n"
        f"RETURNED,PD-{int(number(export_id)) + 1}-999,,,,,\r\n"
        "RETURNED,PD-1-1,,,,2999-01-01,\r\n"
    )
    result = await run_import(gql, "RETURNS_CSV", content, export_id)
    assert outcomes(result) == [
        ("RETURNED", "VOIDED"),
        ("PAID", "CONFIRMED"),
        ("RETURNED", "MISMATCH"),
        ("MAYBE", "INVALID"),
        ("RETURNED", "UNMATCHED"),
        ("RETURNED", "INVALID"),
    ]
    assert [e["node"]["line"] for e in result["import"]["lines"]["edges"]] == [2, 3, 4, 5, 6, 7]
    assert (await gql.ok(PAYOUT, id=payouts["ann"]))["node"]["voidReason"] == "RETURNED: account closed"
    held = (await gql.ok(RETURNED, id=ids["ann"]))["node"]["paymentReturned"]
    assert held["returnedAt"] == f"{today}T00:00:00+00:00"
    again = await run_import(gql, "RETURNS_CSV", f"reference,status\r\n{ann_ref},RETURNED\r\n")
    assert outcomes(again) == [("RETURNED", "ALREADY_APPLIED")]
    # A row of an export nobody marked paid: nothing to void.
    cid = await due_affiliate(gql, await create_product(gql, name="Other"), "Cid Moe", "s-3")
    unpaid = (await export(gql, scope="PROVIDED", affiliateIds=[cid]))["export"]
    file = await client.get(
        unpaid["groups"][0]["files"][0]["downloadUrl"], headers={"Authorization": "Bearer test-admin-token"}
    )
    cid_ref = file.text.split(",")[4].split()[1]
    not_paid = await run_import(gql, "RETURNS_CSV", f"reference,status\r\n{cid_ref},FAILED\r\n")
    assert outcomes(not_paid) == [("FAILED", "NOT_PAID")]


async def test_unreadable_files_record_nothing(gql):
    export_id, _, _ = await paid_paypal_export(gql)
    for fmt, content, export_of, field in [
        ("PAYPAL_PAYOUTS_JSON", "not json", export_id, "content"),
        ("PAYPAL_PAYOUTS_JSON", '{"batch_header": {}}', export_id, "content"),
        ("PAYPAL_PAYOUTS_JSON", batch_details(), None, "exportId"),
        ("RETURNS_CSV", "", None, "content"),
        ("RETURNS_CSV", "ref,state\r\nPD-1-1,RETURNED\r\n", None, "content"),
        ("RETURNS_CSV", "reference,status\r\n", "UGF5bWVudEV4cG9ydDo5OTk=", "exportId"),
    ]:
        refused = await run_import(gql, fmt, content, export_of)
        assert refused["field"] == field and refused["code"] in ("VALIDATION", "NOT_FOUND"), refused
    imports = await gql.ok("{ paymentResultImports { totalCount } }")
    assert imports["paymentResultImports"]["totalCount"] == 0


async def test_record_payment_return_and_void_payout(gql):
    _, ids, payouts = await paid_paypal_export(gql)
    recorded = (await gql.ok(RECORD, id=payouts["ann"], reason="R01 account closed"))["recordPaymentReturn"]
    assert recorded["payout"] == {
        "id": payouts["ann"],
        "status": "VOIDED",
        "voidSource": "PAYMENT_RESULT",
        "voidReason": "R01 account closed",
    }
    assert (await gql.ok(RETURNED, id=ids["ann"]))["node"]["paymentStatus"] == "DUE_INCOMPLETE"
    again = (await gql.ok(RECORD, id=payouts["ann"], reason="again"))["recordPaymentReturn"]
    assert again["code"] == "CONFLICT"
    await gql.ok(VOID, id=payouts["bob"], reason="typo")
    bob = (await gql.ok(RETURNED, id=ids["bob"]))["node"]
    assert (bob["paymentStatus"], bob["paymentReturned"]) == ("DUE", None)
    assert (await gql.ok(PAYOUT, id=payouts["bob"]))["node"]["voidSource"] == "MANUAL"
    viewer = new_token()
    await ApiToken.create(token_hash=hash_token(viewer), role=Role.VIEWER)
    refused = await gql.as_token(viewer).ok(RECORD, id=payouts["bob"], reason="x")
    assert refused["recordPaymentReturn"]["code"] == "FORBIDDEN"
    refused = await gql.as_token(viewer).ok(IMPORT, input={"format": "RETURNS_CSV", "content": "reference,status"})
    assert refused["importPaymentResults"]["code"] == "FORBIDDEN"
    assert (await gql.as_token(viewer).ok("{ paymentResultImports { totalCount } }"))["paymentResultImports"]


async def test_http_route(gql, client):
    export_id, ids, payouts = await paid_paypal_export(gql)
    url = "/imports/payment-results"
    content = batch_details(item("H1", "RETURNED", number(ids["ann"]), "ann.pay@example.com")).encode()
    params = {"format": "PAYPAL_PAYOUTS_JSON", "exportId": export_id}
    assert (await client.post(url, params=params, content=content)).status_code == 401
    viewer = new_token()
    await ApiToken.create(token_hash=hash_token(viewer), role=Role.VIEWER)
    assert (await client.post(url, params=params, content=content, headers=bearer(viewer))).status_code == 403
    admin = bearer("test-admin-token")
    bad = await client.post(url, params={**params, "format": "XML"}, content=content, headers=admin)
    assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "format"}
    unreadable = await client.post(url, params=params, content=b"{nope", headers=admin)
    assert unreadable.status_code == 400
    assert unreadable.json()["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "content"}
    unknown = await client.post(
        url, params={**params, "exportId": "UGF5bWVudEV4cG9ydDo5OTk="}, content=content, headers=admin
    )
    assert unknown.status_code == 404
    huge = await client.post(url, params=params, content=b" " * (10 * 1024 * 1024 + 1), headers=admin)
    assert huge.status_code == 413
    assert (await gql.ok("{ paymentResultImports { totalCount } }"))["paymentResultImports"]["totalCount"] == 0
    done = await client.post(url, params=params, content=content, headers={**admin, "Content-Type": "text/plain"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["lineCount"] == 1 and body["counts"] == {"VOIDED": 1}
    listed = await gql.ok("{ paymentResultImports { edges { node { id format lineCount } } } }")
    assert listed["paymentResultImports"]["edges"] == [
        {"node": {"id": body["importId"], "format": "PAYPAL_PAYOUTS_JSON", "lineCount": 1}}
    ]
    assert (await gql.ok(PAYOUT, id=payouts["ann"]))["node"]["status"] == "VOIDED"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_cli_import_results(gql, database_url, tmp_path):
    export_id, ids, payouts = await paid_paypal_export(gql)
    env = {**os.environ, "PAYOUTS_DATABASE_URL": database_url, "PAYOUTS_SECRET_KEY": SECRET_KEY}
    good = tmp_path / "returns.csv"
    ref = (await gql.ok(PAYOUT, id=payouts["bob"]))["node"]["exportReference"]
    good.write_text(f"reference,status,reason\n{ref},RETURNED,account closed\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing,here\n")
    results = []
    for path in (bad, good):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server",
            "import-results",
            str(path),
            "--format",
            "RETURNS_CSV",
            "--export",
            number(export_id),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        results.append((process.returncode, out.decode(), err.decode()))
    assert results[0][0] == 2 and results[0][1] == "" and "reference and status" in results[0][2]
    code, printed, said = results[1]
    assert code == 0, said
    listed = await gql.ok("{ paymentResultImports { edges { node { id } } } }")
    assert printed.strip() == listed["paymentResultImports"]["edges"][0]["node"]["id"]
    assert "VOIDED 1" in said
    assert (await gql.ok(PAYOUT, id=payouts["bob"]))["node"]["voidReason"] == "RETURNED: account closed"


async def test_hostile_lines_are_invalid_not_errors(gql):
    export_id, ids, _ = await paid_paypal_export(gql)
    long = "x" * 5000
    paypal = batch_details(item(long, "RETURNED", long, "ann.pay@example.com"), {"transaction_status": 7})
    assert outcomes(await run_import(gql, "PAYPAL_PAYOUTS_JSON", paypal, export_id)) == [
        ("RETURNED", "INVALID"),
        ("7", "INVALID"),
    ]
    returns = f"reference,status,reason\r\n{long},RETURNED,\r\nPD-1-1,{long},\r\nPD-1-1,RETURNED,{long}\r\n"
    assert [o for _, o in outcomes(await run_import(gql, "RETURNS_CSV", returns))] == ["INVALID"] * 3


async def test_the_same_file_imported_twice_at_once_voids_once(gql):
    export_id, ids, payouts = await paid_paypal_export(gql)
    content = batch_details(item("C1", "RETURNED", number(ids["ann"]), "ann.pay@example.com"))
    first, second = await asyncio.gather(
        run_import(gql, "PAYPAL_PAYOUTS_JSON", content, export_id),
        run_import(gql, "PAYPAL_PAYOUTS_JSON", content, export_id),
    )
    assert sorted(outcomes(first) + outcomes(second)) == [("RETURNED", "ALREADY_APPLIED"), ("RETURNED", "VOIDED")]
    ann = await affiliate(gql, ids["ann"])
    assert (ann["balances"][0]["due"]["amount"], ann["balances"][0]["paid"]["amount"]) == ("10.01", "0.00")
