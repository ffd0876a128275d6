"""Rule 17.4 and 17.5 through the API: a year's totals (the section's example), pages, access, the report."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from models.enums import Role
from models.global_ids import to_global_id
from models.ledger.access import create_token
from models.tables.audit import AuditEntry
from models.tables.tax import TaxYearReport
from tests.api import (
    ERROR,
    VOID,
    create_affiliate,
    create_affiliate_token,
    create_product,
    details,
    pay,
    record_sale,
    refund_sale,
)
from tests.clients import ADMIN_TOKEN, SECRET_KEY, GraphQLClient, StatementCounter
from tests.test_tax_api import PROFILE, SETTINGS, w8, w9

ROOT = Path(__file__).resolve().parent.parent

TOTALS = """query($year: Int!, $ids: [ID!], $nec: Form1099Expectation, $first: Int, $after: String) {
  taxYearTotals(year: $year, payeeIds: $ids, form1099Nec: $nec, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { year taxForm form1099Nec form1099NecReason payee { id name }
      totals { currency paid { amount currency } paypalPaid { amount } otherPaid { amount }
        recoveredClawbacks { amount } payoutCount } } } } }"""
REPORT = f"""mutation($year: Int!) {{ createTaxYearReport(year: $year) {{ __typename
  ... on CreateTaxYearReportSuccess {{ report {{ id year rows threshold {{ amount currency }} downloadUrl }} }}
  {ERROR} }} }}"""
CHECK = {"payee": "Ann Lee", "addressLine1": "1 Main St", "city": "Springfield", "postalCode": "62701", "country": "US"}
BANK = {"accountHolder": "Ann Lee", "accountNumber": "123456789", "routingNumber": "021000021", "country": "US"}


YEAR = datetime.now(UTC).year - 1  # the examples' year: every date in it is past, so payouts take it as paidAt


def day(month: int, d: int, year: int = YEAR) -> str:
    return datetime(year, month, d, 12, tzinfo=UTC).isoformat()


async def paid_on(gql: GraphQLClient, when: str, product: str, payee: str, sale: str, method: str) -> str:
    """A sale of `product` on `when`, paid then by `method` (recorded now): returns the payout's id."""
    await record_sale(gql, externalId=sale, productId=product, affiliateId=payee, occurredAt=when)
    payouts = (await pay(gql, affiliateIds=[payee], method=method, paidAt=when))["payouts"]
    assert len(payouts) == 1, payouts
    return str(payouts[0]["id"])


async def example_year(gql: GraphQLClient) -> str:
    """17.4's example (YEAR for 2026): six payouts, one voided later, one the next year, one recovering
    USD 50.00 owed; the year's threshold entered as USD 2,000.00 whatever the defaults give it."""
    await gql.ok(SETTINGS, input={"taxReportingThresholds": [{"year": YEAR, "amount": "2000.00"}]})
    usd = {"price": {"amount": "3000.00", "currency": "USD"}}
    big = await create_product(gql, name="Big", commissionFlat={"amount": "1500.00", "currency": "USD"}, **usd)
    mid = await create_product(gql, name="Mid", commissionFlat={"amount": "650.00", "currency": "USD"}, **usd)
    pp = await create_product(gql, name="PP", commissionFlat={"amount": "300.00", "currency": "USD"}, **usd)
    small = await create_product(gql, name="Small", commissionFlat={"amount": "200.00", "currency": "USD"}, **usd)
    late = await create_product(gql, name="Late", commissionFlat={"amount": "400.00", "currency": "USD"}, **usd)
    eur = await create_product(
        gql,
        name="Euro",
        price={"amount": "500.00", "currency": "EUR"},
        commissionFlat={"amount": "100.00", "currency": "EUR"},
    )
    payee = await create_affiliate(gql, "Ann Lee")
    await details(gql, payee, paypalEmail="ann.pay@example.com", bankWire=BANK, check=CHECK)
    await gql.ok(PROFILE, input=w9(payee))
    await paid_on(gql, day(3, 1), big, payee, "s1", "BANK_WIRE")
    await refund_sale(gql, externalId="s1", amount={"amount": "100.00", "currency": "USD"})
    await paid_on(gql, day(6, 1), mid, payee, "s2", "CHECK")
    await paid_on(gql, day(7, 1), pp, payee, "s3", "PAYPAL")
    voided = await paid_on(gql, day(8, 1), small, payee, "s4", "BANK_WIRE")
    await paid_on(gql, day(9, 1), eur, payee, "s5", "BANK_WIRE")
    await paid_on(gql, day(1, 2, YEAR + 1), late, payee, "s6", "BANK_WIRE")
    assert (await gql.ok(VOID, id=voided, reason="bounced"))["voidPayout"]["payout"]["status"] == "VOIDED"
    return payee


async def test_the_yearly_totals_example(gql: GraphQLClient) -> None:
    payee = await example_year(gql)
    page = (await gql.ok(TOTALS, year=YEAR))["taxYearTotals"]
    assert page["totalCount"] == 1
    node = page["edges"][0]["node"]
    assert node["payee"]["id"] == payee and node["taxForm"] == "W9" and node["year"] == YEAR
    assert node["totals"] == [
        {
            "currency": "USD",
            "paid": {"amount": "2400.00", "currency": "USD"},
            "paypalPaid": {"amount": "300.00"},
            "otherPaid": {"amount": "2100.00"},
            "recoveredClawbacks": {"amount": "50.00"},
            "payoutCount": 3,
        },
        {
            "currency": "EUR",
            "paid": {"amount": "100.00", "currency": "EUR"},
            "paypalPaid": {"amount": "0.00"},
            "otherPaid": {"amount": "100.00"},
            "recoveredClawbacks": {"amount": "0.00"},
            "payoutCount": 1,
        },
    ]
    assert node["form1099Nec"] == "EXPECTED"
    assert node["form1099NecReason"] == (
        "USD 2100.00 paid outside PayPal, threshold USD 2000.00, W-9 INDIVIDUAL_SOLE_PROPRIETOR"
    )
    later = (await gql.ok(TOTALS, year=YEAR + 1))["taxYearTotals"]["edges"][0]["node"]["totals"]
    assert [(t["currency"], t["paid"]["amount"]) for t in later] == [("USD", "400.00")]
    # With otherPaid USD 1,900.00 (a threshold of 2,200.00 here), the EUR payment makes it REVIEW.
    await gql.ok(SETTINGS, input={"taxReportingThresholds": [{"year": YEAR, "amount": "2200.00"}]})
    review = (await gql.ok(TOTALS, year=YEAR, nec="REVIEW"))["taxYearTotals"]
    assert review["totalCount"] == 1 and review["edges"][0]["node"]["form1099Nec"] == "REVIEW"
    assert (await gql.ok(TOTALS, year=YEAR, nec="EXPECTED"))["taxYearTotals"]["totalCount"] == 0


async def test_a_bad_year_is_bad_user_input(gql: GraphQLClient) -> None:
    for year in (1990, 2101):
        body = await gql.post(TOTALS, year=year)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    refused = (await gql.ok(REPORT, year=1999))["createTaxYearReport"]
    assert (refused["code"], refused["field"]) == ("VALIDATION", "year")


async def test_each_role_sees_its_payees(gql: GraphQLClient) -> None:
    product = await create_product(gql, commissionFlat={"amount": "10.00", "currency": "USD"})
    payees = []
    for name in ("Ann Lee", "Bob Ray", "Cy Dee"):
        payee = await create_affiliate(gql, name)
        await details(gql, payee, bankWire={**BANK, "accountHolder": name})
        await paid_on(gql, day(5, 1), product, payee, f"s-{name}", "BANK_WIRE")
        payees.append(payee)
    _, viewer_token = await create_token("test", Role.VIEWER)
    viewer = gql.as_token(viewer_token)
    assert (await viewer.ok(TOTALS, year=YEAR))["taxYearTotals"]["totalCount"] == 3
    own = gql.as_token((await create_affiliate_token(gql, payees[1]))["token"])
    mine = (await own.ok(TOTALS, year=YEAR, ids=payees))["taxYearTotals"]
    assert [e["node"]["payee"]["id"] for e in mine["edges"]] == [payees[1]] and mine["totalCount"] == 1
    assert (await own.post("{ taxYearReports { totalCount } }"))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await own.ok(REPORT, year=YEAR))["createTaxYearReport"]["code"] == "FORBIDDEN"
    assert (await viewer.ok(REPORT, year=YEAR))["createTaxYearReport"]["code"] == "FORBIDDEN"
    first = (await gql.ok(TOTALS, year=YEAR, first=2))["taxYearTotals"]
    assert [e["node"]["payee"]["id"] for e in first["edges"]] == payees[:2] and first["pageInfo"]["hasNextPage"]
    rest = (await gql.ok(TOTALS, year=YEAR, first=2, after=first["pageInfo"]["endCursor"]))["taxYearTotals"]
    assert [e["node"]["payee"]["id"] for e in rest["edges"]] == payees[2:] and not rest["pageInfo"]["hasNextPage"]
    assert (await gql.post(TOTALS, year=YEAR, after="nonsense"))["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_page_costs_the_same_statements_for_10_or_500(
    gql: GraphQLClient, sql_statements: StatementCounter
) -> None:
    product = await create_product(gql, commissionFlat={"amount": "10.00", "currency": "USD"})
    ids = []
    for i in range(12):
        payee = await create_affiliate(gql, f"P{i} Lee", email=f"p{i}@example.com")
        await details(gql, payee, bankWire=BANK)
        await record_sale(gql, externalId=f"s{i}", productId=product, affiliateId=payee, occurredAt=day(5, 1))
        ids.append(payee)
    await pay(gql, affiliateIds=ids, method="BANK_WIRE", paidAt=day(5, 1))
    for payee in ids[::3]:
        await gql.ok(PROFILE, input=w9(payee))
    counts = {}
    for size in (10, 500):
        sql_statements.statements.clear()
        await gql.ok(TOTALS, year=YEAR, first=size)
        counts[size] = len(sql_statements.statements)
    assert counts[10] == counts[500], sql_statements.statements


async def test_the_report_csv_download_and_audit(gql: GraphQLClient, client: httpx.AsyncClient) -> None:
    payee = await example_year(gql)
    foreign = await create_affiliate(gql, "=Jörg Müller", email="joerg@example.de")
    await gql.ok(PROFILE, input=w8(foreign, f"{YEAR}-06-15", tinType="FOREIGN", tin="DE 123/456"))
    report = (await gql.ok(REPORT, year=YEAR))["createTaxYearReport"]["report"]
    assert report["rows"] == 2 and report["threshold"] == {"amount": "2000.00", "currency": "USD"}
    assert "signature=" in report["downloadUrl"]
    signed = await client.get(report["downloadUrl"])
    assert signed.status_code == 200 and signed.headers["content-type"] == "text/csv; charset=utf-8"
    row_id = (await TaxYearReport.first()).id  # type: ignore[union-attr]
    assert f'filename="tax-{YEAR}-totals-{row_id}.csv"' in signed.headers["content-disposition"]
    body = signed.content
    assert not body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body
    lines = list(csv.DictReader(io.StringIO(body.decode())))
    assert list(lines[0]) == [
        "payee_id", "payee_name", "email", "tax_form", "form_status", "legal_name", "business_name",
        "tax_classification", "tin_type", "tin", "address_line1", "address_line2", "city", "state", "postal_code",
        "country", "year", "currency", "paid", "paypal_paid", "other_paid", "recovered_clawbacks", "payout_count",
        "threshold_usd", "form_1099_nec",
    ]  # fmt: skip
    usd, eur = lines
    assert (usd["payee_id"], usd["tin"], usd["currency"], usd["paid"], usd["other_paid"]) == (
        payee, "123-45-6789", "USD", "2400.00", "2100.00"
    )  # fmt: skip
    assert (usd["recovered_clawbacks"], usd["payout_count"], usd["threshold_usd"], usd["form_1099_nec"]) == (
        "50.00", "3", "2000.00", "EXPECTED"
    )  # fmt: skip
    assert (eur["currency"], eur["paid"], eur["form_1099_nec"], eur["state"]) == ("EUR", "100.00", "EXPECTED", "IL")
    plain = await client.get(f"/tax-reports/files/{row_id}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert plain.content == body
    _, viewer_token = await create_token("test", Role.VIEWER)
    listed = await gql.as_token(viewer_token).ok("{ taxYearReports { totalCount edges { node { downloadUrl } } } }")
    assert listed["taxYearReports"]["edges"][0]["node"]["downloadUrl"] == f"/tax-reports/files/{row_id}"
    denied = await client.get(f"/tax-reports/files/{row_id}", headers={"Authorization": f"Bearer {viewer_token}"})
    assert denied.status_code == 403
    assert (await client.get(f"/tax-reports/files/{row_id}")).status_code == 401
    forged = report["downloadUrl"].replace(f"/files/{row_id}?", f"/files/{row_id + 1}?")
    assert (await client.get(forged)).status_code == 403
    audited = [e.action for e in await AuditEntry.filter(action__in=["createTaxYearReport", "downloadTaxYearReport"])]
    assert audited == ["createTaxYearReport", "downloadTaxYearReport", "downloadTaxYearReport"]
    assert all("123-45-6789" not in str(e.details) for e in await AuditEntry.all())


async def test_the_cli_writes_the_report_with_mode_0600(gql: GraphQLClient, tmp_path: Path, database_url: str) -> None:
    await example_year(gql)
    out = tmp_path / "tax.csv"
    env = {**os.environ, "PAYOUTS_DATABASE_URL": database_url, "PAYOUTS_SECRET_KEY": SECRET_KEY}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server",
        "tax-report",
        "--year",
        str(YEAR),
        "--out",
        str(out),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    printed, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    report = await TaxYearReport.get()
    assert printed.decode().strip() == to_global_id("TaxYearReport", report.id)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    lines = out.read_text().splitlines()
    assert lines[0].startswith("payee_id,payee_name,email") and "123-45-6789" in lines[1]
    assert [e.actor for e in await AuditEntry.filter(action="createTaxYearReport")] == ["cli"]
    assert b"123-45-6789" not in err


async def test_the_filter_and_the_nodes_agree_on_each_step(gql: GraphQLClient) -> None:
    """The five steps run twice, in SQL (filter, totalCount) and in Python (each node): both agree."""
    await gql.ok(SETTINGS, input={"taxReportingThresholds": [{"year": YEAR, "amount": "2000.00"}]})
    usd = await create_product(gql, name="USD", commissionFlat={"amount": "100.00", "currency": "USD"})
    eur = await create_product(
        gql,
        name="EUR",
        price={"amount": "500.00", "currency": "EUR"},
        commissionFlat={"amount": "50.00", "currency": "EUR"},
    )
    corp = {"taxClassification": "C_CORPORATION", "tinType": "EIN", "tin": "12-3456789"}
    cases: dict[str, tuple[dict[str, Any] | None, list[tuple[str, int, str]], str]] = {
        "W8 valid": (w8("", f"{YEAR}-03-01"), [("USD", 30, "BANK_WIRE")], "NOT_EXPECTED"),
        "W9 corp": (w9("", **corp), [("USD", 30, "BANK_WIRE")], "NOT_EXPECTED"),
        "W9 at threshold": (w9(""), [("USD", 20, "BANK_WIRE")], "EXPECTED"),
        "no form": (None, [("USD", 25, "BANK_WIRE")], "REVIEW"),
        "W8 expired": (w8("", f"{YEAR - 4}-01-01"), [("USD", 25, "BANK_WIRE")], "REVIEW"),
        "W9 euro": (w9(""), [("USD", 1, "BANK_WIRE"), ("EUR", 1, "BANK_WIRE")], "REVIEW"),
        "W9 euro paypal": (w9(""), [("USD", 1, "BANK_WIRE"), ("EUR", 1, "PAYPAL")], "NOT_EXPECTED"),
        "no form paypal": (None, [("USD", 25, "PAYPAL")], "NOT_EXPECTED"),
    }
    expected: dict[str, str] = {}
    for n, (label, (form, payments, verdict)) in enumerate(cases.items()):
        payee = await create_affiliate(gql, f"P{n} {label}", email=f"p{n}@example.com")
        await details(gql, payee, paypalEmail=f"p{n}.pay@example.com", bankWire=BANK)
        if form is not None:
            result = (await gql.ok(PROFILE, input={**form, "payeeId": payee}))["setTaxProfile"]
            assert result["__typename"] == "SetTaxProfileSuccess", result
        for i, (currency, count, method) in enumerate(payments):
            for k in range(count):
                product = usd if currency == "USD" else eur
                await record_sale(gql, externalId=f"{n}-{i}-{k}", productId=product, affiliateId=payee)
            await pay(gql, affiliateIds=[payee], method=method, paidAt=day(10, 1))
        expected[payee] = verdict
    everyone = (await gql.ok(TOTALS, year=YEAR, first=500))["taxYearTotals"]
    found = {e["node"]["payee"]["id"]: e["node"]["form1099Nec"] for e in everyone["edges"]}
    assert found == expected
    for verdict in ("EXPECTED", "NOT_EXPECTED", "REVIEW"):
        page = (await gql.ok(TOTALS, year=YEAR, nec=verdict, first=500))["taxYearTotals"]
        ids = [e["node"]["payee"]["id"] for e in page["edges"]]
        assert ids == [p for p, v in expected.items() if v == verdict] and page["totalCount"] == len(ids), verdict
