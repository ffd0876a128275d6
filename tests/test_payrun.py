"""The pay run end to end through the real app: export, download, mark as paid, void (rules 8 and 9)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from pathlib import Path
from typing import Any

from models.enums import Role
from models.ledger import payrun
from models.ledger.payment_details import Cipher
from models.tables.affiliates import PaymentMethod
from models.tables.audit import AuditEntry
from models.tables.sales import Installment
from models.tables.tokens import ApiToken
from models.tokens import hash_token, new_token
from schema.ids import to_global_id
from tests.api import (
    BANK,
    ERROR,
    EXPORT,
    PAY,
    VOID,
    add_paypal,
    affiliate,
    create_affiliate,
    create_product,
    due_affiliate,
    export,
    pay,
    record_sale,
    refund_sale,
    set_payout_mode,
)
from tests.clients import SECRET_KEY, GraphQLClient
from tests.due_payees import seed_due_payees

ROOT = Path(__file__).resolve().parent.parent
PAYOUTS = "query($id: ID!) { node(id: $id) { ... on Affiliate { payouts { edges { node { id } } } } } }"


async def download(client: Any, url: str, token: str = "test-admin-token") -> tuple[int, str]:
    response = await client.get(url, headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.text


def group(export_result: dict[str, Any], method: str) -> dict[str, Any]:
    return next(g for g in export_result["export"]["groups"] if g["method"] == method)


async def test_provided_and_preferred_groups_and_files(gql, client):
    product = await create_product(gql)  # USD 100.10 at 10%: 10.01 due at once
    ann = await due_affiliate(
        gql, product, "Ann Lee", "s-1", paypalEmail="ann.pay@example.com", bankWire=BANK, preferred="BANK_WIRE"
    )
    bob = await due_affiliate(gql, product, "Bob Roe", "s-2")
    cid = await create_affiliate(gql, "Cid Moe")  # approved, nothing earned

    provided = await export(gql, scope="PROVIDED", affiliateIds=[ann, bob, cid])
    assert {g["method"]: g["affiliateCount"] for g in provided["export"]["groups"]} == {"BANK_WIRE": 1, "PAYPAL": 2}
    assert group(provided, "PAYPAL")["files"][0]["rows"] == 2
    assert group(provided, "PAYPAL")["totals"] == [{"amount": "20.02", "currency": "USD"}]
    assert provided["export"]["skipped"] == [{"affiliate": {"id": cid}, "reason": "not due: NOTHING_DUE"}]

    preferred = await export(gql, scope="PREFERRED", filter={"paymentStatus": ["DUE"]})
    assert {g["method"]: g["affiliateCount"] for g in preferred["export"]["groups"]} == {"BANK_WIRE": 1, "PAYPAL": 1}
    paypal_file = group(preferred, "PAYPAL")["files"][0]
    status, text = await download(client, paypal_file["downloadUrl"])
    assert status == 200
    assert list(csv.reader(io.StringIO(text))) == [
        ["bob.pay@example.com", "10.01", "USD", bob_number(bob), f"Commission {ref(text)}", "PAYPAL"]
    ]
    status, text = await download(client, group(preferred, "BANK_WIRE")["files"][0]["downloadUrl"])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["iban"] == "DE89370400440532013000" and rows[0]["amount"] == "10.01"
    assert rows[0]["account_holder"] == "Ann Lee" and rows[0]["reference"].startswith("PD-")

    listed = await gql.ok("{ paymentExports(first: 1) { totalCount edges { node { id scope } } } }")
    assert listed["paymentExports"]["totalCount"] == 2
    assert listed["paymentExports"]["edges"][0]["node"] == {"id": preferred["export"]["id"], "scope": "PREFERRED"}
    node = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on PaymentExport { id paid } } }", id=preferred["export"]["id"]
    )
    assert node["node"] == {"id": preferred["export"]["id"], "paid": False}


def bob_number(global_id: str) -> str:
    import base64

    return base64.urlsafe_b64decode(global_id).decode().split(":")[1]


def ref(text: str) -> str:
    return next(csv.reader(io.StringIO(text)))[4].removeprefix("Commission ")


async def test_snapshot_second_group_and_already_paid(gql):
    product = await create_product(gql)
    ann = await due_affiliate(gql, product, "Ann Lee", "s-1", paypalEmail="ann.pay@example.com", bankWire=BANK)
    done = await export(gql, scope="PROVIDED", affiliateIds=[ann])
    export_id = done["export"]["id"]
    await record_sale(gql, externalId="s-later", productId=product, affiliateId=ann)  # after the export

    paid = await pay(gql, exportId=export_id, method="PAYPAL", reference="batch-1")
    assert [p["amount"]["amount"] for p in paid["payouts"]] == ["10.01"]
    assert paid["payouts"][0]["export"] == {"id": export_id}
    assert paid["payouts"][0]["method"] == "PAYPAL" and paid["payouts"][0]["reference"] == "batch-1"
    a = await affiliate(gql, ann)
    assert a["balances"][0]["due"]["amount"] == "10.01"  # the later sale is still due
    assert a["balances"][0]["paid"]["amount"] == "10.01"

    again = await gql.ok(PAY, input={"exportId": export_id, "method": "PAYPAL"})
    assert again["markAsPaid"]["code"] == "ALREADY_PAID"
    wire = await pay(gql, exportId=export_id, method="BANK_WIRE")
    assert wire["payouts"] == []
    assert wire["skipped"][0]["affiliate"] == {"id": ann}
    assert "already settled" in wire["skipped"][0]["reason"]
    assert (await affiliate(gql, ann))["balances"][0]["paid"]["amount"] == "10.01"
    state = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on PaymentExport { paid groups { paid } } } }", id=export_id
    )
    assert state["node"] == {"paid": True, "groups": [{"paid": True}, {"paid": True}]}


async def test_idempotent_retry_and_void_then_pay_again(gql):
    product = await create_product(gql)
    ann = await due_affiliate(gql, product, "Ann Lee", "s-1")
    bob = await create_affiliate(gql, "Bob Roe")
    first = await pay(gql, affiliateIds=[ann, bob], method="PAYPAL", idempotencyKey="run-1")
    assert [p["amount"]["amount"] for p in first["payouts"]] == ["10.01"]
    assert first["skipped"] == [{"affiliate": {"id": bob}, "reason": "not due: NOTHING_DUE"}]
    await record_sale(gql, externalId="s-2", productId=product, affiliateId=ann)
    retry = await pay(gql, affiliateIds=[ann, bob], method="PAYPAL", idempotencyKey="run-1")
    assert retry == first  # the first call's answer; the new sale stays due
    assert (await affiliate(gql, ann))["balances"][0]["due"]["amount"] == "10.01"

    payout = first["payouts"][0]["id"]
    voided = await gql.ok(VOID, id=payout, reason="bounced")
    assert voided["voidPayout"]["payout"]["status"] == "VOIDED"
    a = await affiliate(gql, ann)
    assert a["balances"][0]["due"]["amount"] == "20.02" and a["balances"][0]["paid"]["amount"] == "0.00"
    twice = await gql.ok(VOID, id=payout, reason="bounced")
    assert twice["voidPayout"]["code"] == "CONFLICT"
    again = await pay(gql, affiliateIds=[ann], method="BANK_WIRE")
    assert again["payouts"][0]["amount"]["amount"] == "20.02" and again["payouts"][0]["id"] != payout
    listed = await gql.ok(PAYOUTS.replace("id }", "status }"), id=ann)
    assert [e["node"]["status"] for e in listed["node"]["payouts"]["edges"]] == ["PAID", "VOIDED"]


async def test_instant_payout_cannot_be_voided(gql):
    product = await create_product(gql)
    ann = await create_affiliate(gql, "Ann Lee", payoutMode="PAYPAL_INSTANT")
    await add_paypal(gql, ann)
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=ann)
    payouts = await gql.ok(PAYOUTS, id=ann)
    instant = payouts["node"]["payouts"]["edges"][0]["node"]["id"]
    refused = await gql.ok(VOID, id=instant, reason="oops")
    assert refused["voidPayout"]["code"] == "INSTANT_PAYOUT"


async def test_refund_of_paid_commission_is_recovered_by_next_payout(gql):
    """Rule 5's example end to end: 4.00 paid, full refund -> owed 4.00; a 10.00 sale -> due 6.00."""
    product = await create_product(
        gql, milestones=[{"percent": "40", "delayDays": 0}, {"percent": "60", "delayDays": 60}]
    )
    flat = await create_product(gql, name="Flat", commissionFlat={"amount": "10.00", "currency": "USD"})
    ann = await due_affiliate(gql, product, "Ann Lee", "s-1")
    first = await pay(gql, affiliateIds=[ann], method="PAYPAL")
    assert first["totals"] == [{"amount": "4.00", "currency": "USD"}]
    await refund_sale(gql, externalId="s-1")
    assert (await affiliate(gql, ann))["balances"][0]["owed"]["amount"] == "4.00"
    await record_sale(gql, externalId="s-2", productId=flat, affiliateId=ann)
    assert (await affiliate(gql, ann))["balances"][0]["due"]["amount"] == "6.00"
    done = await export(gql, scope="PREFERRED", affiliateIds=[ann])
    assert group(done, "PAYPAL")["totals"] == [{"amount": "6.00", "currency": "USD"}]
    second = await pay(gql, exportId=done["export"]["id"], method="PAYPAL", currency="USD")
    assert second["totals"] == [{"amount": "6.00", "currency": "USD"}]
    b = (await affiliate(gql, ann))["balances"][0]
    assert (b["owed"]["amount"], b["due"]["amount"], b["paid"]["amount"]) == ("0.00", "0.00", "10.00")
    assert b["earned"]["amount"] == "10.00"


async def test_csv_injection_is_neutralised(gql, client):
    product = await create_product(gql)
    evil = '=HYPERLINK("http://evil.example","x")'
    ann = await due_affiliate(
        gql,
        product,
        "Ann Lee",
        "s-1",
        check={
            "payee": evil,
            "addressLine1": "+1 Main St",
            "city": "-Berlin",
            "postalCode": "@10115",
            "country": "DE",
        },
    )
    done = await export(gql, scope="PREFERRED", affiliateIds=[ann])
    _, text = await download(client, group(done, "CHECK")["files"][0]["downloadUrl"])
    row = list(csv.DictReader(io.StringIO(text)))[0]
    assert row["payee"] == "'" + evil
    assert (row["address_line1"], row["city"], row["postal_code"]) == ("'+1 Main St", "'-Berlin", "'@10115")
    assert row["amount"] == "10.01"


async def test_downloads_need_an_admin_token(gql, client):
    product = await create_product(gql)
    ann = await due_affiliate(gql, product, "Ann Lee", "s-1")
    signed = group(await export(gql, scope="PROVIDED", affiliateIds=[ann]), "PAYPAL")["files"][0]["downloadUrl"]
    url = signed.partition("?")[0]  # the plain path (the signed link is tests/test_signed_links.py's)
    viewer = new_token()
    await ApiToken.create(token_hash=hash_token(viewer), role=Role.VIEWER)
    assert (await client.get(url)).status_code == 401
    assert (await download(client, url, "not-a-token"))[0] == 401
    affiliate_token = await gql.ok(
        "mutation($id: ID!) { createAffiliateToken(affiliateId: $id) { "
        "... on CreateAffiliateTokenSuccess { token } } }",
        id=ann,
    )
    assert (await download(client, url, affiliate_token["createAffiliateToken"]["token"]))[0] == 403
    assert (await download(client, url, viewer))[0] == 403
    assert (await download(client, "/exports/files/999999"))[0] == 404
    assert (await download(client, url))[0] == 200
    assert await AuditEntry.filter(action="downloadExportFile").count() == 1


async def test_errors_are_typed(gql):
    product = await create_product(gql)
    ann = await due_affiliate(gql, product, "Ann Lee", "s-1")
    cases = [
        ({"method": "PAYPAL"}, "VALIDATION"),
        ({"affiliateIds": [ann]}, "VALIDATION"),
        ({"affiliateIds": [ann], "exportId": to_global_id("PaymentExport", 1), "method": "PAYPAL"}, "VALIDATION"),
        ({"exportId": to_global_id("PaymentExport", 99), "method": "PAYPAL"}, "NOT_FOUND"),
        ({"affiliateIds": [to_global_id("Affiliate", 999)], "method": "PAYPAL"}, "NOT_FOUND"),
        ({"affiliateIds": [ann], "method": "PAYPAL", "currency": "USD"}, "VALIDATION"),
    ]
    for input, code in cases:
        assert (await gql.ok(PAY, input=input))["markAsPaid"]["code"] == code, input
    both = await gql.ok(EXPORT, input={"scope": "PROVIDED", "affiliateIds": [ann], "filter": {}})
    assert both["exportPaymentDetails"]["code"] == "VALIDATION"
    assert (await affiliate(gql, ann))["balances"][0]["paid"]["amount"] == "0.00"


async def test_paypal_file_is_split_at_the_row_limit(gql, client, monkeypatch):
    """PayPal's limit is 5,000 rows (file_part is tested at that size in test_rules); here it is 3, so
    7 DUE affiliates (seeded with bulk inserts) make files of 3, 3 and 1, streamed through the app."""
    monkeypatch.setattr(payrun, "PAYPAL_MAX_ROWS", 3)
    await create_product(gql, commissionFlat={"amount": "1.00", "currency": "USD"})
    n = 7
    await seed_due_payees(n, Cipher(SECRET_KEY))

    done = await export(gql, scope="PREFERRED", filter={"paymentStatus": ["DUE"]})
    files = group(done, "PAYPAL")["files"]
    assert [(f["rows"], f["total"]["amount"]) for f in files] == [(3, "3.00"), (3, "3.00"), (1, "1.00")]
    _, text = await download(client, files[0]["downloadUrl"])
    assert len(text.splitlines()) == 3
    paid = await pay(gql, exportId=done["export"]["id"], method="PAYPAL")
    assert len(paid["payouts"]) == n and paid["totals"] == [{"amount": "7.00", "currency": "USD"}]
    assert await Installment.filter(payout_id=None).count() == 0


async def test_payment_exports_page_costs_constant_statements(gql, sql_statements):
    product = await create_product(gql)
    ann = await due_affiliate(gql, product, "Ann Lee", "s-1", paypalEmail="ann.pay@example.com", bankWire=BANK)
    bob = await create_affiliate(gql, "Bob Roe")
    for _ in range(6):
        await export(gql, scope="PROVIDED", affiliateIds=[ann, bob])
    query = """query($first: Int) { paymentExports(first: $first) { edges { node { id paid
      groups { method affiliateCount paid totals { amount } files { rows downloadUrl } }
      skipped { reason affiliate { id name } } } } } }"""
    counts = {}
    for size in (1, 6):
        sql_statements.statements.clear()
        data = await gql.ok(query, first=size)
        assert len(data["paymentExports"]["edges"]) == size
        counts[size] = len(sql_statements.statements)
    assert counts[1] == counts[6], sql_statements.statements


async def test_cli_export_writes_the_files(gql, database_url, tmp_path):
    product = await create_product(gql)
    await due_affiliate(gql, product, "Ann Lee", "s-1", paypalEmail="ann@example.com")
    await due_affiliate(
        gql,
        product,
        "Bob Roe",
        "s-2",
        check={
            "payee": "Bob Roe",
            "addressLine1": "1 Main St",
            "city": "Berlin",
            "postalCode": "10115",
            "country": "DE",
        },
    )
    env = {**os.environ, "PAYOUTS_DATABASE_URL": database_url, "PAYOUTS_SECRET_KEY": SECRET_KEY}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server",
        "export",
        "--scope",
        "PREFERRED",
        "--status",
        "DUE",
        "--out",
        str(tmp_path),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert out == b""  # the summary goes to stderr
    written = sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".csv")
    assert written == ["export-1-check-USD-1.csv", "export-1-paypal-USD-1.csv"], err.decode()
    paypal = list(csv.reader((tmp_path / written[1]).open(newline="")))
    assert paypal[0][:3] == ["ann@example.com", "10.01", "USD"]  # rule 12: never needs a quote
    check = list(csv.DictReader((tmp_path / written[0]).open(newline="")))
    assert check[0]["payee"] == "Bob Roe" and check[0]["amount"] == "10.01"
    assert "2 rows" not in err.decode() and "10.01" in err.decode()


# --- rule 12: approval first ----------------------------------------------------------------------

APPROVE = f"""mutation($id: ID!, $status: ApprovalStatus!) {{ setApprovalStatus(affiliateId: $id, status: $status) {{
  ... on SetApprovalStatusSuccess {{ affiliate {{ id }} }} {ERROR} }} }}"""


async def test_a_pending_instant_affiliate_is_booked_as_manual_and_not_paid_by_id(gql):
    product = await create_product(gql)
    pam = await create_affiliate(gql, "Pam Pending", approvalStatus="PENDING", payoutMode="PAYPAL_INSTANT")
    await add_paypal(gql, pam, "pam.pay@example.com")
    sale = await record_sale(gql, externalId="s-1", productId=product, affiliateId=pam)
    # Booked as for MANUAL: due, not paid at the sale, no instant payout.
    assert [(i["amount"]["amount"], i["state"]) for i in sale["sale"]["installments"]] == [("10.01", "DUE")]
    assert (await gql.ok(PAYOUTS, id=pam))["node"]["payouts"]["edges"] == []
    a = await affiliate(gql, pam)
    assert a["paymentStatus"] == "DUE_INCOMPLETE"
    assert {r["reason"] for r in a["incompleteReasons"]} == {"NOT_APPROVED", "INSTANT_PAYMENT"}

    skipped = await pay(gql, affiliateIds=[pam], method="PAYPAL")
    assert skipped["payouts"] == []
    assert skipped["skipped"] == [
        {"affiliate": {"id": pam}, "reason": "not due: DUE_INCOMPLETE (affiliate is pending)"}
    ]

    # Approved, the leftover is settled by id, but only once it reaches the minimum payout.
    await gql.ok(APPROVE, id=pam, status="APPROVED")
    await gql.ok(
        'mutation { updateProgramSettings(input: {minimumPayout: [{amount: "50.00", currency: "USD"}]})'
        " { __typename } }"
    )
    below = await pay(gql, affiliateIds=[pam], method="PAYPAL")
    assert below["skipped"][0]["reason"] == "below the minimum payout: USD 10.01 of USD 50.00 minimum"
    await gql.ok("mutation { updateProgramSettings(input: {minimumPayout: []}) { __typename } }")
    paid = await pay(gql, affiliateIds=[pam], method="PAYPAL")
    assert paid["totals"] == [{"amount": "10.01", "currency": "USD"}]
    # From now on an approved instant affiliate's sales are paid at the sale again.
    later = await record_sale(gql, externalId="s-2", productId=product, affiliateId=pam)
    assert [i["state"] for i in later["sale"]["installments"]] == ["PAID"]


async def test_a_declined_instant_affiliate_leftover_is_not_paid_by_id(gql):
    product = await create_product(gql)
    dee = await due_affiliate(gql, product, "Dee Declined", "s-1")
    nob = await create_affiliate(gql, "Nob Nodetails", payoutMode="MANUAL")
    await record_sale(gql, externalId="s-2", productId=product, affiliateId=nob)
    for aff in (dee, nob):
        await set_payout_mode(gql, aff, "PAYPAL_INSTANT")
    await gql.ok(APPROVE, id=dee, status="DECLINED")
    result = await pay(gql, affiliateIds=[dee, nob], method="PAYPAL")
    assert result["payouts"] == []
    assert result["skipped"] == [
        {"affiliate": {"id": dee}, "reason": "not due: DUE_INCOMPLETE (affiliate is declined)"},
        {"affiliate": {"id": nob}, "reason": "not due: DUE_INCOMPLETE (no payment method on file)"},
    ]
    assert (await affiliate(gql, dee))["balances"][0]["due"]["amount"] == "10.01"


# --- rule 12: a void nets against later refunds -----------------------------------------------------

SALE = "query($id: ID!) { node(id: $id) { ... on Sale { installments { amount { amount } state } } } }"


async def balance(gql: GraphQLClient, affiliate_id: str) -> dict[str, str]:
    b = (await affiliate(gql, affiliate_id))["balances"][0]
    figures = {k: b[k]["amount"] for k in ("earned", "reserve", "due", "paid", "owed")}
    from models.tables.affiliates import Balance

    for row in await Balance.all():
        assert row.earned == row.reserve + row.due_installments + row.paid - row.owed, vars(row)
    return figures


async def flat_product(gql: GraphQLClient, commission: str = "10.00") -> str:
    return await create_product(
        gql,
        name=f"Flat {commission}",
        price={"amount": "100.00", "currency": "USD"},
        commissionFlat={"amount": commission, "currency": "USD"},
    )


async def test_worked_example_void_after_a_full_refund(gql):
    """10.00 paid, the sale fully refunded (owed 10.00), the payout voided -> VOIDED, owed 0, due 0."""
    ann = await due_affiliate(gql, await flat_product(gql), "Ann Lee", "s-1")
    payout = (await pay(gql, affiliateIds=[ann], method="PAYPAL"))["payouts"][0]["id"]
    sale = (await refund_sale(gql, externalId="s-1"))["sale"]
    assert (await balance(gql, ann))["owed"] == "10.00"
    assert (await gql.ok(VOID, id=payout, reason="bounced"))["voidPayout"]["payout"]["status"] == "VOIDED"
    assert await balance(gql, ann) == {
        "earned": "0.00",
        "reserve": "0.00",
        "due": "0.00",
        "paid": "0.00",
        "owed": "0.00",
    }
    assert (await affiliate(gql, ann))["paymentStatus"] == "NOTHING_DUE"
    installments = (await gql.ok(SALE, id=sale["id"]))["node"]["installments"]
    assert installments == [{"amount": {"amount": "10.00"}, "state": "VOIDED"}]
    assert (await pay(gql, affiliateIds=[ann], method="PAYPAL"))["payouts"] == []


async def test_void_after_a_partial_refund_brings_back_only_the_unrefunded_part(gql):
    ann = await due_affiliate(gql, await flat_product(gql), "Ann Lee", "s-1")
    payout = (await pay(gql, affiliateIds=[ann], method="PAYPAL"))["payouts"][0]["id"]
    await refund_sale(gql, externalId="s-1", amount={"amount": "30.00", "currency": "USD"})  # 3.00 owed
    await gql.ok(VOID, id=payout, reason="bounced")
    assert await balance(gql, ann) == {
        "earned": "7.00",
        "reserve": "0.00",
        "due": "7.00",
        "paid": "0.00",
        "owed": "0.00",
    }
    # The rest of the sale refunded later takes the 7.00 from the unpaid installment: nothing owed.
    await refund_sale(gql, externalId="s-1")
    assert await balance(gql, ann) == {
        "earned": "0.00",
        "reserve": "0.00",
        "due": "0.00",
        "paid": "0.00",
        "owed": "0.00",
    }


async def test_owed_recovered_by_a_later_payout_comes_back_as_due_when_the_first_is_voided(gql):
    ann = await due_affiliate(gql, await flat_product(gql), "Ann Lee", "s-1")
    first = (await pay(gql, affiliateIds=[ann], method="PAYPAL"))["payouts"][0]["id"]
    await refund_sale(gql, externalId="s-1")  # owed 10.00
    await record_sale(gql, externalId="s-2", productId=await flat_product(gql, "15.00"), affiliateId=ann)
    second = await pay(gql, affiliateIds=[ann], method="PAYPAL")  # 15.00 less the 10.00 recovered
    assert second["totals"] == [{"amount": "5.00", "currency": "USD"}]
    # The first payout bounced: the affiliate got 5.00 of the 15.00 it earned, so 10.00 is due.
    await gql.ok(VOID, id=first, reason="bounced")
    assert await balance(gql, ann) == {
        "earned": "15.00",
        "reserve": "0.00",
        "due": "10.00",
        "paid": "5.00",
        "owed": "0.00",
    }
    # The second one bounced too: the recovery is undone, and the 10.00 refunded is netted after all.
    await gql.ok(VOID, id=second["payouts"][0]["id"], reason="bounced")
    assert await balance(gql, ann) == {
        "earned": "15.00",
        "reserve": "0.00",
        "due": "15.00",
        "paid": "0.00",
        "owed": "0.00",
    }
    again = await pay(gql, affiliateIds=[ann], method="PAYPAL")
    assert again["totals"] == [{"amount": "15.00", "currency": "USD"}]


async def test_an_export_row_whose_owed_amount_a_void_netted_is_skipped(gql):
    ann = await due_affiliate(gql, await flat_product(gql), "Ann Lee", "s-1")
    first = (await pay(gql, affiliateIds=[ann], method="PAYPAL"))["payouts"][0]["id"]
    await refund_sale(gql, externalId="s-1")  # owed 10.00
    await record_sale(gql, externalId="s-2", productId=await flat_product(gql, "15.00"), affiliateId=ann)
    done = await export(gql, scope="PREFERRED", affiliateIds=[ann])
    assert group(done, "PAYPAL")["totals"] == [{"amount": "5.00", "currency": "USD"}]
    await gql.ok(VOID, id=first, reason="bounced")  # nets the owed 10.00: the file's 5.00 is stale
    assert (await balance(gql, ann))["due"] == "15.00"
    settled = await pay(gql, exportId=done["export"]["id"], method="PAYPAL")
    assert settled["payouts"] == []
    assert settled["skipped"][0]["reason"] == "USD owed amount was netted by a void since the export"
    assert (await balance(gql, ann))["due"] == "15.00"


# --- files a payer can use: check state, bank beneficiary address, rows listed in several groups ------

CHECK_US = {
    "payee": "Jane Doe",
    "addressLine1": "1 Congress Ave",
    "city": "Austin",
    "state": "TX",
    "postalCode": "78701",
    "country": "US",
}
BENEFICIARY: dict[str, str | None] = {
    "beneficiaryAddressLine1": "Hauptstr. 1",
    "beneficiaryAddressLine2": "Hinterhaus",
    "beneficiaryCity": "Berlin",
    "beneficiaryPostalCode": "10115",
    "beneficiaryCountry": "de",
}
SHARED = """query($id: ID!) { node(id: $id) { ... on PaymentExport { groups { method sharedRowCount
  files { currency sharedRowCount }
  sharedRows(first: 10) { totalCount edges { node { reference alsoIn amount { amount currency }
    affiliate { id } } } } } } } }"""


async def test_check_file_has_the_state(gql, client):
    product = await create_product(gql)
    jane = await due_affiliate(gql, product, "Jane Doe", "s-1", check=CHECK_US)
    summary = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Affiliate { paymentMethods { summary } } } }", id=jane
    )
    assert summary["node"]["paymentMethods"] == [{"summary": "check to J. Doe, Austin, TX"}]
    done = await export(gql, scope="PREFERRED", affiliateIds=[jane])
    _, text = await download(client, group(done, "CHECK")["files"][0]["downloadUrl"])
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert (row["city"], row["state"], row["postal_code"], row["country"]) == ("Austin", "TX", "78701", "US")
    assert row["also_in"] == ""


async def test_bank_wire_file_has_the_beneficiary_address(gql, client):
    product = await create_product(gql)
    ann = await due_affiliate(gql, product, "Ann Lee", "s-1", bankWire={**BANK, **BENEFICIARY})
    done = await export(gql, scope="PREFERRED", affiliateIds=[ann])
    _, text = await download(client, group(done, "BANK_WIRE")["files"][0]["downloadUrl"])
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert {k: v for k, v in row.items() if k.startswith("beneficiary_")} == {
        "beneficiary_address_line1": "Hauptstr. 1",
        "beneficiary_address_line2": "Hinterhaus",
        "beneficiary_city": "Berlin",
        "beneficiary_state": "",
        "beneficiary_postal_code": "10115",
        "beneficiary_country": "DE",
    }
    assert (row["account_holder"], row["iban"], row["bank_country"]) == ("Ann Lee", BANK["iban"], "DE")


async def test_a_partial_beneficiary_address_is_refused(gql):
    ann = await create_affiliate(gql, "Ann Lee")
    query = f"""mutation($input: PaymentDetailsInput!) {{ updatePaymentDetails(input: $input) {{
      ... on UpdatePaymentDetailsSuccess {{ affiliate {{ id }} }} {ERROR} }} }}"""
    cases: list[tuple[dict[str, str | None], str]] = [
        ({"beneficiaryCity": "Berlin", "beneficiaryCountry": "DE"}, "bankWire.beneficiaryAddressLine1"),
        ({"beneficiaryAddressLine1": "Hauptstr. 1", "beneficiaryCountry": "DE"}, "bankWire.beneficiaryCity"),
        ({**BENEFICIARY, "beneficiaryCountry": "Germany"}, "bankWire.beneficiaryCountry"),
        ({**BENEFICIARY, "beneficiaryCountry": None}, "bankWire.beneficiaryCountry"),
    ]
    for extra, field in cases:
        data = await gql.ok(query, input={"affiliateId": ann, "bankWire": {**BANK, **extra}})
        assert data["updatePaymentDetails"]["code"] == "VALIDATION", extra
        assert data["updatePaymentDetails"]["field"] == field, extra
    assert await PaymentMethod.filter(affiliate_id=int(bob_number(ann))).count() == 0


async def test_rows_listed_in_several_groups_are_marked_in_files_and_api(gql, client):
    product = await create_product(gql)
    ann = await due_affiliate(
        gql,
        product,
        "Ann Lee",
        "s-1",
        paypalEmail="ann.pay@example.com",
        bankWire={**BANK, **BENEFICIARY},
        check=CHECK_US,
    )
    bob = await due_affiliate(gql, product, "Bob Roe", "s-2")
    done = await export(gql, scope="PROVIDED", affiliateIds=[ann, bob])
    texts = {
        m: (await download(client, group(done, m)["files"][0]["downloadUrl"]))[1]
        for m in ("PAYPAL", "BANK_WIRE", "CHECK")
    }
    paypal = {r[3]: r for r in csv.reader(io.StringIO(texts["PAYPAL"]))}
    assert paypal[bob_number(ann)][4].endswith("; also listed for BANK_WIRE, CHECK: pay once")
    assert paypal[bob_number(bob)][4] == f"Commission {paypal[bob_number(bob)][4].split()[-1]}"  # in one group only
    assert len(paypal[bob_number(ann)]) == 6  # PayPal's fixed layout
    (wire,) = list(csv.DictReader(io.StringIO(texts["BANK_WIRE"])))
    (check,) = list(csv.DictReader(io.StringIO(texts["CHECK"])))
    assert (wire["also_in"], check["also_in"]) == ("CHECK,PAYPAL", "BANK_WIRE,PAYPAL")

    data = (await gql.ok(SHARED, id=done["export"]["id"]))["node"]["groups"]
    by_method = {g["method"]: g for g in data}
    assert {m: g["sharedRowCount"] for m, g in by_method.items()} == {"BANK_WIRE": 1, "CHECK": 1, "PAYPAL": 1}
    assert by_method["PAYPAL"]["files"] == [{"currency": "USD", "sharedRowCount": 1}]
    (edge,) = by_method["PAYPAL"]["sharedRows"]["edges"]
    assert edge["node"] == {
        "reference": paypal[bob_number(ann)][4].split()[1].rstrip(";"),
        "alsoIn": ["BANK_WIRE", "CHECK"],
        "amount": {"amount": "10.01", "currency": "USD"},
        "affiliate": {"id": ann},
    }
    assert by_method["CHECK"]["sharedRows"]["edges"][0]["node"]["reference"] == check["reference"]
    assert by_method["CHECK"]["sharedRows"]["totalCount"] == 1

    # PREFERRED lists every affiliate once: nothing is shared.
    preferred = await export(gql, scope="PREFERRED", affiliateIds=[ann, bob])
    data = (await gql.ok(SHARED, id=preferred["export"]["id"]))["node"]["groups"]
    assert [(g["sharedRowCount"], g["sharedRows"]["edges"]) for g in data] == [(0, [])] * len(data)
