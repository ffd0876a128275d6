"""Every worked example of payout-rules.md 1-7, through the GraphQL API of the real app."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise.transactions import in_transaction

from models.enums import PaymentMethodType
from models.ledger.balances import refresh_affiliates
from models.tables.affiliates import Balance
from models.tables.payouts import Payout
from models.tables.sales import Installment, OwedAmount, Sale
from schema.ids import parse_global_id, to_global_id
from tests.api import (
    ERROR,
    KARTRA,
    add_paypal,
    affiliate,
    create_affiliate,
    create_product,
    payable_affiliate,
    record_sale,
    refund_sale,
    set_payout_mode,
    update_settings,
)
from tests.clients import GraphQLClient
from tests.clock import MovableClock


def iso(moment: datetime) -> str:
    return moment.isoformat()


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def figures(node: dict[str, Any], currency: str = "USD") -> dict[str, str]:
    """One balance as {'earned': '10.01', ...} (amounts only) for compact assertions."""
    (balance,) = [b for b in node["balances"] if b["currency"] == currency]
    return {k: balance[k]["amount"] for k in ("earned", "reserve", "due", "paid", "owed")}


def reasons(node: dict[str, Any]) -> dict[str, str]:
    return {r["reason"]: r["message"] for r in node["incompleteReasons"]}


async def payouts(gql: GraphQLClient, affiliate_id: str) -> dict[str, Any]:
    data = await gql.ok(
        """query($id: ID!) { node(id: $id) { ... on Affiliate { payouts { totalCount edges { node {
             amount { amount currency } method instant status paidAt } } } } } }""",
        id=affiliate_id,
    )
    return data["node"]["payouts"]


async def settle_due_installments(affiliate_gid: str) -> None:
    """Stand-in for markAsPaid (built elsewhere): settle what is DUE now with one PAYPAL payout.

    Written against the models inside the app's lifespan, exactly as a payout is booked: one
    transaction, the installments pointing at the payout, the stored balances refreshed.
    """
    _, affiliate_id = parse_global_id(affiliate_gid)  # type: ignore[misc]
    now = datetime.now(UTC)
    async with in_transaction():
        due = await Installment.filter(
            affiliate_id=affiliate_id, payout_id=None, voided=False, amount__gt=0, release_at__lte=now
        )
        payout = await Payout.create(
            affiliate_id=affiliate_id,
            currency="USD",
            amount=sum(i.amount for i in due),
            method=PaymentMethodType.PAYPAL,
            paid_at=now,
        )
        await Installment.filter(id__in=[i.id for i in due]).update(payout_id=payout.id)
        await refresh_affiliates([affiliate_id], now)


# --- sections 2-4: commission, milestones, balances -----------------------------------------------


async def test_worked_example_100_10_at_10_percent_40_60(gql: GraphQLClient) -> None:
    product = await create_product(gql, milestones=KARTRA)
    ann = await payable_affiliate(gql)
    occurred = datetime.now(UTC).replace(microsecond=0)
    sale = await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann, occurredAt=iso(occurred))
    assert sale["created"] is True
    assert sale["sale"]["commission"] == {"amount": "10.01", "currency": "USD"}
    assert sale["sale"]["status"] == "COMPLETED"
    installments = sale["sale"]["installments"]
    assert [(i["amount"]["amount"], i["state"]) for i in installments] == [("4.00", "DUE"), ("6.01", "HELD")]
    assert [parse(i["releaseAt"]) for i in installments] == [occurred, occurred + timedelta(days=60)]

    a = await affiliate(gql, ann)
    assert figures(a) == {"earned": "10.01", "reserve": "6.01", "due": "4.00", "paid": "0.00", "owed": "0.00"}
    release = a["balances"][0]["nextRelease"]
    assert parse(release["at"]) == occurred + timedelta(days=60)
    assert release["amount"] == {"amount": "6.01", "currency": "USD"}
    assert (a["paymentStatus"], a["salesCount"], a["incompleteReasons"]) == ("DUE", 1, [])


async def test_refund_after_the_first_installment_was_paid(gql: GraphQLClient) -> None:
    product = await create_product(gql, milestones=KARTRA)
    ten = await create_product(gql, name="Ten", price={"amount": "100.00", "currency": "USD"})
    ann = await payable_affiliate(gql)
    await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann)
    await settle_due_installments(ann)
    assert figures(await affiliate(gql, ann))["paid"] == "4.00"

    refunded = await refund_sale(gql, externalId="o-1")
    assert refunded["sale"]["status"] == "REFUNDED"
    assert refunded["sale"]["commission"]["amount"] == "0.00"
    assert [(i["amount"]["amount"], i["state"]) for i in refunded["sale"]["installments"]] == [
        ("4.00", "PAID"),
        ("6.01", "VOIDED"),
    ]
    a = await affiliate(gql, ann)
    assert figures(a) == {"earned": "0.00", "reserve": "0.00", "due": "0.00", "paid": "4.00", "owed": "4.00"}
    assert a["paymentStatus"] == "DUE_INCOMPLETE"
    assert list(reasons(a)) == ["BALANCE_OWED"]
    assert "USD 4.00" in reasons(a)["BALANCE_OWED"]

    # The next sale yields 10.00 due at once: due = 10.00 - 4.00 owed.
    await record_sale(gql, externalId="o-2", productId=ten, affiliateId=ann)
    a = await affiliate(gql, ann)
    assert figures(a) == {"earned": "10.00", "reserve": "0.00", "due": "6.00", "paid": "4.00", "owed": "4.00"}
    assert a["paymentStatus"] == "DUE"


async def test_sale_in_the_past_is_due_at_once(gql: GraphQLClient) -> None:
    product = await create_product(gql, milestones=KARTRA)
    ann = await payable_affiliate(gql)
    occurred = datetime.now(UTC) - timedelta(days=61)
    sale = await record_sale(gql, externalId="old", productId=product, affiliateId=ann, occurredAt=iso(occurred))
    assert [i["state"] for i in sale["sale"]["installments"]] == ["DUE", "DUE"]
    a = await affiliate(gql, ann)
    assert figures(a) == {"earned": "10.01", "reserve": "0.00", "due": "10.01", "paid": "0.00", "owed": "0.00"}
    assert a["balances"][0]["nextRelease"] is None


async def test_program_default_milestones_apply_to_products_without_their_own(gql: GraphQLClient) -> None:
    halves = [{"percent": "50", "delayDays": 0}, {"percent": "50", "delayDays": 30}]
    await update_settings(gql, defaultMilestones=halves)
    product = await create_product(gql, price={"amount": "10.01", "currency": "USD"}, commissionPercent="100")
    ann = await payable_affiliate(gql)
    sale = await record_sale(gql, externalId="d-1", productId=product, affiliateId=ann)
    assert [(i["amount"]["amount"], i["state"]) for i in sale["sale"]["installments"]] == [
        ("5.00", "DUE"),
        ("5.01", "HELD"),
    ]


async def test_flat_commission_and_zero_decimal_currency(gql: GraphQLClient) -> None:
    product = await create_product(
        gql, price={"amount": "12500", "currency": "JPY"}, commissionFlat={"amount": "1250", "currency": "JPY"}
    )
    ann = await payable_affiliate(gql)
    sale = await record_sale(gql, externalId="jp-1", productId=product, affiliateId=ann)
    assert sale["sale"]["commission"] == {"amount": "1250", "currency": "JPY"}
    assert figures(await affiliate(gql, ann), "JPY")["due"] == "1250"


async def test_record_sale_is_idempotent_on_external_id(gql: GraphQLClient) -> None:
    product = await create_product(gql)
    other = await create_product(gql, name="Other", price={"amount": "500.00", "currency": "USD"})
    ann = await payable_affiliate(gql)
    bob = await payable_affiliate(gql, "Bob Ray")
    first = await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann)
    before = await affiliate(gql, ann)
    again = await record_sale(
        gql, externalId="o-1", productId=other, affiliateId=bob, amount={"amount": "999.00", "currency": "USD"}
    )
    assert again["created"] is False
    assert again["sale"] == first["sale"]
    assert await affiliate(gql, ann) == before
    assert (await affiliate(gql, bob))["balances"] == []


async def test_sales_for_pending_yes_for_declined_no(gql: GraphQLClient) -> None:
    product = await create_product(gql)
    pending = await create_affiliate(gql, "Pat Pending", approvalStatus="PENDING")
    declined = await create_affiliate(gql, "Dee Clined", approvalStatus="DECLINED")
    assert (await record_sale(gql, externalId="p-1", productId=product, affiliateId=pending))["created"]
    a = await affiliate(gql, pending)
    assert a["paymentStatus"] == "DUE_INCOMPLETE"
    assert reasons(a) == {
        "NOT_APPROVED": "affiliate is pending",
        "MISSING_PAYMENT_DETAILS": "no payment method on file",
    }
    refused = await record_sale(gql, externalId="d-1", productId=product, affiliateId=declined)
    assert refused["code"] == "AFFILIATE_DECLINED"
    assert refused["field"] == "affiliateId"
    assert (await affiliate(gql, declined))["balances"] == []
    # The refused externalId was not taken.
    assert (await refund_sale(gql, externalId="d-1"))["code"] == "NOT_FOUND"


async def test_currency_mismatch(gql: GraphQLClient) -> None:
    product = await create_product(gql)
    ann = await payable_affiliate(gql)
    refused = await record_sale(
        gql, externalId="o-1", productId=product, affiliateId=ann, amount={"amount": "10.00", "currency": "EUR"}
    )
    assert (refused["code"], refused["field"]) == ("CURRENCY_MISMATCH", "amount.currency")
    await record_sale(gql, externalId="o-2", productId=product, affiliateId=ann)
    refused = await refund_sale(gql, externalId="o-2", amount={"amount": "1.00", "currency": "EUR"})
    assert refused["code"] == "CURRENCY_MISMATCH"
    assert figures(await affiliate(gql, ann))["earned"] == "10.01"


async def test_refund_exceeding_the_sale_and_unknown_sales(gql: GraphQLClient) -> None:
    product = await create_product(gql)
    ann = await payable_affiliate(gql)
    await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann)
    assert (await refund_sale(gql, externalId="o-1", amount={"amount": "100.11", "currency": "USD"}))[
        "code"
    ] == "REFUND_EXCEEDS_SALE"
    await refund_sale(gql, externalId="o-1", amount={"amount": "100.00", "currency": "USD"})
    assert (await refund_sale(gql, externalId="o-1", amount={"amount": "0.11", "currency": "USD"}))[
        "code"
    ] == "REFUND_EXCEEDS_SALE"
    done = await refund_sale(gql, externalId="o-1")  # the default: everything not yet refunded
    assert done["sale"]["refunded"]["amount"] == "100.10"
    assert (await refund_sale(gql, externalId="o-1"))["code"] == "REFUND_EXCEEDS_SALE"
    missing = await refund_sale(gql, externalId="nope")
    assert (missing["code"], missing["field"]) == ("NOT_FOUND", "externalId")


async def test_sale_statuses_and_sales_count(gql: GraphQLClient) -> None:
    product = await create_product(gql, milestones=KARTRA)
    ann = await payable_affiliate(gql)
    for ext in ("a", "b", "c"):
        await record_sale(gql, externalId=ext, productId=product, affiliateId=ann)
    assert (await affiliate(gql, ann))["salesCount"] == 3

    half = await refund_sale(gql, externalId="a", amount={"amount": "50.05", "currency": "USD"})
    assert half["sale"]["status"] == "PARTIALLY_REFUNDED"
    # round_half_up(10.01 * 50.05 / 100.10) = 5.01, taken from the held 6.01 (latest release first)
    assert half["sale"]["commission"]["amount"] == "5.00"
    assert [(i["amount"]["amount"], i["state"]) for i in half["sale"]["installments"]] == [
        ("4.00", "DUE"),
        ("1.00", "HELD"),
    ]
    rest = await refund_sale(gql, externalId="a", kind="REFUND")
    assert (rest["sale"]["status"], rest["sale"]["commission"]["amount"]) == ("REFUNDED", "0.00")
    assert [i["state"] for i in rest["sale"]["installments"]] == ["VOIDED", "VOIDED"]

    ten = {"amount": "10.00", "currency": "USD"}
    partial_cb = await refund_sale(gql, externalId="b", amount=ten, kind="CHARGEBACK")
    assert partial_cb["sale"]["status"] == "PARTIALLY_REFUNDED"
    whole_cb = await refund_sale(gql, externalId="b", kind="CHARGEBACK")
    assert whole_cb["sale"]["status"] == "CHARGED_BACK"

    a = await affiliate(gql, ann)
    assert a["salesCount"] == 1  # fully refunded and charged-back sales do not count
    assert figures(a) == {"earned": "10.01", "reserve": "6.01", "due": "4.00", "paid": "0.00", "owed": "0.00"}


# --- section 6: payment status ------------------------------------------------------------------


async def test_payment_status_reasons_name_the_figures(gql: GraphQLClient) -> None:
    twelve = await create_product(gql, name="Twelve", price={"amount": "120.00", "currency": "USD"})
    held = await create_product(gql, name="Held", milestones=[{"percent": "100", "delayDays": 60}])
    ann = await payable_affiliate(gql)
    assert (await affiliate(gql, ann))["paymentStatus"] == "NOTHING_DUE"

    await update_settings(gql, minimumSales=5, minimumPayout=[{"amount": "50.00", "currency": "USD"}])
    await record_sale(gql, externalId="t-1", productId=twelve, affiliateId=ann)
    await record_sale(gql, externalId="t-2", productId=twelve, affiliateId=ann)
    await refund_sale(gql, externalId="t-2")
    a = await affiliate(gql, ann)
    assert a["paymentStatus"] == "DUE_INCOMPLETE"
    assert reasons(a) == {
        "BELOW_MINIMUM_SALES": "1 of 5 required sales",
        "BELOW_MINIMUM_PAYOUT": "USD 12.00 of USD 50.00 minimum",
    }
    await record_sale(gql, externalId="t-3", productId=twelve, affiliateId=ann)
    assert reasons(await affiliate(gql, ann))["BELOW_MINIMUM_SALES"] == "2 of 5 required sales"

    # Lifting the requirements makes the held-back balance payable.
    await update_settings(gql, minimumSales=0, minimumPayout=[])
    assert (await affiliate(gql, ann))["paymentStatus"] == "DUE"

    bob = await payable_affiliate(gql, "Bob Ray")
    occurred = datetime.now(UTC)
    await record_sale(gql, externalId="h-1", productId=held, affiliateId=bob, occurredAt=iso(occurred))
    b = await affiliate(gql, bob)
    assert b["paymentStatus"] == "DUE_INCOMPLETE"
    day = (occurred + timedelta(days=60)).date().isoformat()
    assert reasons(b) == {"ON_HOLD": f"USD 10.01 held; next release USD 10.01 on {day}"}


async def test_on_hold_message_of_the_worked_example(gql: GraphQLClient) -> None:
    product = await create_product(gql, milestones=KARTRA)
    ann = await create_affiliate(gql)  # no payment method: not DUE
    occurred = datetime.now(UTC) - timedelta(days=1)
    await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann, occurredAt=iso(occurred))
    a = await affiliate(gql, ann)
    assert a["paymentStatus"] == "DUE_INCOMPLETE"
    assert reasons(a) == {"MISSING_PAYMENT_DETAILS": "no payment method on file"}
    await add_paypal(gql, ann)
    assert (await affiliate(gql, ann))["paymentStatus"] == "DUE"


async def test_minimum_payout_is_per_currency(gql: GraphQLClient) -> None:
    await update_settings(gql, minimumPayout=[{"amount": "50.00", "currency": "USD"}])
    eur = await create_product(gql, name="Euro", price={"amount": "10.00", "currency": "EUR"})
    usd = await create_product(gql)
    ann = await payable_affiliate(gql)
    await record_sale(gql, externalId="e-1", productId=eur, affiliateId=ann)
    assert (await affiliate(gql, ann))["paymentStatus"] == "DUE"  # EUR has no minimum
    bob = await payable_affiliate(gql, "Bob Ray")
    await record_sale(gql, externalId="u-1", productId=usd, affiliateId=bob)
    b = await affiliate(gql, bob)
    assert b["paymentStatus"] == "DUE_INCOMPLETE"
    assert reasons(b) == {"BELOW_MINIMUM_PAYOUT": "USD 10.01 of USD 50.00 minimum"}
    # Money of different currencies is never added: one balance each.
    await record_sale(gql, externalId="e-2", productId=eur, affiliateId=bob)
    b = await affiliate(gql, bob)
    assert sorted(x["currency"] for x in b["balances"]) == ["EUR", "USD"]
    assert b["paymentStatus"] == "DUE"  # EUR 1.00 is payable


async def test_update_program_settings_changes_only_given_fields(gql: GraphQLClient) -> None:
    defaults = await gql.ok(
        "{ programSettings { minimumSales minimumPayout { amount currency } defaultMilestones { percent delayDays } } }"
    )
    assert defaults["programSettings"] == {
        "minimumSales": 0,
        "minimumPayout": [],
        "defaultMilestones": [{"percent": "100", "delayDays": 0}],
    }
    minimums = [{"amount": "50.00", "currency": "USD"}, {"amount": "5000", "currency": "JPY"}]
    s = (await update_settings(gql, minimumSales=3, minimumPayout=minimums))["settings"]
    assert s["minimumSales"] == 3
    assert s["minimumPayout"] == [{"amount": "5000", "currency": "JPY"}, {"amount": "50.00", "currency": "USD"}]
    s = (await update_settings(gql, defaultMilestones=KARTRA))["settings"]
    assert (s["minimumSales"], len(s["minimumPayout"])) == (3, 2)
    assert s["defaultMilestones"] == [{"percent": "40", "delayDays": 0}, {"percent": "60", "delayDays": 60}]
    s = (await update_settings(gql, minimumSales=1))["settings"]
    assert (len(s["minimumPayout"]), len(s["defaultMilestones"])) == (2, 2)
    s = (await update_settings(gql, minimumPayout=[]))["settings"]
    assert (s["minimumSales"], s["minimumPayout"], len(s["defaultMilestones"])) == (1, [], 2)
    stored = await gql.ok("{ programSettings { minimumSales minimumPayout { amount } } }")
    assert stored["programSettings"] == {"minimumSales": 1, "minimumPayout": []}


# --- section 7: PayPal Instant Payment -----------------------------------------------------------


async def test_paypal_instant_is_paid_at_once_and_refunds_become_owed(gql: GraphQLClient) -> None:
    product = await create_product(gql, milestones=KARTRA)
    ten = await create_product(gql, name="Ten", price={"amount": "100.00", "currency": "USD"})
    ivy = await payable_affiliate(gql, "Ivy Instant", payoutMode="PAYPAL_INSTANT")
    occurred = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    sale = await record_sale(gql, externalId="i-1", productId=product, affiliateId=ivy, occurredAt=iso(occurred))
    # Milestones do not apply: the whole commission is one installment, paid at the sale's time.
    assert [(i["amount"]["amount"], i["state"]) for i in sale["sale"]["installments"]] == [("10.01", "PAID")]
    a = await affiliate(gql, ivy)
    assert figures(a) == {"earned": "10.01", "reserve": "0.00", "due": "0.00", "paid": "10.01", "owed": "0.00"}
    assert a["paymentStatus"] == "NOTHING_DUE"
    paid = await payouts(gql, ivy)
    assert paid["totalCount"] == 1
    node = paid["edges"][0]["node"]
    assert (node["instant"], node["method"], node["status"]) == (True, None, "PAID")
    assert node["amount"] == {"amount": "10.01", "currency": "USD"}
    assert parse(node["paidAt"]) == occurred

    await refund_sale(gql, externalId="i-1")
    a = await affiliate(gql, ivy)
    assert figures(a) == {"earned": "0.00", "reserve": "0.00", "due": "0.00", "paid": "10.01", "owed": "10.01"}
    assert a["paymentStatus"] == "DUE_INCOMPLETE"
    assert set(reasons(a)) == {"INSTANT_PAYMENT", "BALANCE_OWED"}

    # Back to MANUAL: the next sale's 10.00 first recovers what is owed.
    await set_payout_mode(gql, ivy, "MANUAL")
    await record_sale(gql, externalId="i-2", productId=ten, affiliateId=ivy)
    a = await affiliate(gql, ivy)
    assert figures(a) == {"earned": "10.00", "reserve": "0.00", "due": "0.00", "paid": "10.01", "owed": "10.01"}
    assert list(reasons(a)) == ["BALANCE_OWED"]
    assert (await payouts(gql, ivy))["totalCount"] == 1  # no payout for a MANUAL sale


async def test_switch_to_instant_with_unpaid_commission(gql: GraphQLClient) -> None:
    product = await create_product(gql)
    ann = await payable_affiliate(gql)
    await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann)
    switched = await set_payout_mode(gql, ann, "PAYPAL_INSTANT")
    assert switched["affiliate"]["paymentStatus"] == "DUE_INCOMPLETE"
    a = await affiliate(gql, ann)
    assert reasons(a) == {"INSTANT_PAYMENT": "paid by PayPal Instant Payment at the time of each sale"}
    assert figures(a)["due"] == "10.01"  # stays unpaid, not paid by the switch
    # A new sale is paid instantly; the old commission stays unpaid.
    await record_sale(gql, externalId="o-2", productId=product, affiliateId=ann)
    assert figures(await affiliate(gql, ann)) == {
        "earned": "20.02",
        "reserve": "0.00",
        "due": "10.01",
        "paid": "10.01",
        "owed": "0.00",
    }
    back = await set_payout_mode(gql, ann, "MANUAL")
    assert back["affiliate"]["paymentStatus"] == "DUE"


# --- the passing of time ------------------------------------------------------------------------


async def test_held_installment_matures_on_the_next_request(gql: GraphQLClient, clock: MovableClock) -> None:
    next_day = [{"percent": "40", "delayDays": 0}, {"percent": "60", "delayDays": 1}]
    product = await create_product(gql, milestones=next_day)
    ann = await payable_affiliate(gql)
    occurred = clock() - timedelta(days=1) + timedelta(minutes=1)
    sale = await record_sale(gql, externalId="m-1", productId=product, affiliateId=ann, occurredAt=iso(occurred))
    assert [i["state"] for i in sale["sale"]["installments"]] == ["DUE", "HELD"]
    assert figures(await affiliate(gql, ann))["due"] == "4.00"
    clock.advance(timedelta(minutes=2))
    a = await affiliate(gql, ann)
    assert figures(a) == {"earned": "10.01", "reserve": "0.00", "due": "10.01", "paid": "0.00", "owed": "0.00"}
    assert a["balances"][0]["nextRelease"] is None
    states = await gql.ok(
        """query($id: ID!) { node(id: $id) { ... on Affiliate { sales { edges { node {
             installments { state } } } } } } }""",
        id=ann,
    )
    assert [i["state"] for i in states["node"]["sales"]["edges"][0]["node"]["installments"]] == ["DUE", "DUE"]
    # Filtering by payment status sees the matured balance too.
    due = await gql.ok("{ affiliates(filter: {paymentStatus: [DUE]}) { totalCount edges { node { id } } } }")
    assert [e["node"]["id"] for e in due["affiliates"]["edges"]] == [ann]


async def test_errors_are_payload_members(gql: GraphQLClient) -> None:
    body = await gql.post(f"""mutation {{ refundSale(input: {{externalId: "x"}}) {{ __typename {ERROR} }} }}""")
    assert body["data"]["refundSale"]["__typename"] == "NotFoundError"


async def test_removing_the_preferred_method_leaves_the_only_other_one_preferred(gql):
    ann = await create_affiliate(gql)
    query = """mutation($input: PaymentDetailsInput!) { updatePaymentDetails(input: $input) {
      ... on UpdatePaymentDetailsSuccess { affiliate { paymentMethods { type preferred } } } } }"""
    check = {"payee": "Ann Lee", "addressLine1": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE"}
    await gql.ok(query, input={"affiliateId": ann, "paypalEmail": "ann.pay@example.com"})
    data = await gql.ok(query, input={"affiliateId": ann, "check": check})
    methods = data["updatePaymentDetails"]["affiliate"]["paymentMethods"]
    assert {m["type"]: m["preferred"] for m in methods} == {"CHECK": False, "PAYPAL": True}

    data = await gql.ok(query, input={"affiliateId": ann, "paypalEmail": ""})
    assert data["updatePaymentDetails"]["affiliate"]["paymentMethods"] == [{"type": "CHECK", "preferred": True}]


# --- the balance identity under random stories, voids after refunds included (rules 1, 9 and 12) ---

VOID = """mutation($id: ID!) { voidPayout(payoutId: $id, reason: "bounced") { __typename } }"""
PAY_IDS = """mutation($id: ID!) { markAsPaid(input: {affiliateIds: [$id], method: PAYPAL}) { __typename } }"""
story_step = st.one_of(
    st.tuples(st.just("sale"), st.integers(min_value=100, max_value=100_000), st.integers(min_value=0, max_value=40)),
    st.tuples(st.just("pay")),
    st.tuples(st.just("refund"), st.integers(min_value=0, max_value=9), st.none() | st.integers(1, 99)),
    st.tuples(st.just("void"), st.integers(min_value=0, max_value=9)),
)
# Each chapter pays, refunds and voids, so a void often meets a refund of what it paid.
chapter = st.tuples(
    st.tuples(st.just("sale"), st.integers(min_value=100, max_value=100_000), st.integers(min_value=0, max_value=40)),
    st.just(("pay",)),
    st.lists(story_step, max_size=3),
    st.tuples(st.just("refund"), st.integers(min_value=0, max_value=9), st.none() | st.integers(1, 99)),
    st.lists(st.sampled_from([("pay",), ("void", 0), ("void", 1)]), min_size=1, max_size=3),
).map(lambda c: [c[0], c[1], *c[2], c[3], *c[4]])


async def check_ledger_identity(affiliate_id: int) -> None:
    for b in await Balance.filter(affiliate_id=affiliate_id):
        assert b.earned == b.reserve + b.due_installments + b.paid - b.owed, vars(b)
        assert min(b.earned, b.reserve, b.due_installments, b.paid, b.owed) >= 0, vars(b)
    # Rule 12: after any void, no outstanding owed amount stands against an unpaid installment.
    for o in await OwedAmount.filter(
        affiliate_id=affiliate_id, recovered_by_id=None, amount__gt=0, installment_id__not_isnull=True
    ).prefetch_related("installment"):
        assert o.installment is not None and (o.installment.payout_id is not None or o.installment.amount == 0), vars(o)
    for sale in await Sale.filter(affiliate_id=affiliate_id):
        installments = sum(cast(list[int], await Installment.filter(sale_id=sale.id).values_list("amount", flat=True)))
        owed = sum(cast(list[int], await OwedAmount.filter(sale_id=sale.id).values_list("amount", flat=True)))
        assert installments - owed == sale.commission, (sale.external_id, installments, owed, sale.commission)


async def test_balance_identity_holds_through_random_stories(gql: GraphQLClient) -> None:
    """Hypothesis drives stories from a worker thread; each step is a real GraphQL call on the app's loop."""
    product = await create_product(
        gql,
        price={"amount": "1000.00", "currency": "USD"},
        milestones=[{"percent": "50", "delayDays": 0}, {"percent": "50", "delayDays": 30}],
    )
    loop = asyncio.get_running_loop()
    stories = itertools.count()

    async def story(steps: list[tuple[Any, ...]]) -> None:
        n = next(stories)
        gid = await payable_affiliate(gql, f"Story{n} Lee")
        affiliate_id = int(parse_global_id(gid)[1])  # type: ignore[index]
        sales: list[str] = []
        now = datetime.now(UTC).replace(microsecond=0)
        for step in steps:
            match step:
                case ("sale", cents, age):
                    sales.append(f"story{n}-{len(sales)}")
                    amount = {"amount": f"{cents // 100}.{cents % 100:02d}", "currency": "USD"}
                    await record_sale(
                        gql,
                        externalId=sales[-1],
                        productId=product,
                        affiliateId=gid,
                        amount=amount,
                        occurredAt=iso(now - timedelta(days=age)),
                    )
                case ("pay",):
                    await gql.ok(PAY_IDS, id=gid)
                case ("refund", index, percent) if sales:
                    external_id = sales[index % len(sales)]
                    sale = await Sale.get(external_id=external_id)
                    left = sale.amount - sale.refunded
                    refund = left if percent is None else max(1, left * percent // 100)
                    if left:
                        await refund_sale(
                            gql,
                            externalId=external_id,
                            amount={"amount": f"{refund // 100}.{refund % 100:02d}", "currency": "USD"},
                        )
                case ("void", index):
                    live = await Payout.filter(affiliate_id=affiliate_id, status="PAID", instant=False).order_by("id")
                    if live:
                        await gql.ok(VOID, id=to_global_id("Payout", live[index % len(live)].id))
            await check_ledger_identity(affiliate_id)

    @settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(st.lists(chapter, min_size=1, max_size=3).map(lambda cs: [s for c in cs for s in c]))
    def run(steps: list[tuple[Any, ...]]) -> None:
        asyncio.run_coroutine_threadsafe(story(steps), loop).result()

    await asyncio.to_thread(run)
    netted = await OwedAmount.filter(netted_by_id__not_isnull=True).count()
    assert netted > 0, "no story voided a payout after a refund of what it paid: the stories are too shallow"
