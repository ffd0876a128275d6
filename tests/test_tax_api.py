"""Rule 17 through the API: tax profiles, the hold, yearly totals and the report, on a real database."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.enums import PaymentStatus, Role
from models.global_ids import pk_of
from models.ledger.access import create_token
from models.tables.affiliates import Affiliate
from models.tables.audit import AuditEntry
from models.tables.tax import TaxProfile
from tests.api import (
    ERROR,
    affiliate,
    create_affiliate,
    create_affiliate_token,
    create_product,
    details,
    due_affiliate,
    export,
    pay,
    record_sale,
)
from tests.clients import GraphQLClient
from tests.clock import MovableClock
from tests.live import Live
from tests.ws import subscribe

PROFILE = f"""mutation($input: TaxProfileInput!) {{ setTaxProfile(input: $input) {{ __typename
  ... on SetTaxProfileSuccess {{ affiliate {{ id paymentStatus incompleteReasons {{ reason message }}
      taxProfile {{ kind legalName country tinType tinMasked validUntil status signedAt receivedAt
        taxClassification address {{ line1 city state postalCode country }} }} }} }} {ERROR} }} }}"""
REMOVE = f"""mutation($id: ID!) {{ removeTaxProfile(payeeId: $id) {{ __typename
  ... on RemoveTaxProfileSuccess {{ affiliate {{ id paymentStatus taxProfile {{ kind }} }} }} {ERROR} }} }}"""
SETTINGS = f"""mutation($input: UpdateProgramSettingsInput!) {{ updateProgramSettings(input: $input) {{ __typename
  ... on UpdateProgramSettingsSuccess {{ settings {{ taxFormRequired taxTimeZone
      taxReportingThresholds {{ year amount {{ amount currency }} }} }} }} {ERROR} }} }}"""
NOW = datetime.now(UTC)
# 17.3's example with its dates moved to the coming 31 December (time only moves on in tests): Y = 2026
# gives the section's own dates, W-8BEN signed 2023-06-15 and valid until 2026-12-31.
Y = NOW.year if NOW < datetime(NOW.year, 12, 31, 12, tzinfo=UTC) else NOW.year + 1
SIGNED = f"{Y - 3}-06-15"
W9_SIGNED = f"{NOW.year - 1}-01-10"
US = {"line1": "1 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701", "country": "US"}
DE = {"line1": "Hauptstr. 1", "city": "Berlin", "country": "DE"}
SSN = "123-45-6789"


def w9(payee: str, **changes: Any) -> dict[str, Any]:
    return {
        "payeeId": payee,
        "kind": "W9",
        "legalName": "Ann Lee",
        "taxClassification": "INDIVIDUAL_SOLE_PROPRIETOR",
        "tinType": "SSN",
        "tin": SSN,
        "address": US,
        "signedAt": W9_SIGNED,
        **changes,
    }


def w8(payee: str, signed: str, **changes: Any) -> dict[str, Any]:
    return {
        "payeeId": payee,
        "kind": "W8BEN",
        "legalName": "Jörg Müller",
        "country": "DE",
        "address": DE,
        "signedAt": signed,
        "receivedAt": signed,
        **changes,
    }


async def set_profile(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    return (await gql.ok(PROFILE, input=input))["setTaxProfile"]


def at(clock: MovableClock, when: datetime) -> None:
    clock.advance(when - clock())


async def test_a_w9_is_stored_encrypted_and_shown_masked(gql: GraphQLClient, caplog: pytest.LogCaptureFixture) -> None:
    payee = await create_affiliate(gql, "Ann Lee")
    with caplog.at_level(logging.DEBUG):
        result = await set_profile(gql, **w9(payee))
    profile = result["affiliate"]["taxProfile"]
    assert profile["tinMasked"] == "*****6789" and profile["status"] == "VALID" and profile["validUntil"] is None
    assert (profile["country"], profile["tinType"], profile["kind"]) == ("US", "SSN", "W9")
    row = await TaxProfile.get(current_of__not_isnull=True)
    assert row.tin and "123456789" not in row.tin and SSN not in row.tin
    entries = [e.details for e in await AuditEntry.filter(action="setTaxProfile")]
    assert entries == [{"payee": payee, "kind": "W9", "tinType": "SSN", "signedAt": W9_SIGNED}]
    for text in ("123456789", SSN):  # the SQL log at DEBUG shows the masked TIN only
        assert text not in caplog.text
        assert all(text not in str(e.details) for e in await AuditEntry.all())


@pytest.mark.parametrize(
    ("tin_type", "tin", "field"),
    [
        ("SSN", "078-05-1120", "tin"),
        ("SSN", "666-12-3456", "tin"),
        ("ITIN", "912-93-1234", "tin"),
        ("EIN", "07-3456789", "tin"),
        ("FOREIGN", "DE123", "tinType"),
    ],
)
async def test_a_bad_tin_is_refused_and_changes_nothing(
    gql: GraphQLClient, tin_type: str, tin: str, field: str
) -> None:
    payee = await create_affiliate(gql, "Ann Lee")
    result = await set_profile(gql, **w9(payee, tinType=tin_type, tin=tin))
    assert (result["__typename"], result["code"], result["field"]) == ("ValidationError", "VALIDATION", field)
    assert tin not in result["message"]
    assert await TaxProfile.all().count() == 0


@pytest.mark.parametrize(("tin_type", "tin"), [("ITIN", "912-70-1234"), ("EIN", "12-3456789")])
async def test_the_sections_valid_tins(gql: GraphQLClient, tin_type: str, tin: str) -> None:
    payee = await create_affiliate(gql, "Ann Lee")
    result = await set_profile(gql, **w9(payee, tinType=tin_type, tin=tin))
    assert result["affiliate"]["taxProfile"]["tinMasked"].endswith(tin[-4:])


async def test_who_may_set_and_read_a_profile(gql: GraphQLClient) -> None:
    ann = await create_affiliate(gql, "Ann Lee")
    bob = await create_affiliate(gql, "Bob Ray")
    own = gql.as_token((await create_affiliate_token(gql, ann))["token"])
    assert (await set_profile(own, **w9(bob)))["code"] == "NOT_FOUND"
    assert (await set_profile(own, **w9(ann)))["__typename"] == "SetTaxProfileSuccess"
    _, viewer_token = await create_token("test", Role.VIEWER)
    viewer = gql.as_token(viewer_token)
    assert (await set_profile(viewer, **w9(ann)))["code"] == "FORBIDDEN"
    read = "query($id: ID!) { node(id: $id) { ... on Affiliate { taxProfile { tinMasked } } } }"
    assert (await viewer.ok(read, id=ann))["node"]["taxProfile"] == {"tinMasked": "*****6789"}
    assert (await own.ok(read, id=bob))["node"] is None
    assert (await own.ok(REMOVE, id=ann))["removeTaxProfile"]["code"] == "FORBIDDEN"
    removed = (await gql.ok(REMOVE, id=ann))["removeTaxProfile"]
    assert removed["affiliate"]["taxProfile"] is None
    assert (await gql.ok(REMOVE, id=ann))["removeTaxProfile"]["code"] == "NOT_FOUND"


async def test_settings_defaults_and_validation(gql: GraphQLClient) -> None:
    data = (await gql.ok(SETTINGS, input={"taxFormRequired": False}))["updateProgramSettings"]["settings"]
    assert data["taxTimeZone"] == "UTC" and data["taxFormRequired"] is False
    assert data["taxReportingThresholds"] == [
        {"year": 2025, "amount": {"amount": "600.00", "currency": "USD"}},
        {"year": 2026, "amount": {"amount": "2000.00", "currency": "USD"}},
    ]
    for bad, field in [
        ({"taxTimeZone": "Mars/Base"}, "taxTimeZone"),
        ({"taxReportingThresholds": [{"year": 2027, "amount": "0"}]}, "taxReportingThresholds[0].amount"),
        (
            {"taxReportingThresholds": [{"year": 2027, "amount": "1"}, {"year": 2027, "amount": "2"}]},
            "taxReportingThresholds[1].year",
        ),
    ]:
        refused = (await gql.ok(SETTINGS, input=bad))["updateProgramSettings"]
        assert (refused["code"], refused["field"]) == ("VALIDATION", field)
    entered = {"taxReportingThresholds": [{"year": 2027, "amount": "2100.00"}], "taxTimeZone": "America/New_York"}
    data = (await gql.ok(SETTINGS, input=entered))["updateProgramSettings"]["settings"]
    assert data["taxReportingThresholds"][-1] == {"year": 2027, "amount": {"amount": "2100.00", "currency": "USD"}}
    assert data["taxTimeZone"] == "America/New_York"


async def test_the_hold_example(gql: GraphQLClient, clock: MovableClock) -> None:
    """17.3's example: W-8BEN signed 2023-06-15, due USD 80.00; expiry at midnight; a new form makes it DUE."""
    at(clock, datetime(Y, 12, 31, 12, tzinfo=UTC))
    product = await create_product(gql, commissionFlat={"amount": "80.00", "currency": "USD"})
    payee = await due_affiliate(gql, product, "Ann Lee", "s-1")
    assert (await affiliate(gql, payee))["paymentStatus"] == "DUE"
    await gql.ok(SETTINGS, input={"taxFormRequired": True})
    held = await affiliate(gql, payee)
    assert held["paymentStatus"] == "DUE_INCOMPLETE"
    assert {
        "reason": "TAX_FORM_MISSING",
        "message": "no tax form on file; a W-9 or W-8 is required before payment",
    } in held["incompleteReasons"]
    skipped = (await pay(gql, affiliateIds=[payee], method="PAYPAL"))["skipped"]
    assert skipped == [{"affiliate": {"id": payee}, "reason": "not due: DUE_INCOMPLETE (tax form missing)"}]
    result = await set_profile(gql, **w8(payee, SIGNED))
    assert result["affiliate"]["paymentStatus"] == "DUE"
    assert result["affiliate"]["taxProfile"]["validUntil"] == f"{Y}-12-31"
    at(clock, datetime(Y, 12, 31, 23, 59, tzinfo=UTC))
    assert (await affiliate(gql, payee))["paymentStatus"] == "DUE"
    at(clock, datetime(Y + 1, 1, 1, tzinfo=UTC))
    expired = await affiliate(gql, payee)
    assert expired["paymentStatus"] == "DUE_INCOMPLETE"
    assert {"reason": "TAX_FORM_EXPIRED", "message": f"W8BEN signed {SIGNED} expired on {Y}-12-31"} in expired[
        "incompleteReasons"
    ]
    listed = await gql.ok("{ affiliates(filter: {paymentStatus: [DUE]}) { edges { node { id } } } }")
    assert listed["affiliates"]["edges"] == []
    at(clock, datetime(Y + 1, 1, 5, 10, tzinfo=UTC))
    again = await set_profile(gql, **w8(payee, f"{Y + 1}-01-05"))
    assert again["affiliate"]["paymentStatus"] == "DUE"
    assert again["affiliate"]["taxProfile"]["validUntil"] == f"{Y + 4}-12-31"
    await gql.ok(SETTINGS, input={"taxFormRequired": False})
    paid = await pay(gql, affiliateIds=[payee], method="PAYPAL")
    assert paid["totals"] == [{"amount": "80.00", "currency": "USD"}]


async def test_expiry_follows_the_tax_time_zone(gql: GraphQLClient, clock: MovableClock) -> None:
    at(clock, datetime(Y, 12, 31, 12, tzinfo=UTC))
    product = await create_product(gql, commissionFlat={"amount": "80.00", "currency": "USD"})
    payee = await due_affiliate(gql, product, "Ann Lee", "s-1")
    await gql.ok(SETTINGS, input={"taxFormRequired": True, "taxTimeZone": "America/Los_Angeles"})
    await set_profile(gql, **w8(payee, SIGNED))
    at(clock, datetime(Y + 1, 1, 1, 7, 59, tzinfo=UTC))  # 23:59 in Los Angeles
    assert (await affiliate(gql, payee))["paymentStatus"] == "DUE"
    clock.advance(timedelta(minutes=1))
    assert (await affiliate(gql, payee))["paymentStatus"] == "DUE_INCOMPLETE"


async def test_a_held_paypal_instant_payee_is_booked_as_manual(gql: GraphQLClient) -> None:
    product = await create_product(gql, commissionFlat={"amount": "10.00", "currency": "USD"})
    payee = await create_affiliate(gql, "Ann Lee", payoutMode="PAYPAL_INSTANT")
    await gql.ok(SETTINGS, input={"taxFormRequired": True})
    await details(gql, payee, paypalEmail="ann.pay@example.com")
    sale = await record_sale(gql, externalId="s-1", productId=product, affiliateId=payee)
    assert [i["state"] for i in sale["sale"]["installments"]] == ["DUE"]
    reasons = {r["reason"] for r in (await affiliate(gql, payee))["incompleteReasons"]}
    assert reasons == {"INSTANT_PAYMENT", "TAX_FORM_MISSING"}
    skipped = (await pay(gql, affiliateIds=[payee], method="PAYPAL"))["skipped"]
    assert (
        skipped[0]["reason"].startswith("not due: DUE_INCOMPLETE (") and "no tax form on file" in skipped[0]["reason"]
    )
    await set_profile(gql, **w9(payee))
    sale = await record_sale(gql, externalId="s-2", productId=product, affiliateId=payee)
    assert [i["state"] for i in sale["sale"]["installments"]] == ["PAID"]


async def test_expiry_announces_nothing_and_a_new_form_is_announced(live: Live) -> None:
    """17.3's example over a real WebSocket: the clock applies the expiry with no request, silently;
    the new W-8 makes the payee DUE again, announced as REQUIREMENTS_MET with newlyDue USD 80.00."""
    gql = live.gql
    live.advance(datetime(Y, 12, 31, 12, tzinfo=UTC) - live.clock())
    product = await create_product(gql, commissionFlat={"amount": "80.00", "currency": "USD"})
    payee = await due_affiliate(gql, product, "Ann Lee", "s-1")
    await gql.ok(SETTINGS, input={"taxFormRequired": True})
    await set_profile(gql, **w8(payee, SIGNED))
    pk = pk_of(payee, "Affiliate")
    async with subscribe(live.url, gql.token, payee) as events:
        await live.subscribed()
        live.advance(datetime(Y + 1, 1, 1, tzinfo=UTC) - live.clock())
        async with asyncio.timeout(10):  # no request meanwhile: the maturity clock applies the expiry
            # The status lives in the database, written by another task: nothing to wait on but the row.
            while (await Affiliate.get(id=pk)).payment_status is not PaymentStatus.DUE_INCOMPLETE:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        await events.nothing_within(0.5)
        live.advance(datetime(Y + 1, 1, 5, 10, tzinfo=UTC) - live.clock())
        await set_profile(gql, **w8(payee, f"{Y + 1}-01-05"))
        event = await events.next()
        assert event["cause"] == "REQUIREMENTS_MET"
        assert event["newlyDue"] == [{"amount": "80.00", "currency": "USD"}]


async def test_an_export_made_while_due_is_still_settled_after_the_hold(gql: GraphQLClient) -> None:
    """Rule 8's snapshot: the export was made while the payee was DUE; the hold comes later."""
    product = await create_product(gql, commissionFlat={"amount": "80.00", "currency": "USD"})
    payee = await due_affiliate(gql, product, "Ann Lee", "s-1")
    made = (await export(gql, scope="PREFERRED"))["export"]
    await gql.ok(SETTINGS, input={"taxFormRequired": True})
    assert (await affiliate(gql, payee))["paymentStatus"] == "DUE_INCOMPLETE"
    paid = await pay(gql, exportId=made["id"], method="PAYPAL")
    assert paid["totals"] == [{"amount": "80.00", "currency": "USD"}] and paid["skipped"] == []


async def test_a_held_paypal_instant_recruiter_earns_as_manual(gql: GraphQLClient) -> None:
    """Rule 16 meets 17.3: each payee of a sale is paid instantly only without a tax-form hold."""
    product = await create_product(
        gql, commissionFlat={"amount": "10.00", "currency": "USD"}, secondTierCommissionPercent="5"
    )
    recruiter = await create_affiliate(gql, "Rae Cruz", payoutMode="PAYPAL_INSTANT")
    await details(gql, recruiter, paypalEmail="rae.pay@example.com")
    seller = await create_affiliate(gql, "Ann Lee", recruitedBy=recruiter)
    await gql.ok(SETTINGS, input={"taxFormRequired": True})
    await set_profile(gql, **w9(seller))
    sales = f"""mutation($input: RecordSaleInput!) {{ recordSale(input: $input) {{
      ... on RecordSaleSuccess {{ sale {{ commissions {{ role payee {{ id }} installments {{ state }} }} }} }}
      {ERROR} }} }}"""

    async def states(external_id: str) -> dict[str, list[str]]:
        data = await gql.ok(sales, input={"externalId": external_id, "productId": product, "affiliateId": seller})
        found = data["recordSale"]["sale"]["commissions"]
        return {c["role"]: [i["state"] for i in c["installments"]] for c in found}

    assert (await states("s-1"))["SECOND_TIER"] == ["DUE"]  # held: booked as for MANUAL
    await set_profile(gql, **w9(recruiter, tin="12-3456789", tinType="EIN"))
    assert (await states("s-2"))["SECOND_TIER"] == ["PAID"]  # a form on file: instant again
