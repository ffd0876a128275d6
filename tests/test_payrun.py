"""The pay run end to end through the real app: export, download, mark as paid, void (rules 8 and 9)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from models import payrun
from models.affiliates import Affiliate, PaymentMethod
from models.audit import AuditEntry
from models.balances import refresh_affiliates
from models.enums import ApprovalStatus, PaymentMethodType, Role
from models.payment_details import Cipher
from models.products import Product
from models.sales import Installment, Sale
from models.tokens import ApiToken, hash_token, new_token
from schema.ids import to_global_id
from tests.api import (
    BANK,
    ERROR,
    EXPORT,
    PAY,
    add_paypal,
    affiliate,
    create_affiliate,
    create_product,
    due_affiliate,
    export,
    pay,
    record_sale,
    refund_sale,
)
from tests.clients import SECRET_KEY

VOID = f"""mutation($id: ID!, $reason: String!) {{ voidPayout(payoutId: $id, reason: $reason) {{
  ... on VoidPayoutSuccess {{ payout {{ id status amount {{ amount }} }} }} {ERROR} }} }}"""
ROOT = Path(__file__).resolve().parent.parent
PAYOUTS = "query($id: ID!) { node(id: $id) { ... on Affiliate { payouts { edges { node { id } } } } } }"


async def download(client: Any, url: str, token: str = "test-admin-token") -> tuple[int, str]:
    response = await client.get(url, headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.text


def group(export_result: dict[str, Any], method: str) -> dict[str, Any]:
    return next(g for g in export_result["export"]["groups"] if g["method"] == method)


async def test_provided_and_preferred_groups_and_files(gql, client):
    product = await create_product(gql)  # USD 100.10 at 10%: 10.01 due at once
    ann = await due_affiliate(gql, product, "Ann Lee", "s-1", paypalEmail="ann.pay@example.com", bankWire=BANK,
                              preferred="BANK_WIRE")
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
    node = await gql.ok("query($id: ID!) { node(id: $id) { ... on PaymentExport { id paid } } }",
                        id=preferred["export"]["id"])
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
    state = await gql.ok("query($id: ID!) { node(id: $id) { ... on PaymentExport { paid groups { paid } } } }",
                         id=export_id)
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
    product = await create_product(gql, milestones=[{"percent": "40", "delayDays": 0},
                                                    {"percent": "60", "delayDays": 60}])
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
    ann = await due_affiliate(gql, product, "Ann Lee", "s-1", check={
        "payee": evil, "addressLine1": "+1 Main St", "city": "-Berlin", "postalCode": "@10115", "country": "DE",
    })
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
    await seed_due_paypal(n, Cipher(SECRET_KEY))

    done = await export(gql, scope="PREFERRED", filter={"paymentStatus": ["DUE"]})
    files = group(done, "PAYPAL")["files"]
    assert [(f["rows"], f["total"]["amount"]) for f in files] == [(3, "3.00"), (3, "3.00"), (1, "1.00")]
    _, text = await download(client, files[0]["downloadUrl"])
    assert len(text.splitlines()) == 3
    paid = await pay(gql, exportId=done["export"]["id"], method="PAYPAL")
    assert len(paid["payouts"]) == n and paid["totals"] == [{"amount": "7.00", "currency": "USD"}]
    assert await Installment.filter(payout_id=None).count() == 0


async def seed_due_paypal(n: int, cipher: Cipher) -> list[int]:
    """`n` DUE PayPal affiliates with one USD 1.00 commission each, by bulk inserts (the first product)."""
    now = datetime.now(UTC)
    product = await Product.first()
    assert product is not None
    await Affiliate.bulk_create(
        [Affiliate(name=f"A{i}", email=f"a{i}@example.com", approval_status=ApprovalStatus.APPROVED,
                   preferred_method=PaymentMethodType.PAYPAL, search_text=f"a{i}") for i in range(n)],
        batch_size=1000,
    )
    ids = cast(list[int], await Affiliate.filter(name__startswith="A").order_by("id").values_list("id", flat=True))
    token = cipher.encrypt({"email": "a@example.com"})
    await PaymentMethod.bulk_create(
        [PaymentMethod(affiliate_id=i, type=PaymentMethodType.PAYPAL, details=token, summary="a***@example.com")
         for i in ids], batch_size=1000,
    )
    await Sale.bulk_create(
        [Sale(external_id=f"b-{i}", product_id=product.id, affiliate_id=i, currency="USD", amount=1000,
              original_commission=100, commission=100, occurred_at=now) for i in ids], batch_size=1000,
    )
    sales = dict(await Sale.filter(affiliate_id__in=ids).values_list("affiliate_id", "id"))
    await Installment.bulk_create(
        [Installment(sale_id=sales[i], affiliate_id=i, currency="USD", position=0, amount=100, original_amount=100,
                     release_at=now) for i in ids], batch_size=1000,
    )
    await refresh_affiliates(ids, now)
    return ids


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
    await due_affiliate(gql, product, "Bob Roe", "s-2", check={
        "payee": "Bob Roe", "addressLine1": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE",
    })
    env = {**os.environ, "PAYOUTS_DATABASE_URL": database_url, "PAYOUTS_SECRET_KEY": SECRET_KEY}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "export", "--scope", "PREFERRED", "--status", "DUE", "--out", str(tmp_path),
        cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
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
